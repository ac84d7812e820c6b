"""RDF about things: an entity's concise bounded description, and the dataset's own description.

Both read the validated Oxigraph store only. The dataset description is VoID (with class,
property and per-source partitions under stable IRIs), DCAT 3 (dataset, distributions, data
service) and a schema.org ``Dataset`` for dataset search engines; its counts are computed from
the store, so they always agree with what the endpoint answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from bordergraph.prefixes import BASE, PREFIXES, RDF_TYPE, compact
from bordergraph.querystore import QueryStore
from bordergraph.version import __version__

TYPE = ox.NamedNode(RDF_TYPE)
LABELS = (ox.NamedNode(PREFIXES["rdfs"] + "label"), ox.NamedNode(PREFIXES["skos"] + "prefLabel"))
HAS_BODY = ox.NamedNode(PREFIXES["oa"] + "hasBody")
DERIVED = ox.NamedNode(PREFIXES["prov"] + "wasDerivedFrom")
SOURCE_FIELDS = tuple(ox.NamedNode(PREFIXES["dcterms"] + p) for p in ("title", "issued"))
DEFAULT = ox.DefaultGraph()

DATASET = BASE + "dataset"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"

Triples = list[ox.Triple]


def serialize(triples: Iterable[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    """Serialise triples in an RDF format, with the project prefixes (N-Triples has none)."""
    prefixes = PREFIXES if fmt is not ox.RdfFormat.N_TRIPLES else None
    return ox.serialize(list(triples), format=fmt, prefixes=prefixes) or b""


def evidenced_facts(store: QueryStore) -> set[str]:
    """IRIs of every bg:EvidencedFact (any subclass): the nodes that carry evidence."""
    rows = store.query(
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT DISTINCT ?f WHERE { ?f a/rdfs:subClassOf* bg:EvidencedFact FILTER(isIRI(?f)) }"
    )
    return {row["f"].value for row in rows}


class _Collector:
    """An ordered set of triples with the walks a bounded description needs."""

    def __init__(self, store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> None:
        self.store, self.graph = store, graph
        self.triples: dict[ox.Triple, None] = {}

    def add(self, s: Any, p: ox.NamedNode, o: Any) -> None:
        self.triples[ox.Triple(s, p, o)] = None

    def closure(self, node: ox.NamedNode | ox.BlankNode, seen: set[Any] | None = None) -> None:
        """Outgoing triples of ``node`` and, recursively, of the blank nodes they reach."""
        seen = seen if seen is not None else set()
        if node in seen:
            return
        seen.add(node)
        for q in self.store.quads_for_pattern(node, None, None, self.graph):
            self.add(q.subject, q.predicate, q.object)
            if isinstance(q.object, ox.BlankNode):
                self.closure(q.object, seen)

    def pattern(self, s: Any, p: Any, o: Any) -> list[ox.Quad]:
        found = list(self.store.quads_for_pattern(s, p, o, self.graph))
        for q in found:
            self.add(q.subject, q.predicate, q.object)
        return found

    def labels(self, node: ox.NamedNode) -> None:
        for label in LABELS:
            self.pattern(node, label, None)


def bounded_description(
    store: ox.Store, iri: str, facts: set[str], graph: ox.NamedNode | ox.DefaultGraph = DEFAULT
) -> Triples:
    """The concise bounded description of ``iri``, widened to what a reader needs.

    Outgoing triples (with the blank nodes they reach), the labels of what they point to,
    incoming links from named nodes (with their labels and types), and for every evidenced
    fact among the node, its targets and its referrers: the annotations whose body it is
    (quote and offsets) with the label, title and date of the quoted source.
    """
    node = ox.NamedNode(iri)
    out = _Collector(store, graph)
    out.closure(node)
    targets = {t.object for t in list(out.triples) if t.subject == node and isinstance(t.object, ox.NamedNode)}
    incoming = {q.subject for q in out.pattern(None, None, node) if isinstance(q.subject, ox.NamedNode)}
    for other in sorted(targets | incoming, key=str):
        out.labels(other)
    for other in sorted(incoming, key=str):
        out.pattern(other, TYPE, None)
    related = [n for n in sorted({node} | targets | incoming, key=str) if n.value in facts]
    for fact in related:
        out.labels(fact)
        out.pattern(fact, TYPE, None)
        for source in [q.object for q in out.pattern(fact, DERIVED, None)]:
            if isinstance(source, ox.NamedNode):
                out.labels(source)
                for field in SOURCE_FIELDS:
                    out.pattern(source, field, None)
        for quad in out.pattern(None, HAS_BODY, fact):
            if isinstance(quad.subject, ox.NamedNode | ox.BlankNode):
                out.closure(quad.subject)
    return list(out.triples)


def graph_triples(store: ox.Store, graph: str) -> Triples:
    """Every triple of one named graph."""
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    ]


def partition_iri(kind: str, iri: str) -> str:
    """A stable IRI for a class or property partition: ``dataset/class/bg-Meeting``.

    Built from the project prefix map, so it does not change between builds; IRIs outside the
    map fall back to a digest of the IRI (still stable).
    """
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "-_" for c in local):
            return f"{DATASET}/{kind}/{prefix}-{local}"
    return f"{DATASET}/{kind}/iri-{hashlib.sha256(iri.encode()).hexdigest()[:16]}"


def subset_iri(graph: str) -> str:
    """The VoID subset IRI for a named graph: ``dataset/graph/{name}``."""
    return f"{DATASET}/graph/{graph.rsplit('/', 1)[-1]}"


@dataclass(frozen=True)
class Counts:
    """The figures the dataset description publishes (all computed from the store)."""

    triples: int
    subjects: int
    objects: int
    graphs: dict[str, int]
    classes: dict[str, int]
    properties: dict[str, int]
    sources: dict[str, str]  # named graph → the source document it holds
    issued: list[str]


def count(store: QueryStore) -> Counts:
    """Count the merged default graph, each named graph, each class and each property."""

    def pairs(query: str) -> dict[str, int]:
        return {row[0].value: int(row[1].value) for row in store.query(query)}

    def one(query: str) -> int:
        return int(next(iter(store.query(query)))[0].value)

    graphs = {g: one(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}") for g in store.graph_names()}
    sources = {
        row[0].value: row[1].value
        for row in store.query(
            "PREFIX bg: <https://w3id.org/bordergraph/ontology#> SELECT ?g ?s WHERE { ?s bg:sourceGraph ?g }"
        )
    }
    issued = sorted(
        row[0].value
        for row in store.query("PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?d WHERE { ?s dcterms:issued ?d }")
    )
    return Counts(
        triples=one("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        subjects=one("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        objects=one("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        graphs=graphs,
        classes=pairs("SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c"),
        properties=pairs("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"),
        sources=sources,
        issued=issued,
    )


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _t(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(PREFIXES[prefix] + local)


def _lit(value: str | int, lang: str | None = None, datatype: str | None = None) -> ox.Literal:
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=_t("xsd", "integer"))
    if lang:
        return ox.Literal(value, language=lang)
    return ox.Literal(value, datatype=_n(datatype) if datatype else None)


TITLE = "bordergraph: Canada–United States border-security cooperation"


def description_text(store: QueryStore) -> str:
    """One paragraph about the dataset, with the number of sources and their years counted from the store."""
    rows = list(
        store.query(
            "PREFIX bg: <https://w3id.org/bordergraph/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
            "SELECT ?s ?issued WHERE { ?s a bg:SourceDocument OPTIONAL { ?s dcterms:issued ?issued } }"
        )
    )
    years = sorted({row["issued"].value[:4] for row in rows if row["issued"] is not None})
    span = f" ({years[0]}–{years[-1]})" if len(years) > 1 else f" ({years[0]})" if years else ""
    count = len({row["s"].value for row in rows})
    noun = "archived public source" if count == 1 else "archived public press releases and web pages"
    return (
        "An evidence-first knowledge graph of Canada–United States border-security cooperation, hand-curated "
        f"from {count} {noun}{span}. Every fact names the release it "
        "comes from and the verbatim quote, with character offsets, that supports it."
    )


SPDX = "http://spdx.org/rdf/terms#"
KEYWORDS = ["border security", "Canada", "United States", "preclearance", "homeland security", "press releases"]


def downloads(site: str) -> dict[str, tuple[str, str]]:
    """Downloadable dumps: distribution slug → (URL, media type)."""
    return {
        "nquads": (f"{site}/downloads/bordergraph.nq", "application/n-quads"),
        "trig": (f"{site}/downloads/bordergraph.trig", "application/trig"),
    }


def dataset_description(
    store: QueryStore, site: str, endpoint: str, checksums: dict[str, str] | None = None
) -> Triples:
    """VoID + DCAT 3 for the dataset, its named graphs, partitions, dumps and SPARQL service.

    Args:
        store: the validated store (all counts come from it).
        site: the public base URL of the running site (``http://host:port``), for dumps.
        endpoint: the public URL of the SPARQL endpoint.
        checksums: SHA-256 (hex) of each dump, by distribution slug (``nquads``, ``trig``).

    """
    c = count(store)
    ds = _n(DATASET)
    service = _n(f"{DATASET}/sparql")
    triples: Triples = []

    def add(s: ox.NamedNode, p: ox.NamedNode, o: Any) -> None:
        triples.append(ox.Triple(s, p, o))

    doc = _n(f"{site}/.well-known/void")
    add(doc, TYPE, _t("void", "DatasetDescription"))
    add(doc, _t("foaf", "primaryTopic"), ds)
    for cls in ("void:Dataset", "dcat:Dataset"):
        add(ds, TYPE, _t(*cls.split(":")))
    add(ds, _t("dcterms", "title"), _lit(TITLE, "en"))
    add(ds, _t("rdfs", "label"), _lit(TITLE, "en"))
    add(ds, _t("dcterms", "description"), _lit(description_text(store), "en"))
    add(ds, _t("dcterms", "license"), _n(LICENCE))
    add(ds, _t("dcterms", "creator"), _lit("The bordergraph developers"))
    add(ds, _t("dcterms", "language"), _n("http://id.loc.gov/vocabulary/iso639-1/en"))
    add(ds, _t("owl", "versionInfo"), _lit(__version__))
    add(ds, _t("dcat", "landingPage"), _n(f"{site}/"))
    add(ds, _t("dcat", "version"), _lit(__version__))
    for keyword in KEYWORDS:
        add(ds, _t("dcat", "keyword"), _lit(keyword, "en"))
    if c.issued:
        period = _n(f"{DATASET}/period")
        add(ds, _t("dcterms", "temporal"), period)
        add(period, TYPE, _t("dcterms", "PeriodOfTime"))
        add(period, _t("dcat", "startDate"), _lit(c.issued[0], datatype=PREFIXES["xsd"] + "date"))
        add(period, _t("dcat", "endDate"), _lit(c.issued[-1], datatype=PREFIXES["xsd"] + "date"))
    add(ds, _t("void", "sparqlEndpoint"), _n(endpoint))
    add(ds, _t("void", "uriSpace"), _lit(PREFIXES["bgr"]))
    add(ds, _t("void", "triples"), _lit(c.triples))
    add(ds, _t("void", "distinctSubjects"), _lit(c.subjects))
    add(ds, _t("void", "distinctObjects"), _lit(c.objects))
    add(ds, _t("void", "classes"), _lit(len(c.classes)))
    add(ds, _t("void", "properties"), _lit(len(c.properties)))
    add(ds, _t("void", "rootResource"), _n(BASE + "ontology"))
    for namespace in ("bg", "prov", "oa", "org", "skos", "dcterms", "schema", "foaf"):
        add(ds, _t("void", "vocabulary"), _n(PREFIXES[namespace] if namespace != "bg" else BASE + "ontology"))
    for slug, (url, media) in downloads(site).items():
        dist = _n(f"{DATASET}/dump/{slug}")
        add(ds, _t("void", "dataDump"), _n(url))
        add(ds, _t("dcat", "distribution"), dist)
        add(dist, TYPE, _t("dcat", "Distribution"))
        add(dist, _t("dcterms", "title"), _lit(f"The whole dataset as {media}", "en"))
        add(dist, _t("dcat", "downloadURL"), _n(url))
        add(dist, _t("dcat", "accessURL"), _n(url))
        add(dist, _t("dcat", "mediaType"), _n(f"https://www.iana.org/assignments/media-types/{media}"))
        add(dist, _t("dcterms", "license"), _n(LICENCE))
        if checksums and slug in checksums:  # DCAT 3 recommends spdx:checksum on a distribution
            checksum = _n(f"{DATASET}/dump/{slug}/sha256")
            add(dist, ox.NamedNode(SPDX + "checksum"), checksum)
            add(checksum, TYPE, ox.NamedNode(SPDX + "Checksum"))
            add(checksum, ox.NamedNode(SPDX + "algorithm"), ox.NamedNode(SPDX + "checksumAlgorithm_sha256"))
            add(
                checksum,
                ox.NamedNode(SPDX + "checksumValue"),
                _lit(checksums[slug], datatype=PREFIXES["xsd"] + "hexBinary"),
            )
    endpoint_dist = _n(f"{DATASET}/dump/sparql")
    add(ds, _t("dcat", "distribution"), endpoint_dist)
    add(endpoint_dist, TYPE, _t("dcat", "Distribution"))
    add(endpoint_dist, _t("dcterms", "title"), _lit("The dataset through its SPARQL endpoint", "en"))
    add(endpoint_dist, _t("dcat", "accessURL"), _n(endpoint))
    add(endpoint_dist, _t("dcat", "accessService"), service)
    add(service, TYPE, _t("dcat", "DataService"))
    add(service, _t("dcterms", "title"), _lit("bordergraph SPARQL endpoint", "en"))
    add(service, _t("dcat", "endpointURL"), _n(endpoint))
    add(service, _t("dcat", "endpointDescription"), _n(endpoint))
    add(service, _t("dcat", "servesDataset"), ds)
    add(service, _t("dcterms", "conformsTo"), _n("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, _t("dcterms", "license"), _n(LICENCE))
    for graph, size in sorted(c.graphs.items()):
        subset = _n(subset_iri(graph))
        add(ds, _t("void", "subset"), subset)
        add(subset, TYPE, _t("void", "Dataset"))
        add(subset, _t("rdfs", "label"), _lit(f"named graph {graph.rsplit('/', 1)[-1]}", "en"))
        add(subset, _t("sd", "name"), _n(graph))
        add(subset, _t("void", "triples"), _lit(size))
        if graph in c.sources:
            add(subset, _t("dcterms", "source"), _n(c.sources[graph]))
    for kind, figures, key, measure in (
        ("class", c.classes, "class", "entities"),
        ("property", c.properties, "property", "triples"),
    ):
        for iri, n in sorted(figures.items()):
            part = _n(partition_iri(kind, iri))
            add(ds, _t("void", f"{kind}Partition"), part)
            add(part, TYPE, _t("void", "Dataset"))
            add(part, _t("void", key), _n(iri))
            add(part, _t("void", measure), _lit(n))
    return triples


def schema_org(store: QueryStore, site: str, endpoint: str) -> dict[str, Any]:
    """A schema.org ``Dataset`` (JSON-LD) for dataset search engines, with the same facts."""
    c = count(store)
    description: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": DATASET,
        "name": TITLE,
        "description": description_text(store),
        "url": f"{site}/",
        "sameAs": DATASET,
        "license": LICENCE,
        "isAccessibleForFree": True,
        "version": __version__,
        "keywords": KEYWORDS,
        "creator": {"@type": "Organization", "name": "The bordergraph developers"},
        "temporalCoverage": f"{c.issued[0]}/{c.issued[-1]}" if c.issued else None,
        "spatialCoverage": {"@type": "Place", "name": "Canada–United States border"},
        "distribution": [
            {"@type": "DataDownload", "contentUrl": url, "encodingFormat": media}
            for url, media in downloads(site).values()
        ],
        "subjectOf": {"@type": "WebAPI", "name": "bordergraph SPARQL endpoint", "url": endpoint},
    }
    return {key: value for key, value in description.items() if value is not None}


# Records typed in more than one source graph (a graph that mentions a record types it itself,
# docs/curation.md), with each graph's rdfs:label and skos:altLabel of it.
_SHARED_RECORDS = """
PREFIX bg: <https://w3id.org/bordergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?record ?graph ?type ?label ?alt WHERE {
  { SELECT ?record WHERE {
      ?source bg:sourceGraph ?g . GRAPH ?g { ?record a ?t }
      FILTER(STRSTARTS(STR(?record), "%(id)s"))
    } GROUP BY ?record HAVING (COUNT(DISTINCT ?g) > 1) }
  ?source bg:sourceGraph ?graph .
  GRAPH ?graph {
    ?record a ?type .
    OPTIONAL { ?record rdfs:label ?label }
    OPTIONAL { ?record skos:altLabel ?alt }
  }
}
"""


@dataclass(frozen=True)
class SharedRecord:
    """A record that more than one source graph types and labels, as each graph gives it."""

    slug: str
    #: Source graph (local name) → (its rdfs:label values, its skos:altLabel values), both sorted.
    names: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    #: Every class any of those graphs gives it, compacted (``foaf:Person``, ``bg:Agreement``).
    classes: tuple[str, ...]


def shared_records(store: QueryStore) -> list[SharedRecord]:
    """Every ``bgr:`` record typed in more than one source graph, by slug, read from the validated store."""
    ids, graphs = PREFIXES["bgr"], PREFIXES["bgg"]
    labels: dict[str, dict[str, tuple[set[str], set[str]]]] = {}
    classes: dict[str, set[str]] = {}
    for row in store.query(_SHARED_RECORDS % {"id": ids}):
        slug = row["record"].value.removeprefix(ids)
        graph = row["graph"].value.removeprefix(graphs)
        given, alts = labels.setdefault(slug, {}).setdefault(graph, (set(), set()))
        if row["label"] is not None:
            given.add(row["label"].value)
        if row["alt"] is not None:
            alts.add(row["alt"].value)
        classes.setdefault(slug, set()).add(compact(row["type"].value))
    return [
        SharedRecord(
            slug,
            {g: (tuple(sorted(given)), tuple(sorted(alts))) for g, (given, alts) in sorted(labels[slug].items())},
            tuple(sorted(classes[slug])),
        )
        for slug in sorted(labels)
    ]


def _names_cell(names: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> str:
    """What each graph calls a record: graphs that name it alike are grouped, and named when they differ."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for graph, named in names.items():
        groups.setdefault(named, []).append(graph)
    parts = []
    for (given, alts), in_graphs in groups.items():
        text = " / ".join(given) if given else "no `rdfs:label`"
        if alts:
            text += " (also " + ", ".join(f'"{alt}"' for alt in alts) + ")"
        if len(groups) > 1:
            text += " in " + ", ".join(f"`{g}`" for g in in_graphs)
        parts.append(text)
    return "; ".join(parts).replace("|", "\\|")


def shared_records_table(store: QueryStore) -> str:
    """The table of docs/records-registry.md: slug, source graphs, names as each graph gives them, classes."""
    rows = [
        "| slug | source graphs | label (and `skos:altLabel`) as each graph gives it | class |",
        "|---|---|---|---|",
    ]
    for record in shared_records(store):
        graphs = ", ".join(f"`{g}`" for g in record.names)
        rows.append(f"| `{record.slug}` | {graphs} | {_names_cell(record.names)} | {', '.join(record.classes)} |")
    return "\n".join(rows)
