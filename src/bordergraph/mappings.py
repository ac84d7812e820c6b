"""SSSOM mapping tables (``data/mappings/*.sssom.tsv``) → the mappings named graph.

sssom-pydantic reads the TSV (YAML header, ``curie_map``, typed columns). This module turns each
row into a direct ``skos:exactMatch`` triple, which is what queries and pages use, plus the
row's metadata in SSSOM's RDF vocabulary (an ``owl:Axiom`` naming the triple), so a SPARQL user
can see who made a link, when, how, and on what evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from bordergraph.loader import Problem
from bordergraph.paths import Paths
from bordergraph.prefixes import BGG, PREFIXES
from bordergraph.querystore import QueryStore

MAPPINGS_GRAPH = BGG["mappings"]
SSSOM = Namespace("https://w3id.org/sssom/")
PAV = Namespace("http://purl.org/pav/")
WIKIDATA = PREFIXES["wd"]

# The evidence convention of the `comment` column: `owner/repo@<40-hex commit> path: "verbatim quote"`.
EVIDENCE = re.compile(
    r'^(?P<repo>[\w.-]+/[\w.-]+)@(?P<commit>[0-9a-f]{40}) (?P<path>[^:\s][^:]*?): "(?P<quote>.+)"$', re.S
)


@dataclass(frozen=True)
class Evidence:
    """A stored public file whose text pairs the record's name with the linked item."""

    repo: str
    commit: str
    path: str
    quote: str

    @property
    def permalink(self) -> str:
        return f"https://github.com/{self.repo}/blob/{self.commit}/{quote(self.path)}"


@dataclass(frozen=True)
class Link:
    """One row of a mapping table, with IRIs expanded."""

    subject: str
    subject_label: str
    predicate: str
    object: str
    object_label: str
    justification: str
    authors: tuple[str, ...]
    date: date | None
    comment: str

    @property
    def evidence(self) -> Evidence | None:
        match = EVIDENCE.match(self.comment.strip())
        return Evidence(**match.groupdict()) if match else None


@dataclass(frozen=True)
class MappingTable:
    """A parsed SSSOM file: its mapping set metadata and its rows."""

    path: Path
    set_id: str
    title: str
    description: str
    license: str
    comment: str
    links: list[Link]


def mapping_files(paths: Paths) -> list[Path]:
    """The project's SSSOM tables."""
    return sorted((paths.data_dir / "mappings").glob("*.sssom.tsv"))


def read_table(path: Path) -> MappingTable:
    """Read one SSSOM TSV file.

    Raises:
        ValueError: the file is not valid SSSOM (the message says which line or field).

    """
    from sssom_pydantic.io import read_unprocessed  # imported here: it is only needed at build time

    records, converter, mapping_set = read_unprocessed(path)
    links = [
        Link(
            subject=converter.expand(r.subject_id, strict=True),
            subject_label=r.subject_label or "",
            predicate=converter.expand(r.predicate_id, strict=True),
            object=converter.expand(r.object_id, strict=True),
            object_label=r.object_label or "",
            justification=converter.expand(r.mapping_justification, strict=True),
            authors=tuple(r.author_label or ()),
            date=r.mapping_date,
            comment=r.comment or "",
        )
        for r in records
    ]
    return MappingTable(
        path=path,
        set_id=str(mapping_set.id),
        title=mapping_set.title or "",
        description=mapping_set.description or "",
        license=str(mapping_set.license or ""),
        comment=mapping_set.comment or "",
        links=links,
    )


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def mapping_iri(table: MappingTable, link: Link) -> URIRef:
    """A stable IRI for one row: the mapping set IRI with a fragment naming subject and object."""
    return URIRef(f"{table.set_id}#{_local(link.subject)}--{_local(link.object)}")


def to_graph(table: MappingTable) -> Graph:
    """The direct triples and their SSSOM metadata (mapping set, one ``owl:Axiom`` per row)."""
    graph = Graph()
    mapping_set = URIRef(table.set_id)
    graph.add((mapping_set, RDF.type, SSSOM.MappingSet))
    for prop, value in ((DCTERMS.title, table.title), (DCTERMS.description, table.description)):
        if value:
            graph.add((mapping_set, prop, Literal(value, lang="en")))
    if table.comment:
        graph.add((mapping_set, RDFS.comment, Literal(table.comment, lang="en")))
    if table.license:
        graph.add((mapping_set, DCTERMS.license, URIRef(table.license)))
    for link in table.links:
        subject, predicate, target = URIRef(link.subject), URIRef(link.predicate), URIRef(link.object)
        graph.add((subject, predicate, target))
        node = mapping_iri(table, link)
        graph.add((mapping_set, SSSOM.mappings, node))
        graph.add((node, RDF.type, OWL.Axiom))
        graph.add((node, RDF.type, SSSOM.Mapping))
        graph.add((node, OWL.annotatedSource, subject))
        graph.add((node, OWL.annotatedProperty, predicate))
        graph.add((node, OWL.annotatedTarget, target))
        graph.add((node, SSSOM.mapping_justification, URIRef(link.justification)))
        if link.subject_label:
            graph.add((node, SSSOM.subject_label, Literal(link.subject_label, lang="en")))
        if link.object_label:
            graph.add((node, SSSOM.object_label, Literal(link.object_label, lang="en")))
        for author in link.authors:
            graph.add((node, SSSOM.author_label, Literal(author)))
        if link.date is not None:
            graph.add((node, PAV.authoredOn, Literal(link.date.isoformat(), datatype=XSD.date)))
        if link.comment:
            graph.add((node, RDFS.comment, Literal(link.comment)))
        evidence = link.evidence
        if evidence is not None:
            graph.add((node, RDFS.seeAlso, URIRef(evidence.permalink)))
    return graph


