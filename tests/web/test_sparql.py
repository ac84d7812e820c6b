"""The SPARQL endpoint, through a real uvicorn server and real clients."""

from __future__ import annotations

import csv
import io
import json

import httpx
from rdflib import Graph, Variable
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from bordergraph.build import Built

PREFIXES = """PREFIX bg: <https://w3id.org/bordergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def test_oxigraph_answers_not_rdflib(endpoint: str) -> None:
    """REPLACE with the "i" flag: Oxigraph gives "A~~", rdflib 7.6 gives "A~B"."""
    sparql = SPARQLWrapper(endpoint)
    sparql.setReturnFormat(JSON)
    sparql.setQuery('SELECT (REPLACE("AbB", "b", "~", "i") AS ?x) WHERE {}')
    result = sparql.queryAndConvert()
    assert isinstance(result, dict)
    assert result["results"]["bindings"][0]["x"]["value"] == "A~~"


def test_sparqlwrapper_select_meetings(endpoint: str, built: Built) -> None:
    sparql = SPARQLWrapper(endpoint)
    sparql.setReturnFormat(JSON)
    sparql.setQuery(PREFIXES + "SELECT ?m WHERE { ?m a bg:Meeting }")
    result = sparql.queryAndConvert()
    assert isinstance(result, dict)
    served = {b["m"]["value"] for b in result["results"]["bindings"]}
    meetings = built.loaded.dataset.query(PREFIXES + "SELECT DISTINCT ?m WHERE { ?m a bg:Meeting }")
    expected = {str(b[Variable("m")]) for b in meetings.bindings}
    assert served == expected
    assert len(served) >= 4


def test_get_post_form_and_direct_body_agree(endpoint: str) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    accept = {"Accept": "application/sparql-results+json"}
    answers = [
        httpx.get(endpoint, params={"query": query}, headers=accept),
        httpx.post(endpoint, data={"query": query}, headers=accept),
        httpx.post(endpoint, content=query.encode(), headers={**accept, "Content-Type": "application/sparql-query"}),
    ]
    counts = {int(r.json()["results"]["bindings"][0]["n"]["value"]) for r in answers}
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert len(counts) == 1 and counts.pop() > 1000


def test_result_formats_parse(endpoint: str) -> None:
    query = PREFIXES + "SELECT ?m ?label WHERE { ?m a bg:Meeting ; rdfs:label ?label } ORDER BY ?m"
    as_csv = httpx.get(endpoint, params={"query": query}, headers={"Accept": "text/csv"})
    as_tsv = httpx.get(endpoint, params={"query": query}, headers={"Accept": "text/tab-separated-values"})
    as_xml = httpx.get(endpoint, params={"query": query}, headers={"Accept": "application/sparql-results+xml"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows and set(rows[0]) == {"m", "label"}
    assert as_tsv.text.splitlines()[0] == "?m\t?label"
    assert len(as_tsv.text.strip().splitlines()) == len(rows) + 1
    assert "<sparql" in as_xml.text and as_xml.text.count("<result>") == len(rows)


def test_construct_as_turtle_parses(endpoint: str) -> None:
    sparql = SPARQLWrapper(endpoint)
    sparql.setReturnFormat(TURTLE)
    sparql.setQuery(PREFIXES + "CONSTRUCT { ?m rdfs:label ?l } WHERE { ?m a bg:Meeting ; rdfs:label ?l }")
    data = sparql.query().convert()
    assert isinstance(data, bytes | str), type(data)
    graph = Graph().parse(data=data, format="turtle")
    assert len(graph) >= 4


def test_syntax_error_is_400_with_line_and_column(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "SELECT * WHERE {\n ?s ?p }"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "2:" in message, message


def test_updates_are_refused(endpoint: str) -> None:
    form = httpx.post(endpoint, data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    direct = httpx.post(
        endpoint,
        content=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert form.status_code == direct.status_code == 403
    assert "read-only" in form.json()["message"]
    ask = httpx.get(
        endpoint, params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"}, headers={"Accept": "application/json"}
    )
    assert ask.json()["boolean"] is False


def test_named_graphs_per_source(endpoint: str, built: Built, source_graphs: list[str]) -> None:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    response = httpx.get(endpoint, params={"query": query}, headers={"Accept": "application/json"})
    counts = {b["g"]["value"]: int(b["n"]["value"]) for b in response.json()["results"]["bindings"]}
    expected = {str(g.identifier): len(g) for g in built.loaded.dataset.graphs() if len(g)}
    assert counts == expected
    assert {f"https://w3id.org/bordergraph/graph/{name}" for name in source_graphs} <= set(counts)


def test_default_graph_uri_restricts_the_default_graph(endpoint: str, built: Built) -> None:
    graph = "https://w3id.org/bordergraph/graph/release-2018-goodale-nielsen"
    response = httpx.get(
        endpoint,
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": graph},
        headers={"Accept": "application/json"},
    )
    n = int(response.json()["results"]["bindings"][0]["n"]["value"])
    assert n == len(built.loaded.dataset.graph(graph))


def test_service_description_names_the_endpoint(endpoint: str) -> None:
    response = httpx.get(endpoint, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    endpoints = {str(o) for o in graph.objects(None, graph.namespace_manager.expand_curie("sd:endpoint"))}
    assert endpoint in endpoints


def test_unacceptable_accept_is_406(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in json.loads(response.text)["message"]


MET_GOODALE = """PREFIX bg: <https://w3id.org/bordergraph/ontology#>
PREFIX bgr: <https://w3id.org/bordergraph/id/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT { ?m bg:participant ?p . ?m rdfs:label ?ml . ?p rdfs:label ?pl }
WHERE { ?m a bg:Meeting ; bg:participant bgr:ralph-goodale , ?p ; rdfs:label ?ml . ?p rdfs:label ?pl }"""


def _who_met_goodale(graph: object) -> set[str]:
    import networkx as nx

    assert isinstance(graph, nx.Graph)
    return {str(data.get("label")) for _, data in graph.nodes(data=True)}


def test_construct_as_graphml_by_accept_opens_in_networkx(endpoint: str) -> None:
    """The network of everyone who met Goodale, straight into a graph tool."""
    import networkx as nx

    response = httpx.post(endpoint, data={"query": MET_GOODALE}, headers={"Accept": "application/graphml+xml"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/graphml+xml")
    graph = nx.read_graphml(io.BytesIO(response.content))
    assert {"Ralph Goodale", "John Kelly", "Kirstjen Nielsen"} <= _who_met_goodale(graph)
    assert graph.number_of_edges() >= 4


def test_construct_as_gexf_and_cytoscape_by_format_parameter(endpoint: str) -> None:
    import networkx as nx

    gexf = httpx.get(endpoint, params={"query": MET_GOODALE, "format": "gexf"})
    assert gexf.status_code == 200, gexf.text
    assert {"Ralph Goodale", "John Kelly"} <= _who_met_goodale(nx.read_gexf(io.BytesIO(gexf.content)))
    cyjs = httpx.get(endpoint, params={"query": MET_GOODALE, "format": "cytoscape"})
    names = {e["data"].get("name") for e in cyjs.json()["elements"]["nodes"]}
    assert "Kirstjen Nielsen" in names


def test_property_graph_format_on_select_is_400(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "format": "graphml"})
    assert response.status_code == 400
    assert "CONSTRUCT" in response.json()["message"]
