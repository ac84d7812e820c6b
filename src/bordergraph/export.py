"""Everything users download: RDF dumps, the one property-graph projection and its writers, checksums, releases.

The RDF dumps stream from the store through an on-disk sort, so memory stays flat as the data grows.
Every property-graph file (GraphML, GEXF, Cytoscape.js JSON, Neo4j CSV, Cypher) is written from the
same ``PropertyGraph``, which the endpoint can also build from a CONSTRUCT result (``project_triples``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import heapq
import io
import json
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from bordergraph.prefixes import BGG, ONTOLOGY_IRI, PREFIXES

if TYPE_CHECKING:
    import networkx as nx

    from bordergraph.build import Built
    from bordergraph.querystore import QueryStore

# --------------------------------------------------------------------------------------------
# What is written, and as what (VoID's void:dataDump and the manifest read these)
# --------------------------------------------------------------------------------------------

NQ, NT, TTL, TRIG, JSONLD, RDFXML = (
    "bordergraph.nq",
    "bordergraph.nt",
    "bordergraph.ttl",
    "bordergraph.trig",
    "bordergraph.jsonld",
    "bordergraph.rdf",
)
CONTEXT = "context.jsonld"
GRAPHML, GEXF, CYJS = "bordergraph.graphml", "bordergraph.gexf", "bordergraph.cyjs"
NEO4J_NODES, NEO4J_EDGES, CYPHER = "neo4j/nodes.csv", "neo4j/edges.csv", "neo4j/import.cypher"

GRAPHML_TYPE = "application/graphml+xml"
GEXF_TYPE = "application/gexf+xml"
CYJS_TYPE = "application/vnd.cytoscape.js+json"  # no registered type exists; this one names the format

#: The RDF dumps, for VoID ``void:dataDump`` (file name relative to the dump folder, media type).
DUMPS: list[tuple[str, str]] = [
    (NQ, "application/n-quads"),
    (TRIG, "application/trig"),
    (JSONLD, "application/ld+json"),
    (NT, "application/n-triples"),
    (TTL, "text/turtle"),
    (RDFXML, "application/rdf+xml"),
]
#: Which dumps keep one named graph per source (the others hold the RDF merge, the served default graph).
DATASET_DUMPS = {NQ, TRIG, JSONLD}

FORMAT_NAMES = {
    NQ: "N-Quads (sorted, canonical blank nodes)",
    TRIG: "TriG",
    JSONLD: "JSON-LD",
    NT: "N-Triples (sorted, canonical blank nodes)",
    TTL: "Turtle",
    RDFXML: "RDF/XML",
    CONTEXT: "JSON-LD context",
    GRAPHML: "GraphML",
    GEXF: "GEXF 1.2",
    CYJS: "Cytoscape.js JSON",
    NEO4J_NODES: "neo4j-admin import nodes CSV",
    NEO4J_EDGES: "neo4j-admin import relationships CSV",
    CYPHER: "Cypher script (MERGE, idempotent)",
}

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = PREFIXES["xsd"]
OA_HAS_BODY = PREFIXES["oa"] + "hasBody"
SOURCE_GRAPH = PREFIXES["bg"] + "sourceGraph"
#: Fallback labels, in order, when a resource has no rdfs:label.
LABEL_PREDICATES = [
    PREFIXES["skos"] + "prefLabel",
    PREFIXES["foaf"] + "name",
    PREFIXES["dcterms"] + "title",
    PREFIXES["schema"] + "name",
]
#: Properties whose xsd:date value is a resource's start on a timeline (GEXF ``start``, Neo4j ``start``).
START_PREDICATES = [PREFIXES["bg"] + "date", PREFIXES["dcterms"] + "issued"]
INTS = {"integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "unsignedInt"}
FLOATS = {"decimal", "double", "float"}
#: IRIs in these namespaces are vocabulary or graph names: values of attributes, never nodes.
VOCABULARY = (*(iri for prefix, iri in PREFIXES.items() if prefix not in {"bgr", "bgt", "wd"}), ONTOLOGY_IRI)
_PREFIX_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def curie(iri: str) -> str:
    """``bg:Meeting`` for a project-prefixed IRI, else the IRI itself."""
    for prefix, namespace in _PREFIX_BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def term_name(iri: str) -> str:
    """Attribute or relation name of a property: ``participant`` for bg: terms, ``org_holds`` for others.

    No colon, so the names work unchanged as Neo4j header fields, Cypher keys and GraphML keys.
    """
    short = curie(iri)
    if short == iri:
        return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri
    prefix, _, local = short.partition(":")
    return local if prefix == "bg" else f"{prefix}_{local}"


def local_name(iri: str) -> str:
    """``Meeting`` for bg:Meeting, ``Person`` for foaf:Person: a node type as people say it."""
    short = curie(iri)
    return short.partition(":")[2] if short != iri else term_name(iri)


# --------------------------------------------------------------------------------------------
# The projection: RDF → property graph
# --------------------------------------------------------------------------------------------

Scalar = str | int | float | bool


@dataclass
class Node:
    """A typed resource: IRI, one label, a type, and its plain values as attributes."""

    id: str
    label: str
    type: str
    types: tuple[str, ...]
    start: str | None
    attrs: dict[str, Scalar]


@dataclass
class Edge:
    """A relation between two resources, with the graph (source release) and quote it came from."""

    id: str
    source: str
    target: str
    relation: str
    graph: str
    release: str
    quote: str
    start: str | None


@dataclass
class PropertyGraph:
    """Nodes, edges and the type of each attribute (``str``, ``int``, ``float`` or ``bool``)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    attr_types: dict[str, str] = field(default_factory=dict)


