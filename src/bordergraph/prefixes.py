"""The one prefix map of bordergraph, used by every graph, query, export and page.

CURIE compaction and expansion go through the ``curies`` package (one converter, longest namespace
wins), so every module writes ``bgr:cbp`` the same way. The query workers import this module (through
the answer writers) and use only its strings: the rdflib terms (``BG``, ``ONTOLOGY_GRAPH``, …) are
made on first use, so that importing it does not import rdflib (about 6 MB in every worker).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import curies
    from rdflib import Dataset, Graph, Namespace, URIRef

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

ONTOLOGY_IRI = BASE + "ontology"

#: The rdflib namespaces by name, and the graph names (under ``bgg``) of the rdflib graph terms.
_NAMESPACES = {"BG": "bg", "BGR": "bgr", "BGT": "bgt", "BGG": "bgg", "OA": "oa", "ORG": "org", "SCHEMA": "schema"}
_GRAPHS = {"ONTOLOGY_GRAPH": "ontology", "SOURCES_GRAPH": "sources"}

if TYPE_CHECKING:
    BG: Namespace
    BGR: Namespace
    BGT: Namespace
    BGG: Namespace
    OA: Namespace
    ORG: Namespace
    SCHEMA: Namespace
    ONTOLOGY_GRAPH: URIRef
    SOURCES_GRAPH: URIRef
else:

    def __getattr__(name: str) -> object:
        """``BG``, ``ONTOLOGY_GRAPH`` and the other rdflib terms, made (and kept) on first use (PEP 562)."""
        if name in _NAMESPACES:
            from rdflib import Namespace

            value = Namespace(PREFIXES[_NAMESPACES[name]])
        elif name in _GRAPHS:
            from rdflib import URIRef

            value = URIRef(PREFIXES["bgg"] + _GRAPHS[name])
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value
        return value


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
