"""The SPARQL 1.1 Service Description of the endpoint (W3C sd: vocabulary), as an rdflib graph."""

from __future__ import annotations

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DC

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
VOID_TRIPLES = URIRef("http://rdfs.org/ns/void#triples")
TITLE = "bordergraph SPARQL endpoint"
DESCRIPTION = (
    "Canada–United States border-security cooperation, from public press releases, with a "
    "verbatim quote for every fact. Read-only."
)
#: Answer formats named in the service description (W3C format IRIs).
RESULT_FORMAT_NAMES = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_CSV",
    "Turtle",
    "RDF_XML",
    "SPARQL_Results_XML",
    "SPARQL_Results_TSV",
    "N-Triples",
    "N-Quads",
    "TriG",
    "JSON-LD",
)


def service_description(endpoint: str, default_size: int, graph_sizes: dict[str, int], federation: bool) -> Graph:
    """The SPARQL 1.1 Service Description: endpoint, language, features, formats, and every graph's size."""
    sd = Graph()
    for prefix, namespace in [
        ("rdfs", str(RDFS)),
        ("dc", str(DC)),
        ("sd", str(SD)),
        ("ent", "http://www.w3.org/ns/entailment/"),
        ("prof", "http://www.w3.org/ns/owl-profile/"),
        ("void", "http://rdfs.org/ns/void#"),
        ("formats", str(FORMATS)),
    ]:
        sd.bind(prefix, namespace)
    service, dataset, default = BNode(), BNode(), BNode()
    sd.add((service, RDF.type, SD.Service))
    sd.add((service, SD.endpoint, URIRef(endpoint)))
    sd.add((service, RDFS.label, Literal(TITLE)))
    sd.add((service, DC.description, Literal(DESCRIPTION)))
    sd.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    sd.add((service, SD.feature, SD.UnionDefaultGraph))
    if federation:  # SERVICE is refused unless an allow-list is set: do not advertise federation then
        sd.add((service, SD.feature, SD.BasicFederatedQuery))
    for name in RESULT_FORMAT_NAMES:
        sd.add((service, SD.resultFormat, FORMATS[name]))
    sd.add((service, SD.defaultDataset, dataset))
    sd.add((dataset, RDF.type, SD.Dataset))
    sd.add((dataset, SD.defaultGraph, default))
    sd.add((default, RDF.type, SD.Graph))
    sd.add((default, VOID_TRIPLES, Literal(default_size)))
    for name, size in graph_sizes.items():
        named, graph = BNode(), BNode()
        sd.add((dataset, SD.namedGraph, named))
        sd.add((named, RDF.type, SD.NamedGraph))
        sd.add((named, SD.name, URIRef(name)))
        sd.add((named, SD.graph, graph))
        sd.add((graph, RDF.type, SD.Graph))
        sd.add((graph, VOID_TRIPLES, Literal(size)))
    return sd


def at_endpoint(description: Graph, endpoint: str) -> Graph:
    """A copy of ``description`` whose ``sd:endpoint`` is ``endpoint`` (the URL a client used, or the public URL)."""
    service = next(description.subjects(RDF.type, SD.Service))
    described = Graph()
    for prefix, namespace in description.namespaces():
        described.bind(prefix, namespace)
    for triple in description:
        if triple[1] != SD.endpoint:
            described.add(triple)
    described.add((service, SD.endpoint, URIRef(endpoint)))
    return described