def _key(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _is_node_iri(iri: str) -> bool:
    return not iri.startswith(VOCABULARY)


def _literal(lit: ox.Literal) -> tuple[str, str]:
    """(kind, lexical form) of a literal; language tags and other datatypes are kept as text."""
    datatype = lit.datatype.value
    if datatype.startswith(XSD):
        local = datatype[len(XSD) :]
        if local in INTS:
            return "int", lit.value
        if local in FLOATS:
            return "float", lit.value
        if local == "boolean":
            return "bool", lit.value
    return "str", lit.value


def _convert(kind: str, lexical: str) -> Scalar:
    if kind == "int":
        return int(lexical)
    if kind == "float":
        return float(lexical)
    if kind == "bool":
        return lexical in {"true", "1"}
    return lexical


def project_quads(quads: Iterable[ox.Quad | ox.Triple]) -> PropertyGraph:
    """Project RDF onto a property graph; the one projection every property-graph writer uses.

    Nodes are the resources (IRIs outside the vocabulary namespaces, and blank nodes nothing points
    to); literals and vocabulary IRIs (``bg:DateStated``) become attributes, never nodes. A blank
    node is folded into the resource that points to it: its values become that resource's attributes
    (and edges), named by the property path (``oa_hasTarget.oa_hasSelector.oa_exact``). Edges carry
    the named graph they are asserted in, its source release, and the annotations quoting their subject.
    Several values of one attribute are joined with `` | `` so that every format can hold them.
    """
    arcs: dict[str, list[tuple[str, Any, str]]] = defaultdict(list)
    pointed_to: set[str] = set()
    quotes: dict[tuple[str, str], set[str]] = defaultdict(set)
    releases: dict[str, str] = {}
    for quad in quads:
        named = isinstance(quad, ox.Quad) and isinstance(quad.graph_name, ox.NamedNode)
        g_name = quad.graph_name.value if named else ""  # type: ignore[union-attr]
        s, p, o = _key(quad.subject), quad.predicate.value, quad.object
        arcs[s].append((p, o, g_name))
        if isinstance(o, ox.BlankNode):
            pointed_to.add(_key(o))
        elif isinstance(o, ox.NamedNode):
            if p == OA_HAS_BODY:
                quotes[(g_name, o.value)].add(s)
            elif p == SOURCE_GRAPH:
                releases[o.value] = s
    node_ids = {s for s in arcs if (s not in pointed_to if s.startswith("_:") else _is_node_iri(s))}
    for s in [s for s in arcs if s in node_ids or s.startswith("_:")]:  # what nodes and their blank nodes point to
        for p, o, _g in arcs[s]:
            if isinstance(o, ox.NamedNode) and p != RDF_TYPE and _is_node_iri(o.value):
                node_ids.add(o.value)

    values: dict[str, dict[str, set[tuple[str, str]]]] = {}
    edge_keys: set[tuple[str, str, str, str]] = set()
    for node in node_ids:
        attrs: dict[str, set[tuple[str, str]]] = defaultdict(set)
        stack: list[tuple[str, str, frozenset[str]]] = [(node, "", frozenset({node}))]
        while stack:
            subject, path, seen = stack.pop()
            for p, o, g in arcs.get(subject, ()):
                name = path + term_name(p)
                if isinstance(o, ox.Literal):
                    attrs[name].add(_literal(o))
                elif isinstance(o, ox.BlankNode):
                    child = _key(o)
                    if child in node_ids:
                        edge_keys.add((node, name, child, g))
                    elif child not in seen:
                        stack.append((child, name + ".", seen | {child}))
                elif p == RDF_TYPE and not path:
                    attrs["\0type"].add(("str", o.value))
                elif o.value in node_ids:
                    edge_keys.add((node, name, o.value, g))
                else:
                    attrs[name].add(("str", curie(o.value)))
        values[node] = attrs

    pg = PropertyGraph()
    kinds: dict[str, set[str]] = defaultdict(set)
    for attrs in values.values():
        for name, vals in attrs.items():
            kinds[name].update({k for k, _ in vals} if len(vals) == 1 else {"str"})
    pg.attr_types = {name: _unify(k) for name, k in sorted(kinds.items()) if not name.startswith("\0")}
    pg.attr_types.pop("rdfs_label", None)
    for node_id in sorted(node_ids):
        attrs = values[node_id]
        type_iris = sorted(v for _, v in attrs.pop("\0type", set()))
        own = sorted(type_iris, key=lambda iri: (not iri.startswith(PREFIXES["bg"]), iri))
        label = _first_value(attrs, [RDFS_LABEL, *LABEL_PREDICATES]) or curie(node_id)
        attrs.pop("rdfs_label", None)
        start = _start(node_id, arcs)
        flat: dict[str, Scalar] = {}
        for name, vals in sorted(attrs.items()):
            kind = pg.attr_types[name]
            lexicals = sorted(lex for _, lex in vals)
            flat[name] = _convert(kind, lexicals[0]) if len(lexicals) == 1 else " | ".join(lexicals)
        pg.nodes[node_id] = Node(
            id=node_id,
            label=label,
            type=local_name(own[0]) if own else "Resource",
            types=tuple(local_name(t) for t in own),
            start=start,
            attrs=flat,
        )
    for index, (source, rel, target, g) in enumerate(sorted(edge_keys)):
        pg.edges.append(
            Edge(
                id=f"e{index}",
                source=source,
                target=target,
                relation=rel,
                graph=g,
                release=releases.get(g, ""),
                quote=" | ".join(sorted(quotes.get((g, source), ()))),
                start=pg.nodes[source].start,
            )
        )
    return pg


def _unify(kinds: set[str]) -> str:
    if kinds <= {"int"}:
        return "int"
    if kinds <= {"int", "float"}:
        return "float"
    if kinds == {"bool"}:
        return "bool"
    return "str"


def _first_value(attrs: dict[str, set[tuple[str, str]]], predicates: list[str]) -> str | None:
    for predicate in predicates:
        vals = attrs.get(term_name(predicate))
        if vals:
            return min(lex for _, lex in vals)
    return None


def _start(node_id: str, arcs: dict[str, list[tuple[str, Any, str]]]) -> str | None:
    """The first xsd:date (or the date of an xsd:dateTime) among the start properties."""
    for predicate in START_PREDICATES:
        dates = sorted(
            o.value[:10]
            for p, o, _g in arcs.get(node_id, ())
            if p == predicate and isinstance(o, ox.Literal) and o.datatype.value in {XSD + "date", XSD + "dateTime"}
        )
        if dates:
            return dates[0]
    return None


def project_triples(triples: Iterable[ox.Triple | ox.Quad]) -> PropertyGraph:
    """The projection of a CONSTRUCT or DESCRIBE result (edges then carry no graph)."""
    return project_quads(triples)


def named_quads(store: QueryStore) -> Iterator[ox.Quad]:
    """Every quad of the named graphs (the default graph only repeats them as a merge)."""
    for graph in sorted(store.store.named_graphs(), key=str):
        yield from store.store.quads_for_pattern(None, None, None, graph)


def project_store(store: QueryStore) -> PropertyGraph:
    return project_quads(named_quads(store))


# --------------------------------------------------------------------------------------------
# Property-graph writers
# --------------------------------------------------------------------------------------------


def to_networkx(pg: PropertyGraph) -> nx.MultiDiGraph:
    """A NetworkX multigraph of the projection: node and edge attributes are plain scalars."""
    import networkx as nx

    graph = nx.MultiDiGraph(name="bordergraph")
    for node in pg.nodes.values():
        data: dict[str, Scalar] = {"label": node.label, "type": node.type, "types": ";".join(node.types)}
        if node.start:
            data["start"] = node.start
        data.update(node.attrs)
        graph.add_node(node.id, **data)
    for edge in pg.edges:
        data = {"label": edge.relation, "relation": edge.relation, "graph": edge.graph, "release": edge.release}
        data["quote"] = edge.quote
        if edge.start:
            data["start"] = edge.start
        graph.add_edge(edge.source, edge.target, key=edge.id, **data)
    return graph


def write_graphml(pg: PropertyGraph) -> bytes:
    """GraphML with a ``label`` key (Gephi, yEd) and a ``name`` key (Cytoscape's default label column)."""
    import networkx as nx

    graph = to_networkx(pg)
    for node_id, data in graph.nodes(data=True):
        data["name"] = pg.nodes[node_id].label
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8", named_key_ids=True, edge_id_from_attribute=None)
    return buffer.getvalue()


def write_gexf(pg: PropertyGraph) -> bytes:
    """GEXF 1.2 for Gephi; nodes and edges with a date get ``start`` so the timeline works."""
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_gexf(to_networkx(pg), buffer, encoding="utf-8")
    return buffer.getvalue()


def write_cytoscape(pg: PropertyGraph) -> bytes:
    """Cytoscape.js JSON (``elements`` of ``data``), also what Cytoscape desktop imports as .cyjs."""
    nodes = []
    for n in pg.nodes.values():
        data: dict[str, Any] = {"id": n.id, "name": n.label, "label": n.label, "type": n.type, "types": list(n.types)}
        if n.start:
            data["start"] = n.start
        data.update(n.attrs)
        nodes.append({"data": data})
    edges = [
        {
            "data": {
                "id": e.id,
                "source": e.source,
                "target": e.target,
                "interaction": e.relation,
                "label": e.relation,
                "graph": e.graph,
                "release": e.release,
                "quote": e.quote,
            }
            | ({"start": e.start} if e.start else {})
        }
        for e in pg.edges
    ]
    document = {
        "format_version": "1.0",
        "generated_by": "bordergraph",
        "target_cytoscapejs_version": "~3",
        "data": {"name": "bordergraph"},
        "elements": {"nodes": nodes, "edges": edges},
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


NEO4J_TYPES = {"int": ":long", "float": ":double", "bool": ":boolean", "str": ""}


def _csv_value(value: Scalar | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_neo4j_csv(pg: PropertyGraph) -> tuple[bytes, bytes]:
    """``nodes.csv`` and ``edges.csv`` in the header format of ``neo4j-admin database import``.

    Every node has the label ``Resource`` plus its types; ``iri`` is the import ID and a property.
    Written by hand: the header format is Neo4j's own, and the csv module does the quoting.
    """
    attr_names = list(pg.attr_types)
    nodes, edges = io.StringIO(), io.StringIO()
    writer = csv.writer(nodes, lineterminator="\n")
    writer.writerow(
        ["iri:ID", "label", "type", ":LABEL", "start:date"]
        + [f"{name}{NEO4J_TYPES[pg.attr_types[name]]}" for name in attr_names]
    )
    for n in pg.nodes.values():
        labels = ";".join(dict.fromkeys(["Resource", *n.types]))
        writer.writerow(
            [n.id, n.label, n.type, labels, n.start or ""] + [_csv_value(n.attrs.get(a)) for a in attr_names]
        )
    writer = csv.writer(edges, lineterminator="\n")
    writer.writerow([":START_ID", ":END_ID", ":TYPE", "id", "graph", "release", "quote", "start:date"])
    for e in pg.edges:
        writer.writerow([e.source, e.target, e.relation, e.id, e.graph, e.release, e.quote, e.start or ""])
    return nodes.getvalue().encode("utf-8"), edges.getvalue().encode("utf-8")


def _cypher_string(value: str) -> str:
    # JSON's string escapes are a subset of Cypher's, so a JSON string is a valid Cypher string.
    return json.dumps(value, ensure_ascii=False)


def _cypher_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _cypher_string(value)


def _cypher_map(values: dict[str, Scalar]) -> str:
    return "{" + ", ".join(f"`{k}`: {_cypher_value(v)}" for k, v in values.items()) + "}"


def write_cypher(pg: PropertyGraph) -> bytes:
    """A Cypher script of MERGE statements: running it twice leaves the database unchanged.

    Nodes merge on ``iri``; edges merge on (start, type, graph, end), the projection's edge identity.
    """
    lines = [
        "// bordergraph property graph. Idempotent: nodes MERGE on iri, relationships on (type, graph).",
        "CREATE CONSTRAINT bordergraph_resource_iri IF NOT EXISTS FOR (n:Resource) REQUIRE n.iri IS UNIQUE;",
    ]
    for n in pg.nodes.values():
        props: dict[str, Scalar] = {"label": n.label, "type": n.type}
        if n.start:
            props["start"] = n.start
        props.update(n.attrs)
        labels = "".join(f":`{t}`" for t in n.types)
        set_labels = f" SET n{labels}" if labels else ""
        lines.append(f"MERGE (n:Resource {{iri: {_cypher_string(n.id)}}}){set_labels} SET n += {_cypher_map(props)};")
    for e in pg.edges:
        props = {"release": e.release, "quote": e.quote}
        if e.start:
            props["start"] = e.start
        lines.append(
            f"MATCH (a:Resource {{iri: {_cypher_string(e.source)}}}), (b:Resource {{iri: {_cypher_string(e.target)}}}) "
            f"MERGE (a)-[r:`{e.relation}` {{graph: {_cypher_string(e.graph)}}}]->(b) SET r += {_cypher_map(props)};"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


#: Property-graph formats the endpoint can answer CONSTRUCT/DESCRIBE with: media type → writer.
PROPERTY_GRAPH_FORMATS: dict[str, Callable[[PropertyGraph], bytes]] = {
    GRAPHML_TYPE: write_graphml,
    GEXF_TYPE: write_gexf,
    CYJS_TYPE: write_cytoscape,
}
#: Values of the endpoint's ``format`` parameter → media type.
PROPERTY_GRAPH_FORMAT_NAMES: dict[str, str] = {
    "graphml": GRAPHML_TYPE,
    "gexf": GEXF_TYPE,
    "cytoscape": CYJS_TYPE,
    "cyjs": CYJS_TYPE,
}


def property_graph_bytes(triples: Iterable[ox.Triple | ox.Quad], media_type: str) -> bytes:
    """Serialise a CONSTRUCT/DESCRIBE result as GraphML, GEXF or Cytoscape JSON (for the endpoint).

    Raises:
        KeyError: ``media_type`` is not one of ``PROPERTY_GRAPH_FORMATS``.

    """
    writer = PROPERTY_GRAPH_FORMATS[media_type]
    return writer(project_triples(triples))


# --------------------------------------------------------------------------------------------
# RDF dumps: streamed, sorted on disk, blank nodes canonical (RDFC-1.0)
# --------------------------------------------------------------------------------------------


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _canonical(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """The quads with blank nodes relabelled by RDFC-1.0, so that labels are the same run after run.

    Only quads that mention a blank node are held in memory: RDFC-1.0 labels depend on those alone.
    """
    blank: list[ox.Quad] = []
    for quad in quads:
        if _has_blank(quad):
            blank.append(quad)
        else:
            yield quad
    if blank:
        dataset = ox.Dataset(blank)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        yield from dataset


def _external_sort(lines: Iterable[str], workdir: Path, chunk: int = 200_000) -> Iterator[str]:
    """Sorted, de-duplicated lines with at most ``chunk`` of them in memory (runs spilled to disk).

    Written by hand around ``heapq.merge``: nothing maintained sorts a Python stream on disk.
    """
    runs: list[Path] = []
    buffer: list[str] = []

    def spill() -> None:
        run = workdir / f"run-{len(runs)}.txt"
        with run.open("w", encoding="utf-8") as handle:
            handle.writelines(line + "\n" for line in sorted(buffer))
        runs.append(run)
        buffer.clear()

    for line in lines:
        buffer.append(line)
        if len(buffer) >= chunk:
            spill()
    if not runs:
        yield from sorted(set(buffer))
        return
    if buffer:
        spill()
    handles = [run.open(encoding="utf-8") for run in runs]
    try:
        previous = None
        for line in heapq.merge(*handles):
            if line != previous:
                yield line.rstrip("\n")
                previous = line
    finally:
        for handle in handles:
            handle.close()


def write_sorted_nquads(store: QueryStore, target: Path, workdir: Path) -> int:
    """Named graphs as N-Quads, sorted by graph then triple; returns the number of quads."""
    keyed = (f"{q.graph_name} {q.triple}" for q in _canonical(named_quads(store)))
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for line in _external_sort(keyed, workdir):
            graph, _, triple = line.partition(" ")
            out.write(f"{triple} {graph} .\n")
            count += 1
    return count


def write_sorted_ntriples(store: QueryStore, target: Path, workdir: Path) -> int:
    """The default graph (the RDF merge of all graphs) as sorted N-Triples; returns the number of triples."""
    default = store.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    lines = (str(q.triple) for q in _canonical(default))
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for line in _external_sort(lines, workdir):
            out.write(line + " .\n")
            count += 1
    return count


def jsonld_context() -> dict[str, Any]:
    """The published JSON-LD context: the project prefix map, nothing else."""
    return {"@context": dict(PREFIXES)}


def _write_jsonld(nquads: Path, target: Path) -> None:
    """Stream pyoxigraph's JSON-LD of the named graphs inside a document carrying the published context."""
    context = json.dumps(jsonld_context()["@context"], ensure_ascii=False, indent=1)
    with target.open("wb") as out:
        out.write(b'{"@context": ' + context.encode("utf-8") + b',\n"@graph": ')
        ox.serialize(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS), out, ox.RdfFormat.JSON_LD)
        out.write(b"}\n")


def write_rdf_dumps(store: QueryStore, out: Path) -> dict[str, int]:
    """Write every RDF dump into ``out``; returns the triple (or quad) count of each file.

    N-Quads and N-Triples are sorted with canonical blank nodes; Turtle, TriG and RDF/XML are
    streamed from them by pyoxigraph, so every dump is byte-stable from run to run.
    """
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bordergraph-sort-") as tmp:
        counts[NQ] = write_sorted_nquads(store, out / NQ, Path(tmp))
        counts[NT] = write_sorted_ntriples(store, out / NT, Path(tmp))
    for name, source, fmt in [
        (TRIG, NQ, ox.RdfFormat.TRIG),
        (TTL, NT, ox.RdfFormat.TURTLE),
        (RDFXML, NT, ox.RdfFormat.RDF_XML),
    ]:
        source_format = ox.RdfFormat.N_QUADS if source == NQ else ox.RdfFormat.N_TRIPLES
        ox.serialize(ox.parse(path=out / source, format=source_format), out / name, fmt, prefixes=PREFIXES)
        counts[name] = counts[source]
    _write_jsonld(out / NQ, out / JSONLD)
    counts[JSONLD] = counts[NQ]
    (out / CONTEXT).write_text(json.dumps(jsonld_context(), indent=1) + "\n", encoding="utf-8")
    return counts


# --------------------------------------------------------------------------------------------
# The export folder: dumps, property graph, vocabulary, manifest and SHA256SUMS
# --------------------------------------------------------------------------------------------

MEDIA_TYPES = dict(DUMPS) | {
    CONTEXT: "application/ld+json",
    GRAPHML: GRAPHML_TYPE,
    GEXF: GEXF_TYPE,
    CYJS: CYJS_TYPE,
    NEO4J_NODES: "text/csv",
    NEO4J_EDGES: "text/csv",
    CYPHER: "application/x-cypher-query",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_property_graph(pg: PropertyGraph, out: Path) -> None:
    """Every property-graph file, from the one projection."""
    (out / "neo4j").mkdir(parents=True, exist_ok=True)
    (out / GRAPHML).write_bytes(write_graphml(pg))
    (out / GEXF).write_bytes(write_gexf(pg))
    (out / CYJS).write_bytes(write_cytoscape(pg))
    nodes, edges = write_neo4j_csv(pg)
    (out / NEO4J_NODES).write_bytes(nodes)
    (out / NEO4J_EDGES).write_bytes(edges)
    (out / CYPHER).write_bytes(write_cypher(pg))


def export(
    store: QueryStore,
    out: Path,
    vocabulary: Iterable[Path] = (),
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write all dumps, the property graph, the vocabulary files, ``manifest.json`` and ``SHA256SUMS``.

    Args:
        store: the validated store (its default graph is the merge of its named graphs).
        out: the folder to write into (created if needed).
        vocabulary: ontology and shapes files, copied unchanged into ``out/ontology/``.
        metadata: extra top-level manifest fields (a release's version, date and version IRI).

    Returns:
        The manifest.

    """
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {name: {"triples": n} for name, n in write_rdf_dumps(store, out).items()}
    for name in DATASET_DUMPS:
        counts[name] = {"quads": counts[name]["triples"]}
    pg = project_store(store)
    write_property_graph(pg, out)
    for name in (GRAPHML, GEXF, CYJS, NEO4J_NODES, NEO4J_EDGES, CYPHER):
        counts[name] = {"nodes": len(pg.nodes), "edges": len(pg.edges)}
    files = [*counts, CONTEXT]
    for source in vocabulary:
        name = f"ontology/{source.name}"
        (out / "ontology").mkdir(exist_ok=True)
        shutil.copyfile(source, out / name)
        MEDIA_TYPES.setdefault(name, "text/turtle")
        files.append(name)
    from bordergraph import __version__

    manifest: dict[str, Any] = {"generator": f"bordergraph {__version__}", **(metadata or {}), "files": []}
    for name in sorted(files):
        path = out / name
        entry: dict[str, Any] = {
            "file": name,
            "format": FORMAT_NAMES.get(name, "Turtle"),
            "media_type": MEDIA_TYPES[name],
            "size": path.stat().st_size,
        }
        entry.update(counts.get(name, {}))
        entry["sha256"] = _sha256(path)
        manifest["files"].append(entry)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_checksums(out)
    return manifest


def write_checksums(out: Path) -> Path:
    """``SHA256SUMS`` for every file under ``out`` (``sha256sum -c SHA256SUMS`` checks them)."""
    target = out / "SHA256SUMS"
    lines = [
        f"{_sha256(path)}  {path.relative_to(out).as_posix()}"
        for path in sorted(out.rglob("*"))
        if path.is_file() and path != target
    ]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def export_built(built: Built, out: Path, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Export a validated build, with its ontology, topics and shapes beside the dumps."""
    paths = built.loaded.paths
    return export(built.store, out, [*paths.ontology_files, paths.shapes_file], metadata)


# --------------------------------------------------------------------------------------------
# Releases
# --------------------------------------------------------------------------------------------

VERSION_IRI = re.compile(r"owl:versionIRI\s+<[^>]*>")
VERSION_INFO = re.compile(r'owl:versionInfo\s+"[^"]*"')


class ReleaseError(Exception):
    """A release cannot be written; the message says what to change."""


def version_iri(date: dt.date) -> str:
    """The dated version IRI of the ontology in a release."""
    return f"{ONTOLOGY_IRI}/{date.isoformat()}"


def _stamp_ontology(path: Path, version: str, date: dt.date) -> None:
    """Set owl:versionIRI and owl:versionInfo in the released copy of the ontology (text edit keeps comments)."""
    text = path.read_text(encoding="utf-8")
    if len(VERSION_IRI.findall(text)) != 1 or len(VERSION_INFO.findall(text)) != 1:
        raise ReleaseError(f'{path.name} must state owl:versionIRI <...> and owl:versionInfo "..." exactly once')
    text = VERSION_IRI.sub(f"owl:versionIRI <{version_iri(date)}>", text)
    text = VERSION_INFO.sub(f'owl:versionInfo "{version}"', text)
    path.write_text(text, encoding="utf-8")


def _stamped(store: QueryStore, version: str, date: dt.date) -> QueryStore:
    """A copy of the store whose ontology states the release's version IRI and version."""
    from bordergraph.querystore import QueryStore

    owl = PREFIXES["owl"]
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    replaced = {ox.NamedNode(owl + "versionIRI"), ox.NamedNode(owl + "versionInfo")}
    copy = ox.Store()
    copy.bulk_extend(
        q
        for q in store.store.quads_for_pattern(None, None, None, None)
        if not (q.subject == ontology and q.predicate in replaced)
    )
    new: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (ox.NamedNode(owl + "versionIRI"), ox.NamedNode(version_iri(date))),
        (ox.NamedNode(owl + "versionInfo"), ox.Literal(version)),
    ]
    for graph in (ox.NamedNode(str(BGG["ontology"])), ox.DefaultGraph()):
        copy.bulk_extend(ox.Quad(ontology, p, o, graph) for p, o in new)
    return QueryStore(copy)


def _previous_release(dist: Path, current: str) -> Path | None:
    """The most recent other release in ``dist`` (by date, then version), if any."""
    found: list[tuple[str, str, Path]] = []
    for manifest in dist.glob("*/manifest.json"):
        if manifest.parent.name == current:
            continue
        data = json.loads(manifest.read_text(encoding="utf-8"))
        found.append((str(data.get("date", "")), str(data.get("version", "")), manifest.parent))
    return max(found)[2] if found else None


def graph_changes(previous: Path | None, current: Path) -> dict[str, dict[str, int]]:
    """Triples added and removed per named graph between two N-Quads dumps (blank nodes compared canonically)."""
    from rdflib import Dataset, URIRef
    from rdflib.compare import graph_diff, to_isomorphic

    def graphs(path: Path | None) -> dict[str, Any]:
        if path is None:
            return {}
        dataset = Dataset()
        dataset.parse(path, format="nquads")
        return {str(g.identifier): g for g in dataset.graphs() if len(g) and isinstance(g.identifier, URIRef)}

    old, new = graphs(previous), graphs(current)
    changes: dict[str, dict[str, int]] = {}
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            changes[name] = {"added": len(new.get(name, ())), "removed": len(old.get(name, ()))}
            continue
        _both, removed, added = graph_diff(to_isomorphic(old[name]), to_isomorphic(new[name]))
        changes[name] = {"added": len(added), "removed": len(removed)}
    return changes


def _changelog(version: str, date: dt.date, previous: Path | None, changes: dict[str, dict[str, int]]) -> str:
    against = f"release {previous.name}" if previous else "nothing (first release)"
    lines = [
        f"# bordergraph {version} ({date.isoformat()})",
        "",
        f"Ontology version IRI: <{version_iri(date)}>",
        "",
        f"Changes against {against}, in triples per named graph:",
        "",
        "| graph | added | removed |",
        "|---|---:|---:|",
    ]
    lines += [f"| {curie(g)} | {c['added']} | {c['removed']} |" for g, c in changes.items()]
    total_added = sum(c["added"] for c in changes.values())
    total_removed = sum(c["removed"] for c in changes.values())
    lines += [f"| **total** | {total_added} | {total_removed} |", ""]
    return "\n".join(lines)


def release(built: Built, dist: Path, version: str, date: dt.date, force: bool = False) -> Path:
    """Write ``dist/<version>/``: every export, the dated version IRI, and a changelog against the last release.

    Raises:
        ReleaseError: the release folder exists (and ``force`` is off), or the ontology cannot be stamped.

    """
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]*", version):
        raise ReleaseError(f"version {version!r} is not a plain version string such as 0.2.0")
    target = dist / version
    if target.exists():
        if not force:
            raise ReleaseError(f"{target} exists: bump the version in pyproject.toml, or pass --force to rewrite it")
        shutil.rmtree(target)
    previous = _previous_release(dist, version)
    paths = built.loaded.paths
    stamped = _stamped(built.store, version, date)
    metadata = {"version": version, "date": date.isoformat(), "versionIRI": version_iri(date)}
    export(stamped, target, [*paths.ontology_files, paths.shapes_file], metadata)
    _stamp_ontology(target / "ontology" / "bordergraph.ttl", version, date)
    changes = graph_changes(previous / NQ if previous else None, target / NQ)
    (target / "CHANGELOG.md").write_text(_changelog(version, date, previous, changes), encoding="utf-8")
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["previous"] = previous.name if previous else None
    manifest["changes"] = changes
    for entry in manifest["files"]:
        path = target / entry["file"]
        entry["size"], entry["sha256"] = path.stat().st_size, _sha256(path)
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_checksums(target)
    return target


__all__ = [
    "DUMPS",
    "PROPERTY_GRAPH_FORMATS",
    "PROPERTY_GRAPH_FORMAT_NAMES",
    "Edge",
    "Node",
    "PropertyGraph",
    "export",
    "project_quads",
    "project_triples",
    "property_graph_bytes",
    "release",
    "to_networkx",
]
