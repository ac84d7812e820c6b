"""The site's view models: terms, quotes, sources and the lookups every page needs, computed once from the store."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import HTTPException, Request

from bordergraph.describe import (
    DATASET,
    DEFAULT,
    Triples,
    bounded_description,
    dataset_description,
    evidenced_facts,
    graph_triples,
)
from bordergraph.export.dumps import trig_of
from bordergraph.paths import Paths
from bordergraph.prefixes import BASE, ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES, RDF_TYPE, curie, sparql_prologue
from bordergraph.querystore import QueryStore
from bordergraph.web.ui import COUNTRY_COLOURS, KIND_COLOURS, SPARQL_PATH, local_href

EXACT_MATCH = (PREFIXES["skos"] + "exactMatch", PREFIXES["skos"] + "closeMatch")
# Evidence and mapping bookkeeping: listed on the page, left out of the drawings.
HIDDEN_IN_DRAWING = {
    PREFIXES["oa"] + "Annotation",
    "https://w3id.org/sssom/Mapping",
    "https://w3id.org/sssom/MappingSet",
} | {PREFIXES["bg"] + c for c in ("Participation", "PostHolding", "Claim", "Figure", "Quotation")}
HUB_EDGES = ("participant", "party", "signatory")
PROLOGUE = sparql_prologue()


@dataclass
class Term:
    """One RDF term, ready for a template: what to show, where it links, and blank-node details."""

    text: str
    kind: str  # iri | literal | bnode
    iri: str = ""
    href: str = ""
    note: str = ""
    children: list[tuple[Term, list[Term]]] = field(default_factory=list)


@dataclass(frozen=True)
class Quote:
    """One annotation: the verbatim words, their offsets in the source, and the facts they support."""

    annotation: str
    source: str
    exact: str
    start: int
    end: int
    facts: tuple[str, ...]

    @property
    def anchor(self) -> str:
        return self.annotation.rsplit("/", 1)[-1]

    @property
    def href(self) -> str:
        return local_href(self.annotation)


@dataclass
class Source:
    """A source document, its archived text and its quotes."""

    iri: str
    title: str
    date: str
    date_as_stated: str
    publisher: str
    place: str
    sha256: str
    path: str
    graph: str
    notes: list[str]
    text: str
    quotes: list[Quote] = field(default_factory=list)
    slug: str = field(init=False)
    graph_href: str = field(init=False)

    def __post_init__(self) -> None:
        self.slug = self.iri.rsplit("/", 1)[-1]
        self.graph_href = local_href(self.graph)

    @cached_property
    def coverage(self) -> tuple[int, int, int, int]:
        """(cited non-blank chars, non-blank chars, cited chars, all chars).

        "Substantive" is every character that is not white space: page chrome cannot be told
        apart mechanically (its spans are described in words in skos:editorialNote), so the
        figure is a lower bound on the share of the release's own text that is cited.
        """
        covered = bytearray(len(self.text))
        for q in self.quotes:
            covered[q.start : q.end] = b"\x01" * (q.end - q.start)
        cited = sum(1 for i, ch in enumerate(self.text) if covered[i] and not ch.isspace())
        solid = sum(1 for ch in self.text if not ch.isspace())
        return cited, solid, sum(covered), len(self.text)

    @property
    def percent(self) -> float:
        cited, solid, _, _ = self.coverage
        return round(100 * cited / solid, 1) if solid else 0.0

    def segments(self) -> list[tuple[str, list[Quote], list[Quote]]]:
        """Cut the text at every quote boundary: (text, quotes covering it, quotes starting here)."""
        cuts = sorted({0, len(self.text)} | {q.start for q in self.quotes} | {q.end for q in self.quotes})
        out = []
        for a, b in pairwise(cuts):
            covering = [q for q in self.quotes if q.start <= a and b <= q.end]
            starting = [q for q in self.quotes if q.start == a]
            out.append((self.text[a:b], covering, starting))
        return out


@dataclass(frozen=True)
class Urls:
    """Where this server is reached: the site's base URL and its SPARQL endpoint."""

    site: str
    endpoint: str


