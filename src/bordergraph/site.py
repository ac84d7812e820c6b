"""The Linked Data site: every IRI of the namespace resolves, and pages show the evidence.

``https://w3id.org/bordergraph/{path}`` is served at ``{site}/{path}``. Things (records, topics,
the ontology, named graphs, the dataset and its partitions) answer ``303 See Other`` to a
document chosen by Accept (``.html``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``), the Cool URIs
recipe for slash IRIs; documents (``/.well-known/void``, source texts, dumps) answer ``200``
directly. Pages are rendered on the server with jinja2 (autoescaped) and read without
JavaScript; the network drawings (vendored cytoscape.js) come with a table of the same links.
Everything is computed once from the validated store, never from the files again, except the
archived source texts that the graph only points to (``bg:localPath``).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException

from bordergraph import __version__
from bordergraph.app import SPARQL_PATH, negotiate
from bordergraph.build import Built
from bordergraph.describe import (
    DATASET,
    DEFAULT,
    LICENCE,
    RDF_MEDIA,
    Triples,
    bounded_description,
    count,
    dataset_description,
    downloads,
    evidenced_facts,
    graph_triples,
    schema_org,
    serialize,
)
from bordergraph.paths import Paths
from bordergraph.prefixes import BASE, ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES, sparql_prologue
from bordergraph.queries import examples

STATIC = Path(__file__).parent / "static"
TEMPLATES = Environment(
    loader=PackageLoader("bordergraph", "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True
)
HTML = "text/html"
OFFERED = [HTML] + [media for media, _ in RDF_MEDIA.values()]
EXTENSION = {media: ext for ext, (media, _) in RDF_MEDIA.items()} | {HTML: "html"}
RDF_TYPE = PREFIXES["rdf"] + "type"
EXACT_MATCH = (PREFIXES["skos"] + "exactMatch", PREFIXES["skos"] + "closeMatch")
# Evidence and mapping bookkeeping: listed on the page, left out of the drawings.
HIDDEN_IN_DRAWING = {
    PREFIXES["oa"] + "Annotation",
    "https://w3id.org/sssom/Mapping",
    "https://w3id.org/sssom/MappingSet",
} | {PREFIXES["bg"] + c for c in ("Participation", "PostHolding", "Claim", "Figure", "Quotation")}
HUB_EDGES = ("participant", "party", "signatory")
KIND_COLOURS = {
    "person": "#4e79a7",
    "government": "#f28e2b",
    "organisation": "#e15759",
    "post": "#76b7b2",
    "event": "#59a14f",
    "agreement": "#edc948",
    "program": "#b07aa1",
    "place": "#ff9da7",
    "topic": "#9c755f",
    "source": "#bab0ac",
    "fact": "#d3d3d3",
    "other": "#ffffff",
}
COUNTRY_COLOURS = {BASE + "id/canada": "#d52b1e", BASE + "id/united-states": "#1d3f8f"}
PROLOGUE = sparql_prologue()


def curie(iri: str) -> str | None:
    """``bg:Meeting`` for a full IRI in the project prefix map, else None."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return None


