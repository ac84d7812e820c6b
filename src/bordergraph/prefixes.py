"""The one prefix map of bordergraph, used by every graph, query, export and page."""

from __future__ import annotations

from rdflib import Dataset, Graph, Namespace

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


def bind(graph: Graph | Dataset) -> None:
    """Bind exactly the project prefixes, replacing rdflib's defaults (which differ, e.g. schema)."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, for UIs and tools that want them spelled out."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
