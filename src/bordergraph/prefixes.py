"""The one prefix map of bordergraph, used by every graph, query, export and page.

CURIE compaction and expansion go through the ``curies`` package (one converter, longest namespace
wins), so every module writes ``bgr:cbp`` the same way.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from rdflib import Dataset, Graph, Namespace

if TYPE_CHECKING:
    import curies

BASE = "https://w3id.org/bordergraph/"

PREFIXES: dict[str, str] = {
    "bg": BASE + "ontology#",
    "bgr": BASE + "id/",
    "bgt": BASE + "topic/",
    "bgg": BASE + "graph/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "vann": "http://purl.org/vocab/vann/",
    "wd": "http://www.wikidata.org/entity/",
    "semapv": "https://w3id.org/semapv/vocab/",
}

BG = Namespace(PREFIXES["bg"])
BGR = Namespace(PREFIXES["bgr"])
BGT = Namespace(PREFIXES["bgt"])
BGG = Namespace(PREFIXES["bgg"])
OA = Namespace(PREFIXES["oa"])
ORG = Namespace(PREFIXES["org"])
SCHEMA = Namespace(PREFIXES["schema"])

ONTOLOGY_IRI = BASE + "ontology"
ONTOLOGY_GRAPH = BGG["ontology"]
SOURCES_GRAPH = BGG["sources"]

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"


@cache
def converter() -> curies.Converter:
    """The one ``curies`` converter, made on first use.

    curies brings pydantic (about a second and 10 MB), which the query workers, importing this
    module through the answer writers, never need.
    """
    import curies

    return curies.Converter.from_prefix_map(PREFIXES)


def curie(iri: str) -> str | None:
    """``bg:Meeting`` for an IRI inside a project namespace (with a local part), else None."""
    short = converter().compress(iri)
    return short if short is not None and not short.endswith(":") else None


def compact(iri: str) -> str:
    """``https://w3id.org/bordergraph/id/cbp`` → ``bgr:cbp`` (longest namespace wins); other IRIs unchanged."""
    return curie(iri) or iri


def expand(ref: str) -> str:
    """``bgr:cbp`` → its IRI; anything without a known prefix is returned unchanged."""
    return converter().expand(ref, passthrough=True) if ":" in ref else ref


def bind(graph: Graph | Dataset) -> None:
    """Bind exactly the project prefixes, replacing rdflib's defaults (which differ, e.g. schema)."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, for UIs and tools that want them spelled out."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