def local_href(iri: str) -> str:
    """Where an IRI is served: namespace IRIs map onto this site's paths, others stay as they are."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else iri


def query_link(query: str) -> str:
    """A link that opens the query UI with ``query`` in a new tab (YASGUI reads the fragment)."""
    return f"{SPARQL_PATH}#query={quote(query, safe='')}"


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

    @property
    def slug(self) -> str:
        return self.iri.rsplit("/", 1)[-1]

    @property
    def graph_href(self) -> str:
        return local_href(self.graph)

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


class Site:
    """What the pages need, computed once from a validated build."""

    def __init__(self, built: Built, public_url: str | None) -> None:
        self.built = built
        self.paths: Paths = built.loaded.paths
        self.qs = built.store
        self.ox: ox.Store = built.store.store
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
            triples = dataset_description(self.qs, urls.site, urls.endpoint)
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

    # -- pages --------------------------------------------------------------------------

    def render(self, template: str, **context: Any) -> str:
        return TEMPLATES.get_template(template).render(
            version=__version__,
            kind_colours=KIND_COLOURS,
            country_colours=COUNTRY_COLOURS,
            labels=self.labels,
            **context,
        )

    def entity_page(self, iri: str, urls: Urls) -> str:
        triples = self.triples_for(iri, urls)
        node = ox.NamedNode(iri)
        outgoing = [t for t in triples if t.subject == node]
        types = [self.term(t.object) for t in outgoing if t.predicate.value == RDF_TYPE]
        shown = [t for t in outgoing if t.predicate.value != RDF_TYPE and t.predicate.value not in EXACT_MATCH]
        matches = [self.term(t.object) for t in outgoing if t.predicate.value in EXACT_MATCH]
        incoming = [
            t for t in triples if t.object == node and isinstance(t.subject, ox.NamedNode) and t.subject != node
        ]
        groups: dict[str, list[Term]] = defaultdict(list)
        for t in incoming:
            groups[t.predicate.value].append(self.term(t.subject))
        incoming_rows = sorted(
            ((self.term(ox.NamedNode(p)), sorted(v, key=lambda x: x.text)) for p, v in groups.items()),
            key=lambda row: row[0].text.lower(),
        )
        source = self.sources.get(iri)
        return self.render(
            "entity.html",
            iri=iri,
            label=self.labels.get(iri) or curie(iri) or iri,
            types=types,
            properties=self.grouped(shown, triples),
            incoming=incoming_rows,
            matches=matches,
            evidence=self.evidence(iri, triples) if not iri.startswith(DATASET) else [],
            described_in=self.described_in(iri),
            source=source,
            drawing=self.neighbourhood(iri) if not iri.startswith(DATASET) else None,
            doc=local_href(iri),
            describe_link=query_link(f"DESCRIBE <{iri}>"),
        )

    def source_page(self, source: Source) -> str:
        cited, solid, covered, total = source.coverage
        return self.render(
            "source.html",
            source=source,
            segments=source.segments(),
            cited=cited,
            solid=solid,
            covered=covered,
            total=total,
            fact_term=lambda f: self.term(ox.NamedNode(f)),
        )

    def graph_page(self, iri: str) -> str:
        triples = graph_triples(self.ox, iri)
        subjects = sorted(
            {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)},
            key=lambda s: (self.kind(s), self.labels.get(s, s)),
        )
        source = next((s for s in self.sources.values() if s.graph == iri), None)
        return self.render(
            "graph.html",
            iri=iri,
            label=iri.rsplit("/", 1)[-1],
            size=len(triples),
            subjects=[(self.term(ox.NamedNode(s)), self.kind(s)) for s in subjects],
            source=source,
            doc=local_href(iri),
        )

    def ontology_page(self) -> str:
        c = count(self.qs)
        onto = f"<{ONTOLOGY_GRAPH}>"
        meta = self.select(f"SELECT ?p ?o WHERE {{ GRAPH {onto} {{ <{ONTOLOGY_IRI}> ?p ?o }} }} ORDER BY ?p ?o")

        def terms(kind_filter: str) -> list[dict[str, Any]]:
            rows = self.select(
                f"SELECT ?t (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?def) "
                f"(GROUP_CONCAT(DISTINCT STR(?kind); SEPARATOR=' ') AS ?kinds) "
                f"(GROUP_CONCAT(DISTINCT STR(?sup); SEPARATOR=' ') AS ?sups) "
                f"(GROUP_CONCAT(DISTINCT STR(?dom); SEPARATOR=' ') AS ?doms) "
                f"(GROUP_CONCAT(DISTINCT STR(?rng); SEPARATOR=' ') AS ?rngs) WHERE {{ GRAPH {onto} {{ "
                f"?t a ?kind FILTER({kind_filter}) FILTER(STRSTARTS(STR(?t), STR(bg:))) "
                f"OPTIONAL {{ ?t rdfs:label|skos:prefLabel ?l }} OPTIONAL {{ ?t skos:definition ?d }} "
                f"OPTIONAL {{ ?t rdfs:subClassOf|rdfs:subPropertyOf|skos:inScheme ?sup }} "
                f"OPTIONAL {{ ?t rdfs:domain ?dom }} OPTIONAL {{ ?t rdfs:range ?rng }} }} }} "
                f"GROUP BY ?t ORDER BY ?t"
            )

            def iris(value: Any) -> list[Term]:
                return [self.term(ox.NamedNode(i)) for i in (value.value.split() if value else [])]

            out = []
            for r in rows:
                t = r["t"].value
                used = c.classes.get(t, 0) + c.properties.get(t, 0)
                if not used:
                    used = sum(1 for _ in self.ox.quads_for_pattern(None, None, ox.NamedNode(t), DEFAULT))
                out.append(
                    {
                        "iri": t,
                        "anchor": t.rsplit("#", 1)[-1],
                        "label": r["label"].value if r["label"] else t.rsplit("#", 1)[-1],
                        "definition": r["def"].value if r["def"] else "",
                        "kinds": iris(r["kinds"]),
                        "parents": iris(r["sups"]),
                        "domain": iris(r["doms"]),
                        "range": iris(r["rngs"]),
                        "used": used,
                    }
                )
            return out

        return self.render(
            "ontology.html",
            iri=ONTOLOGY_IRI,
            meta=self.grouped([ox.Triple(ox.NamedNode(ONTOLOGY_IRI), r["p"], r["o"]) for r in meta], []),
            classes=terms("?kind = owl:Class"),
            properties=terms("?kind IN (owl:ObjectProperty, owl:DatatypeProperty)"),
            schemes=terms("?kind = skos:ConceptScheme"),
            concepts=terms("?kind = skos:Concept"),
        )

    def timeline(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Events and agreements with a year, in date order; and the rest (no year stated)."""
        rows = self.select(
            "SELECT ?x (SAMPLE(?d) AS ?date) (SAMPLE(?as) AS ?asStated) (SAMPLE(?src) AS ?source) WHERE { "
            "{ ?x a/rdfs:subClassOf* bg:Event } UNION { ?x a/rdfs:subClassOf* bg:Agreement } "
            "OPTIONAL { ?x bg:date ?d } OPTIONAL { ?x bg:dateAsStated ?as } OPTIONAL { ?x prov:wasDerivedFrom ?src } "
            "} GROUP BY ?x"
        )
        dated: list[dict[str, Any]] = []
        undated: list[dict[str, Any]] = []
        for r in rows:
            iri = r["x"].value
            date = r["date"].value if r["date"] is not None else ""
            item = {
                "term": self.term(ox.NamedNode(iri)),
                "date": date,
                "as_stated": r["asStated"].value if r["asStated"] is not None else "",
                "kind": self.kind(iri),
                "types": [self.term(ox.NamedNode(t)) for t in self.types.get(iri, []) if t.startswith(PREFIXES["bg"])],
                "source": self.sources.get(r["source"].value) if r["source"] is not None else None,
            }
            (dated if date and not date.startswith("--") else undated).append(item)
        dated.sort(key=lambda i: (i["date"], i["term"].text))
        undated.sort(key=lambda i: i["term"].text)
        return dated, undated

    def landing_page(self, urls: Urls) -> str:
        c = count(self.qs)
        record_classes = self.select(
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c FILTER(STRSTARTS(STR(?x), STR(bgr:))) } "
            "GROUP BY ?c ORDER BY DESC(?n) ?c"
        )
        facts_per_graph = {
            r["g"].value: int(r["n"].value)
            for r in self.select(
                "SELECT ?g (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?g { ?f prov:wasDerivedFrom ?s } } GROUP BY ?g"
            )
        }
        dated, undated = self.timeline()
        return self.render(
            "landing.html",
            counts=c,
            classes=[(self.term(r["c"]), int(r["n"].value)) for r in record_classes],
            sources=list(self.sources.values()),
            facts_per_graph=facts_per_graph,
            examples=[(e, query_link(e.text)) for e in examples(self.paths)],
            downloads=downloads(urls.site),
            dated=dated,
            undated=undated,
            drawing=self.actor_network,
            schema_org=schema_org(self.qs, urls.site, urls.endpoint),
            licence=LICENCE,
            endpoint=urls.endpoint,
        )

    def void_page(self, urls: Urls) -> str:
        triples, store = self.described(urls)
        node = ox.NamedNode(DATASET)
        outgoing = [t for t in triples if t.subject == node]
        return self.render(
            "void.html",
            properties=self.grouped(
                [t for t in outgoing if not t.predicate.value.endswith(("Partition", "subset"))], triples
            ),
            subsets=self._parts(store, "subset", "triples"),
            class_parts=self._parts(store, "classPartition", "entities"),
            property_parts=self._parts(store, "propertyPartition", "triples"),
        )

    def _parts(self, store: ox.Store, link: str, measure: str) -> list[tuple[Term, Term, int]]:
        out = []
        for q in store.quads_for_pattern(ox.NamedNode(DATASET), ox.NamedNode(PREFIXES["void"] + link), None, DEFAULT):
            part = q.object
            if not isinstance(part, ox.NamedNode):
                continue
            what: Any = next(
                (
                    p.object
                    for p in store.quads_for_pattern(part, None, None, DEFAULT)
                    if p.predicate.value
                    in (PREFIXES["void"] + "class", PREFIXES["void"] + "property", PREFIXES["sd"] + "name")
                ),
                part,
            )
            n: Any = next(store.quads_for_pattern(part, ox.NamedNode(PREFIXES["void"] + measure), None, DEFAULT)).object
            out.append((self.term(part), self.term(what), int(n.value)))
        return sorted(out, key=lambda row: row[1].text.lower())

    def cached(self, key: str, urls: Urls, make: Any) -> str:
        """Pages that depend only on the build (and the URLs) are rendered once."""
        if (key, urls) not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key, urls] = make()
        return self._cache[key, urls]

    # -- dumps ----------------------------------------------------------------------------

    @cached_property
    def nquads(self) -> bytes:
        quads = [q for q in self.ox.quads_for_pattern(None, None, None, None) if isinstance(q.graph_name, ox.NamedNode)]
        text = (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
        lines = sorted(set(text.splitlines()))
        return ("\n".join(line for line in lines if line.strip()) + "\n").encode("utf-8")

    @cached_property
    def trig(self) -> bytes:
        quads = [q for q in self.ox.quads_for_pattern(None, None, None, None) if isinstance(q.graph_name, ox.NamedNode)]
        return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b""


def _split(name: str) -> tuple[str, str | None]:
    """``foo.ttl`` → (``foo``, ``ttl``); names without a known extension keep no extension."""
    stem, dot, ext = name.rpartition(".")
    if dot and ext in EXTENSION.values():
        return stem, ext
    return name, None


def _not_acceptable(accept: str | None, offered: list[str]) -> JSONResponse:
    return JSONResponse(
        status_code=406, content={"message": f"cannot answer in {accept}; offered: {', '.join(offered)}"}
    )


def site_router(site: Site) -> APIRouter:
    """The routes of the site; the SPARQL endpoint is the other router of the app."""
    router = APIRouter(include_in_schema=False)

    def resolve(request: Request, path: str) -> Response:
        """Dereference ``BASE + path``: 303 to a document by Accept, or serve the document itself."""
        doc, ext = _split(path)
        iri = BASE + doc
        urls = site.urls(request)
        if iri not in site.known:
            raise HTTPException(404, f"nothing in bordergraph has the IRI <{iri}>")
        if ext is None:
            accept = request.headers.get("accept")
            media = negotiate(accept, OFFERED)
            if media is None:
                return _not_acceptable(accept, OFFERED)
            return RedirectResponse(f"/{doc}.{EXTENSION[media]}", status_code=303, headers={"Vary": "Accept"})
        links = {"Link": f'<{iri}>; rel="describes"'}
        if ext != "html":
            return Response(serialize(site.triples_for(iri, urls), ext), media_type=RDF_MEDIA[ext][0], headers=links)
        if iri == ONTOLOGY_IRI or iri == site.version_iri:
            page = site.cached("ontology", urls, site.ontology_page)
        elif iri == DATASET:
            page = site.cached("void", urls, lambda: site.void_page(urls))
        elif iri.startswith(PREFIXES["bgg"]):
            page = site.graph_page(iri)
        else:
            page = site.entity_page(iri, urls)
        return HTMLResponse(page, headers=links)

    @router.get("/")
    def landing(request: Request) -> HTMLResponse:
        urls = site.urls(request)
        return HTMLResponse(site.cached("landing", urls, lambda: site.landing_page(urls)))

    @router.get("/id/{name}")
    def record(request: Request, name: str) -> Response:
        return resolve(request, f"id/{name}")

    @router.get("/topic/{name}")
    def topic(request: Request, name: str) -> Response:
        return resolve(request, f"topic/{name}")

    @router.get("/graph/{name}")
    def graph(request: Request, name: str) -> Response:
        return resolve(request, f"graph/{name}")

    @router.get("/mappings/{name}")
    def mapping_set(request: Request, name: str) -> Response:
        return resolve(request, f"mappings/{name}")

    @router.get("/ontology")
    def ontology(request: Request) -> Response:
        return resolve(request, "ontology")

    @router.get("/ontology.{ext}")
    def ontology_document(request: Request, ext: str) -> Response:
        return resolve(request, f"ontology.{ext}")

    @router.get("/ontology/{version}")
    def ontology_version(request: Request, version: str) -> Response:
        return resolve(request, f"ontology/{version}")

    @router.get("/dataset")
    def dataset(request: Request) -> Response:
        return resolve(request, "dataset")

    @router.get("/dataset.{ext}")
    def dataset_document(request: Request, ext: str) -> Response:
        return resolve(request, f"dataset.{ext}")

    @router.get("/dataset/{rest:path}")
    def dataset_part(request: Request, rest: str) -> Response:
        return resolve(request, f"dataset/{rest}")

    @router.get("/.well-known/void")
    def void(request: Request) -> Response:
        """The VoID file (RFC 8615 well-known location): a document, so 200 with Content-Location."""
        accept = request.headers.get("accept")
        offered = [m for m, _ in RDF_MEDIA.values()] + [HTML]
        media = negotiate(accept, offered)
        if media is None:
            return _not_acceptable(accept, offered)
        return void_file(site.urls(request), EXTENSION[media], {"Vary": "Accept"})

    @router.get("/.well-known/void.{ext}")
    def void_document(request: Request, ext: str) -> Response:
        return void_file(site.urls(request), ext, {})

    def void_file(urls: Urls, ext: str, headers: dict[str, str]) -> Response:
        headers = {**headers, "Content-Location": f"/.well-known/void.{ext}"}
        if ext == "html":
            return HTMLResponse(site.cached("void", urls, lambda: site.void_page(urls)), headers=headers)
        if ext not in RDF_MEDIA:
            raise HTTPException(404, f"no format {ext!r}: use .ttl, .jsonld, .nt, .rdf or .html")
        return Response(serialize(site.described(urls)[0], ext), media_type=RDF_MEDIA[ext][0], headers=headers)

    @router.get("/source/{name}")
    def source(request: Request, name: str) -> Response:
        slug, dot, ext = name.rpartition(".")
        if dot and ext == "txt":
            return PlainTextResponse(site.source_by_slug(slug).text)
        page = site.cached(f"source/{name}", site.urls(request), lambda: site.source_page(site.source_by_slug(name)))
        return HTMLResponse(page)

    @router.get("/downloads/bordergraph.nq")
    def dump_nquads() -> Response:
        return Response(site.nquads, media_type="application/n-quads")

    @router.get("/downloads/bordergraph.trig")
    def dump_trig() -> Response:
        return Response(site.trig, media_type="application/trig")

    return router


def _suggestions(site: Site, path: str) -> list[Term]:
    """Close matches among the namespace's IRIs, for a 404 page that helps."""
    doc, _ = _split(path.lstrip("/"))
    folder = doc.split("/", 1)[0]
    pool = {k[len(BASE) :] for k in site.known if k[len(BASE) :].startswith(folder + "/")} or {
        k[len(BASE) :] for k in site.known
    }
    return [site.term(ox.NamedNode(BASE + m)) for m in difflib.get_close_matches(doc, sorted(pool), n=5, cutoff=0.5)]


def render_yasgui(paths: Paths, title: str, description: str) -> HTMLResponse:
    """The query UI page: vendored YASGUI, one tab per example query, the project prefixes."""
    tabs = [{"name": e.slug, "summary": e.summary, "query": e.text} for e in examples(paths)]
    page = TEMPLATES.get_template("yasgui.html").render(
        version=__version__,
        title=title,
        description=description,
        tabs=tabs,
        prefixes=PREFIXES,
        endpoint_path=SPARQL_PATH,
        kind_colours=KIND_COLOURS,
        country_colours=COUNTRY_COLOURS,
    )
    return HTMLResponse(page)


def mount_site(app: FastAPI, built: Built, public_url: str | None) -> Site:
    """Add the site's routes, its static files and its HTML 404 page to the app."""
    site = Site(built, public_url)
    app.include_router(site_router(site))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        wants_html = HTML in (request.headers.get("accept") or "")
        if exc.status_code != 404 or not wants_html:
            return await http_exception_handler(request, exc)
        path = request.url.path
        page = site.render(
            "not_found.html",
            path=path,
            message=str(exc.detail) if exc.detail != "Not Found" else f"there is no page at {path}",
            suggestions=_suggestions(site, path) if re.match(r"^/(id|topic|graph|dataset|ontology)", path) else [],
        )
        return HTMLResponse(page, status_code=404)

    app.add_exception_handler(StarletteHTTPException, not_found)
    return site
