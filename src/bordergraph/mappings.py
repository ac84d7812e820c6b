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

from bordergraph.paths import Paths
from bordergraph.prefixes import BGG, PREFIXES
from bordergraph.problems import Problem

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