class SiteData:
    """What the pages need, computed once from the validated store."""

    def __init__(self, store: QueryStore, paths: Paths, dump: Path, public_url: str | None) -> None:
        self.paths = paths
        # The build's canonical dump, served as is (and as TriG), with the checksums VoID states.
        self.nquads = dump.read_bytes()
        self.trig = trig_of(dump)
        self.checksums = {
            "nquads": hashlib.sha256(self.nquads).hexdigest(),
            "trig": hashlib.sha256(self.trig).hexdigest(),
        }
        self.qs = store
        self.ox: ox.Store = store.store
        self.public_url = public_url
        self.facts = evidenced_facts(self.qs)
        self.labels = self._labels()
        self.types: dict[str, list[str]] = defaultdict(list)
        for row in self.select("SELECT DISTINCT ?s ?t WHERE { ?s a ?t FILTER(isIRI(?s)) } ORDER BY ?s ?t"):
            self.types[row["s"].value].append(row["t"].value)
        self.kinds = self._kind_classes()
        self.countries = self._countries()
        self.sources = self._sources()
        self.quotes_of: dict[str, list[Quote]] = defaultdict(list)
        for source in self.sources.values():
            for q in source.quotes:
                for fact in q.facts:
                    self.quotes_of[fact].append(q)
        self._descriptions: dict[Urls, tuple[Triples, ox.Store]] = {}
        self._cache: dict[tuple[str, Urls], str] = {}
        self.known = self._known(self.described(Urls("http://localhost", "http://localhost/sparql"))[1])

    def urls(self, request: Request) -> Urls:
        """The configured public URL, else the URL the client used (as the endpoint does)."""
        if self.public_url:
            end = self.public_url
            base = end[: -len(SPARQL_PATH)] if end.endswith(SPARQL_PATH) else end.rstrip("/")
            return Urls(base, end)
        base = str(request.base_url).rstrip("/")
        return Urls(base, base + SPARQL_PATH)

    def described(self, urls: Urls) -> tuple[Triples, ox.Store]:
        """The VoID/DCAT description for these URLs, as triples and as a store to describe from."""
        if urls not in self._descriptions:
            if len(self._descriptions) > 16:  # Host headers vary; do not grow without bound
                self._descriptions.clear()
            triples = dataset_description(self.qs, urls.site, urls.endpoint, self.checksums)
            store = ox.Store()
            store.extend(ox.Quad(t.subject, t.predicate, t.object, DEFAULT) for t in triples)
            self._descriptions[urls] = (triples, store)
        return self._descriptions[urls]

    # -- lookups ------------------------------------------------------------------------

    def select(self, query: str) -> list[dict[str, Any]]:
        """Run a SELECT on the validated store (project prefixes declared) and return its rows."""
        result = self.qs.query(PROLOGUE + query)
        names = [v.value for v in result.variables]
        return [{n: row[n] for n in names} for row in result]

    def _labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        rows = self.select(
            "SELECT ?s ?l WHERE { { ?s rdfs:label ?l } UNION { ?s skos:prefLabel ?l } FILTER(isIRI(?s)) "
            "FILTER(LANG(?l) IN ('en', '')) } ORDER BY ?s ?l"
        )
        for row in rows:
            labels.setdefault(row["s"].value, row["l"].value)
        return labels

    def _kind_classes(self) -> dict[str, set[str]]:
        def closure(*tops: str) -> set[str]:
            values = " ".join(f"<{t}>" for t in tops)
            rows = self.select(f"SELECT DISTINCT ?c WHERE {{ VALUES ?top {{ {values} }} ?c rdfs:subClassOf* ?top }}")
            return {r["c"].value for r in rows} | set(tops)

        bg, org = PREFIXES["bg"], PREFIXES["org"]
        return {
            "person": {PREFIXES["foaf"] + "Person"},
            "government": closure(bg + "Government"),
            "organisation": closure(org + "Organization", org + "FormalOrganization") - {bg + "Government"},
            "post": {org + "Post"},
            "event": closure(bg + "Event"),
            "agreement": closure(bg + "PolicyDocument"),
            "program": closure(bg + "Program"),
            "place": closure(bg + "Place"),
            "source": {bg + "SourceDocument"},
            "fact": closure(bg + "EvidencedFact"),
            "topic": {PREFIXES["skos"] + "Concept"},
        }

    def kind(self, iri: str) -> str:
        types = set(self.types.get(iri, ()))
        for name, classes in self.kinds.items():
            if types & classes:
                return name
        return "other"

    def _countries(self) -> dict[str, str]:
        rows = self.select(
            "SELECT DISTINCT ?x ?c WHERE { { ?x bg:country ?c } UNION { ?x bg:governmentOf ?c } "
            "UNION { ?x org:holds/bg:country ?c } UNION { ?x org:holds/org:postIn/bg:governmentOf ?c } "
            "UNION { ?x a bg:Country BIND(?x AS ?c) } } ORDER BY ?x ?c"
        )
        countries: dict[str, str] = {}
        for row in rows:
            countries.setdefault(row["x"].value, row["c"].value)
        return countries

    def _sources(self) -> dict[str, Source]:
        rows = self.select(
            "SELECT ?s ?path ?title ?issued ?asStated ?publisher ?place ?sha ?graph "
            "(GROUP_CONCAT(?note; SEPARATOR='\\u0000') AS ?notes) WHERE { "
            "?s a bg:SourceDocument ; bg:localPath ?path ; bg:sha256 ?sha ; bg:sourceGraph ?graph . "
            "OPTIONAL { ?s dcterms:title ?title } OPTIONAL { ?s dcterms:issued ?issued } "
            "OPTIONAL { ?s bg:dateAsStated ?asStated } OPTIONAL { ?s bg:publisherAsStated ?publisher } "
            "OPTIONAL { ?s bg:placeOfIssueAsStated ?place } OPTIONAL { ?s skos:editorialNote ?note } } "
            "GROUP BY ?s ?path ?title ?issued ?asStated ?publisher ?place ?sha ?graph ORDER BY ?issued ?s"
        )

        def v(row: dict[str, Any], key: str) -> str:
            return row[key].value if row[key] is not None else ""

        sources: dict[str, Source] = {}
        for row in rows:
            iri = row["s"].value
            # The archived text is the one thing the graph only points to; validate() has
            # already checked its sha256 and every quote against it.
            text = (self.paths.root / v(row, "path")).read_text(encoding="utf-8")
            notes = [n for n in v(row, "notes").split("\u0000") if n]
            sources[iri] = Source(
                iri=iri,
                title=v(row, "title") or self.labels.get(iri, iri),
                date=v(row, "issued"),
                date_as_stated=v(row, "asStated"),
                publisher=v(row, "publisher"),
                place=v(row, "place"),
                sha256=v(row, "sha"),
                path=v(row, "path"),
                graph=v(row, "graph"),
                notes=notes,
                text=text,
            )
        quotes = self.select(
            "SELECT ?ann ?src ?exact ?start ?end (GROUP_CONCAT(STR(?fact); SEPARATOR=' ') AS ?facts) WHERE { "
            "?ann oa:hasBody ?fact ; oa:hasTarget ?t . ?t oa:hasSource ?src ; oa:hasSelector ?qs , ?ps . "
            "?qs oa:exact ?exact . ?ps oa:start ?start ; oa:end ?end } "
            "GROUP BY ?ann ?src ?exact ?start ?end ORDER BY ?src ?start ?ann"
        )
        for row in quotes:
            source = sources.get(row["src"].value)
            if source is None:
                continue
            facts = tuple(sorted(set(row["facts"].value.split())))
            source.quotes.append(
                Quote(
                    annotation=row["ann"].value,
                    source=source.iri,
                    exact=row["exact"].value,
                    start=int(row["start"].value),
                    end=int(row["end"].value),
                    facts=facts,
                )
            )
        return sources

    def _known(self, void: ox.Store) -> set[str]:
        """Every namespace IRI (without fragment) that resolves: those in the data and in the VoID."""
        known: set[str] = set()
        for store in (self.ox, void):
            for q in store.quads_for_pattern(None, None, None, None):
                for term in (q.subject, q.predicate, q.object, q.graph_name):
                    if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                        known.add(term.value.split("#", 1)[0])
        return known

    def source_by_slug(self, slug: str) -> Source:
        source = self.sources.get(PREFIXES["bgr"] + slug)
        if source is None:
            raise HTTPException(404, f"no archived source has the slug {slug!r}")
        return source

    # -- RDF descriptions ---------------------------------------------------------------

    def triples_for(self, iri: str, urls: Urls) -> Triples:
        """The RDF a namespace IRI is described by (a graph's content, the ontology, a CBD)."""
        if iri == ONTOLOGY_IRI or iri == self.version_iri:
            return graph_triples(self.ox, str(ONTOLOGY_GRAPH))
        if iri.startswith(PREFIXES["bgg"]):
            return graph_triples(self.ox, iri)
        if iri == DATASET or iri.startswith(DATASET + "/"):
            return bounded_description(self.described(urls)[1], iri, set())
        return bounded_description(self.ox, iri, self.facts)

    @cached_property
    def version_iri(self) -> str:
        rows = self.select(f"SELECT ?v WHERE {{ <{ONTOLOGY_IRI}> owl:versionIRI ?v }}")
        return rows[0]["v"].value if rows else ONTOLOGY_IRI

    # -- views --------------------------------------------------------------------------

    def term(self, node: Any, triples: Triples | None = None, depth: int = 0) -> Term:
        """A template-ready view of an RDF term; blank nodes show their own properties."""
        if isinstance(node, ox.NamedNode):
            iri = node.value
            text = self.labels.get(iri) or curie(iri) or iri
            return Term(text=text, kind="iri", iri=iri, href=local_href(iri), note=curie(iri) or "")
        if isinstance(node, ox.Literal):
            note = f"@{node.language}" if node.language else ""
            if not note and node.datatype.value != PREFIXES["xsd"] + "string":
                note = curie(node.datatype.value) or node.datatype.value
            return Term(text=node.value, kind="literal", note=note)
        view = Term(text="(details)", kind="bnode")
        if triples is not None and depth < 4:
            view.children = self.grouped([t for t in triples if t.subject == node], triples, depth + 1)
        return view

    def grouped(self, triples: Triples, context: Triples, depth: int = 0) -> list[tuple[Term, list[Term]]]:
        """Outgoing triples grouped by property, properties in label order."""
        groups: dict[str, list[Any]] = defaultdict(list)
        for t in triples:
            groups[t.predicate.value].append(t.object)
        rows = []
        for predicate, objects in groups.items():
            values = sorted((self.term(o, context, depth) for o in objects), key=lambda v: (v.kind, v.text))
            rows.append((self.term(ox.NamedNode(predicate)), values))
        return sorted(rows, key=lambda row: row[0].text.lower())

    def described_in(self, iri: str) -> list[Source]:
        node = ox.NamedNode(iri)
        quads = self.ox.quads_for_pattern(node, None, None, None)
        graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
        return [s for s in self.sources.values() if s.graph in graphs]

    def evidence(self, iri: str, triples: Triples) -> list[dict[str, Any]]:
        """The facts a page shows "why we say this" for: the node, what it points to, what points to it."""
        node = ox.NamedNode(iri)
        related = {iri} | {t.object.value for t in triples if t.subject == node and isinstance(t.object, ox.NamedNode)}
        related |= {t.subject.value for t in triples if t.object == node and isinstance(t.subject, ox.NamedNode)}
        out = []
        for fact in sorted(related & self.facts, key=lambda f: (f != iri, self.labels.get(f, f))):
            quotes = sorted(self.quotes_of.get(fact, []), key=lambda q: (self.sources[q.source].date, q.start))
            out.append(
                {
                    "fact": self.term(ox.NamedNode(fact)),
                    "types": [self.term(ox.NamedNode(t)) for t in self.types.get(fact, [])],
                    "quotes": [(q, self.sources[q.source]) for q in quotes],
                }
            )
        return out

    def node(self, iri: str) -> dict[str, Any]:
        kind, country = self.kind(iri), self.countries.get(iri, "")
        return {
            "id": iri,
            "label": self.labels.get(iri) or curie(iri) or iri,
            "kind": kind,
            "country": country,
            "colour": KIND_COLOURS[kind],
            "border": COUNTRY_COLOURS.get(country, "#777777" if country else "#c8c8c8"),
            "href": local_href(iri),
        }

    def network(self, edges: list[tuple[str, str, str]], centre: str = "") -> dict[str, Any]:
        """Nodes and edges for cytoscape.js, plus the same links as table rows."""
        seen: dict[str, dict[str, Any]] = {}
        for s, _, o in edges:
            for n in (s, o):
                seen.setdefault(n, self.node(n))
        if centre:
            seen.setdefault(centre, self.node(centre))["centre"] = True
        unique = sorted(set(edges))
        return {
            "nodes": [{"data": d} for d in seen.values()],
            "edges": [
                {"data": {"id": f"e{i}", "source": s, "target": o, "label": self.term(ox.NamedNode(p)).text}}
                for i, (s, p, o) in enumerate(unique)
            ],
            "rows": [
                (self.term(ox.NamedNode(s)), self.term(ox.NamedNode(p)), self.term(ox.NamedNode(o)))
                for s, p, o in unique
            ],
            "kinds": sorted({d["kind"] for d in seen.values()}),
            "countries": sorted({d["country"] for d in seen.values() if d["country"]}),
        }

    def neighbourhood(self, iri: str) -> dict[str, Any]:
        """Direct links of a node, plus who takes part in the events and agreements it touches."""

        def shown(other: str) -> bool:
            return (
                other.startswith(BASE)
                and not other.startswith(PREFIXES["bg"])
                and not set(self.types.get(other, ())) & HIDDEN_IN_DRAWING
            )

        node = ox.NamedNode(iri)
        edges: list[tuple[str, str, str]] = []
        for q in self.ox.quads_for_pattern(node, None, None, DEFAULT):
            if isinstance(q.object, ox.NamedNode) and q.predicate.value != RDF_TYPE and shown(q.object.value):
                edges.append((iri, q.predicate.value, q.object.value))
        for q in self.ox.quads_for_pattern(None, None, node, DEFAULT):
            if isinstance(q.subject, ox.NamedNode) and shown(q.subject.value):
                edges.append((q.subject.value, q.predicate.value, iri))
        hubs = {n for e in edges for n in (e[0], e[2]) if self.kind(n) in ("event", "agreement")} | {iri}
        for hub in sorted(hubs):
            for name in HUB_EDGES:
                for q in self.ox.quads_for_pattern(
                    ox.NamedNode(hub), ox.NamedNode(PREFIXES["bg"] + name), None, DEFAULT
                ):
                    if isinstance(q.object, ox.NamedNode):
                        edges.append((hub, q.predicate.value, q.object.value))
        return self.network(edges[:150], centre=iri)

    @cached_property
    def actor_network(self) -> dict[str, Any]:
        rows = self.select(
            "SELECT ?hub ?p ?actor WHERE { VALUES ?p { bg:participant bg:party bg:signatory } ?hub ?p ?actor } "
            "ORDER BY ?hub ?p ?actor"
        )
        return self.network([(r["hub"].value, r["p"].value, r["actor"].value) for r in rows])