def parsed_mappings(paths: Paths, problems: list[Problem]) -> list[tuple[Path, URIRef, Graph]]:
    """Every mapping table as a graph for ``load()``; a table that does not parse becomes a problem."""
    out: list[tuple[Path, URIRef, Graph]] = []
    for path in mapping_files(paths):
        try:
            table = read_table(path)
        except Exception as exc:  # pydantic, curies, yaml and csv errors all mean "not valid SSSOM"
            problems.append(Problem("syntax", paths.relative(path), "", f"is not a valid SSSOM TSV file: {exc}"))
            continue
        out.append((path, MAPPINGS_GRAPH, to_graph(table)))
    return out


NOT_LINKED_FILE = "wikidata-not-linked.tsv"

# Records that a link to Wikidata is sought for: people, organisations, posts and places.
_LINKABLE = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX bg: <https://w3id.org/bordergraph/ontology#>
SELECT ?record ?type (MIN(?l) AS ?label) (MIN(?q) AS ?item) WHERE {
  VALUES ?top { foaf:Person org:Organization org:Post bg:Place }
  ?record a ?type . ?type rdfs:subClassOf* ?top .
  FILTER NOT EXISTS { ?record a ?narrower . ?narrower rdfs:subClassOf+ ?type . FILTER(?narrower != ?type) }
  OPTIONAL { ?record rdfs:label ?l }
  OPTIONAL { ?record skos:exactMatch ?q . FILTER(STRSTARTS(STR(?q), "http://www.wikidata.org/entity/")) }
} GROUP BY ?record ?type
"""


@dataclass(frozen=True)
class LinkStatus:
    """Whether one actor or place has a Wikidata link, and if not, why."""

    record: str
    label: str
    type: str
    item: str | None
    reason: str


def compact(iri: str) -> str:
    """``https://w3id.org/bordergraph/id/cbp`` → ``bgr:cbp`` with the project prefixes (longest namespace wins)."""
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return iri
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best) :]}"


def expand(curie: str) -> str:
    """``bgr:cbp`` → its IRI; anything without a known prefix is returned unchanged."""
    prefix, sep, local = curie.partition(":")
    return PREFIXES[prefix] + local if sep and prefix in PREFIXES else curie


def not_linked_reasons(paths: Paths) -> dict[str, str]:
    """Record IRI → why it has no link yet, from ``data/mappings/wikidata-not-linked.tsv``."""
    path = paths.data_dir / "mappings" / NOT_LINKED_FILE
    if not path.is_file():
        return {}
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    return {expand(row[0]): row[1] for row in rows[1:] if len(row) > 1}


def link_health(store: QueryStore, paths: Paths) -> list[LinkStatus]:
    """Every person, organisation, post and place, linked or not (with the recorded reason)."""
    reasons = not_linked_reasons(paths)
    out: list[LinkStatus] = []
    for row in store.query(_LINKABLE):
        record = row["record"].value
        item = row["item"].value if row["item"] is not None else None
        reason = (
            "" if item else reasons.get(record, "not searched yet (no entry in data/mappings/" + NOT_LINKED_FILE + ")")
        )
        label = row["label"].value if row["label"] is not None else ""
        out.append(LinkStatus(record, label, compact(row["type"].value), item, reason))
    return sorted(out, key=lambda s: (s.type, s.record))


def render_link_health(statuses: list[LinkStatus]) -> str:
    """The ``bordergraph links`` report: totals, a table by type, then every unlinked record and why."""
    linked = [s for s in statuses if s.item]
    lines = [f"Wikidata links: {len(linked)} of {len(statuses)} people, organisations, posts and places linked", ""]
    types = sorted({s.type for s in statuses})
    width = max([len(t) for t in types] + [len("type")])
    lines.append(f"{'type':<{width}}  linked  not linked")
    for kind in types:
        group = [s for s in statuses if s.type == kind]
        done = sum(1 for s in group if s.item)
        lines.append(f"{kind:<{width}}  {done:>6}  {len(group) - done:>10}")
    unlinked = [s for s in statuses if not s.item]
    if unlinked:
        lines += ["", "Not linked:"]
        lines += [f"  {compact(s.record)} ({s.type}, {s.label}): {s.reason}" for s in unlinked]
    return "\n".join(lines)
