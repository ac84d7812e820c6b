"""The actors-and-agreements graph: actors and documents as nodes, the meetings and events between them as links.

Nodes are people, organisations, governments, countries, agreements and programs.

A projection beside the full one (``projection.py``): each event a source tells becomes links
between the actors it names (``bg:participant``), and from them to the agreement or program it
acts on (``bg:object``) or the beneficiary it serves; a document's parties, signatories and
participating countries link to it directly. Every link keeps the event, its date as that source
gives it (partial dates as printed: "2011", "--03-10"), the source release and the quoted words,
read in that source's named graph.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

from bordergraph.export.projection import QUOTE_SEPARATOR, Edge, Node, PropertyGraph, Scalar, local_name
from bordergraph.prefixes import PREFIXES, sparql_prologue
from bordergraph.querystore import QueryStore

BG = PREFIXES["bg"]
#: Node kinds and the classes (with their subclasses) that make them.
KINDS = {
    "person": [PREFIXES["foaf"] + "Person"],
    "country": [BG + "Country"],
    "government": [BG + "Government"],
    "organisation": [PREFIXES["org"] + "Organization", PREFIXES["org"] + "FormalOrganization"],
    "agreement": [BG + "PolicyDocument"],
    "program": [BG + "Program"],
}
#: Properties from a document to an actor that are links of their own (no event needed).
DIRECT = ["party", "signatory", "participatingCountry", "launchedBy", "operatedBy", "chairedBy"]


def _rows(store: QueryStore, query: str) -> list[dict[str, Any]]:
    result = store.query(sparql_prologue() + query)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else "") for n in names} for row in result]


def actors_graph(store: QueryStore) -> PropertyGraph:
    """Project the store onto actors and agreements, with events as links (see the module docstring)."""
    kind_of: dict[str, str] = {}
    for kind, classes in KINDS.items():
        values = " ".join(f"<{c}>" for c in classes)
        for row in _rows(
            store, f"SELECT DISTINCT ?x WHERE {{ VALUES ?top {{ {values} }} ?x a/rdfs:subClassOf* ?top }}"
        ):
            kind_of.setdefault(row["x"], kind)
    release = {r["g"]: r["s"] for r in _rows(store, "SELECT ?s ?g WHERE { ?s bg:sourceGraph ?g }")}
    quotes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in _rows(
        store,
        "SELECT DISTINCT ?g ?body ?exact WHERE { GRAPH ?g { ?a oa:hasBody ?body ; "
        "oa:hasTarget/oa:hasSelector/oa:exact ?exact } } ORDER BY ?g ?body ?exact",
    ):
        quotes[r["g"], r["body"]].append(r["exact"])
    labels = {
        r["x"]: r["l"] for r in _rows(store, "SELECT ?x (MIN(?label) AS ?l) WHERE { ?x rdfs:label ?label } GROUP BY ?x")
    }

    edges: list[tuple[str, str, str, str, str, str]] = []  # (source, target, relation, graph, event, date)
    events = _rows(
        store,
        "SELECT DISTINCT ?g ?e ?type ?role ?who ?date WHERE { GRAPH ?g { ?e a ?type ; ?p ?who "
        "OPTIONAL { ?e bg:date ?date } } ?type rdfs:subClassOf* bg:Event "
        "VALUES (?p ?role) { (bg:participant 'actor') (bg:object 'object') (bg:beneficiary 'object') } }",
    )
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for r in events:
        item = grouped.setdefault(
            (r["g"], r["e"]), {"type": r["type"], "date": r["date"], "actor": set(), "object": set()}
        )
        if r["who"] in kind_of:
            item[r["role"]].add(r["who"])
        if r["type"].startswith(BG):
            item["type"] = r["type"]
    for (g, event), item in sorted(grouped.items()):
        relation = local_name(item["type"])
        actors = sorted(item["actor"])
        pairs = list(combinations(actors, 2)) + [(a, o) for a in actors for o in sorted(item["object"]) if a != o]
        edges.extend((a, b, relation, g, event, item["date"]) for a, b in pairs)
    values = " ".join(f"bg:{p}" for p in DIRECT)
    for r in _rows(
        store, f"SELECT DISTINCT ?g ?doc ?p ?who WHERE {{ GRAPH ?g {{ ?doc ?p ?who }} VALUES ?p {{ {values} }} }}"
    ):
        if r["who"] in kind_of and r["doc"] in kind_of:
            edges.append((r["who"], r["doc"], r["p"].rsplit("#", 1)[-1], r["g"], "", ""))

    graph = PropertyGraph(attr_types={"kind": "str", "country": "str"})
    countries = {
        r["x"]: r["c"]
        for r in _rows(
            store,
            "SELECT ?x (MIN(?cl) AS ?c) WHERE { { ?x bg:country ?country } UNION { ?x bg:governmentOf ?country } "
            "UNION { ?x a bg:Country BIND(?x AS ?country) } ?country rdfs:label ?cl } GROUP BY ?x",
        )
    }
    types = {
        r["x"]: r["t"]
        for r in _rows(
            store,
            "SELECT ?x (MIN(STR(?t)) AS ?t) WHERE { ?x a ?t "
            "FILTER(STRSTARTS(STR(?t), STR(bg:)) || STRSTARTS(STR(?t), STR(foaf:))) } GROUP BY ?x",
        )
    }
    for source, target, relation, g, event, date in sorted(set(edges)):
        for node in (source, target):
            if node not in graph.nodes:
                attrs: dict[str, Scalar] = {"kind": kind_of[node]}
                if node in countries:
                    attrs["country"] = countries[node]
                type_ = local_name(types.get(node, "")) if node in types else kind_of[node]
                graph.nodes[node] = Node(node, labels.get(node, node), type_, (type_,), None, attrs)
        words = quotes.get((g, event), []) if event else quotes.get((g, source), []) or quotes.get((g, target), [])
        graph.edges.append(
            Edge(
                id=f"e{len(graph.edges)}",
                source=source,
                target=target,
                relation=relation,
                graph=g,
                release=release.get(g, ""),
                quote=QUOTE_SEPARATOR.join(words),
                start=date if len(date) == 10 and date[4] == "-" else None,
                event=event,
                event_label=labels.get(event, "") if event else "",
                date=date,
            )
        )
    graph.nodes = dict(sorted(graph.nodes.items()))
    return graph
