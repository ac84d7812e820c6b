"""The W3C SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/), walked section by section.

Each test names the section (and, where there is one, the W3C protocol test case it mirrors).
The server is the shared real uvicorn (tests/conftest.py); answers are checked against the
validated store and parsed back with real parsers (rdflib's result and RDF parsers, SPARQLWrapper,
rdflib's SPARQLStore). Query-side only: updates are refused by design (read-only service).
"""

from __future__ import annotations

import io

import httpx
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import JSON, POST, XML, SPARQLWrapper

from bordergraph.build import Built

BGG = "https://w3id.org/bordergraph/graph/"
G2018 = BGG + "release-2018-goodale-nielsen"
G2017 = BGG + "release-2017-goodale-kelly"
G2011 = BGG + "release-2011-napolitano-toews"
PREFIXES = """PREFIX bg: <https://w3id.org/bordergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
MEETINGS = PREFIXES + "SELECT ?m ?label WHERE { ?m a bg:Meeting ; rdfs:label ?label }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def rows(response: httpx.Response, fmt: str = "json") -> set[tuple[str, ...]]:
    """Parse a SELECT answer with rdflib's result parser for ``fmt``; rows as tuples of strings."""
    assert response.status_code == 200, response.text
    return solutions(Result.parse(io.BytesIO(response.content), format=fmt))


def solutions(result: Result) -> set[tuple[str, ...]]:
    """The rows of a parsed SELECT result, as tuples of strings."""
    return {tuple(str(row[v]) for v in result.vars or ()) for row in result.bindings}


def count(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def per_graph(response: httpx.Response) -> dict[str, int]:
    assert response.status_code == 200, response.text
    return {b["g"]["value"]: int(b["n"]["value"]) for b in response.json()["results"]["bindings"]}


def expected(built: Built, query: str) -> set[tuple[str, ...]]:
    """The same query evaluated directly on the validated store (no HTTP)."""
    return {tuple(str(term.value) for term in solution) for solution in built.store.query(query)}


def triples_of(built: Built, *graphs: str) -> set[tuple[str, str, str]]:
    import pyoxigraph as ox

    found: set[tuple[str, str, str]] = set()
    for graph in graphs:
        for q in built.store.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            found.add((str(q.subject), str(q.predicate), str(q.object)))
    return found


# -- 2.1.1 query via GET -----------------------------------------------------------------------


def test_2_1_1_query_via_get(endpoint: str, built: Built) -> None:
    """W3C query_get: GET with the query in the query string."""
    response = httpx.get(endpoint, params={"query": MEETINGS}, headers=JSON_RESULTS)
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert rows(response) == expected(built, MEETINGS)
    assert len(rows(response)) >= 4


# -- 2.1.2 query via URL-encoded POST ----------------------------------------------------------


def test_2_1_2_query_via_urlencoded_post(endpoint: str, built: Built) -> None:
    """W3C query_post_form: the query and the dataset parameters in the form body."""
    response = httpx.post(endpoint, data={"query": COUNT, "default-graph-uri": G2018}, headers=JSON_RESULTS)
    assert count(response) == built.store.graph_sizes()[G2018]


def test_2_1_2_form_with_charset_parameter(endpoint: str, built: Built) -> None:
    response = httpx.post(
        endpoint,
        content=httpx.QueryParams({"query": MEETINGS}).__str__().encode(),
        headers={**JSON_RESULTS, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert rows(response) == expected(built, MEETINGS)


# -- 2.1.3 query via POST directly -------------------------------------------------------------


def test_2_1_3_query_via_post_directly(endpoint: str, built: Built) -> None:
    """W3C query_post_direct: the body is the query; dataset parameters stay in the query string."""
    response = httpx.post(
        endpoint,
        params={"default-graph-uri": G2017},
        content=COUNT.encode("utf-8"),
        headers={**JSON_RESULTS, "Content-Type": "application/sparql-query"},
    )
    assert count(response) == built.store.graph_sizes()[G2017]


def test_2_1_3_the_three_ways_agree(endpoint: str, built: Built) -> None:
    direct = {**JSON_RESULTS, "Content-Type": "application/sparql-query"}
    answers = [
        httpx.get(endpoint, params={"query": MEETINGS}, headers=JSON_RESULTS),
        httpx.post(endpoint, data={"query": MEETINGS}, headers=JSON_RESULTS),
        httpx.post(endpoint, content=MEETINGS.encode(), headers=direct),
    ]
    assert [rows(a) for a in answers] == [expected(built, MEETINGS)] * 3


def test_2_1_3_utf8_query_text(endpoint: str) -> None:
    """Queries are UTF-8: a non-ASCII literal survives GET, form POST and direct POST."""
    query = 'SELECT ?x WHERE { BIND("Canada–États-Unis ✓" AS ?x) }'
    direct = {**JSON_RESULTS, "Content-Type": "application/sparql-query"}
    for response in (
        httpx.get(endpoint, params={"query": query}, headers=JSON_RESULTS),
        httpx.post(endpoint, data={"query": query}, headers=JSON_RESULTS),
        httpx.post(endpoint, content=query.encode("utf-8"), headers=direct),
    ):
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "Canada–États-Unis ✓"


# -- 2.1.4 specifying an RDF dataset -----------------------------------------------------------


def test_2_1_4_service_supplied_dataset(endpoint: str, built: Built) -> None:
    """3.1.1: no dataset in the request: the default graph is the merge of every graph."""
    assert count(httpx.get(endpoint, params={"query": COUNT}, headers=JSON_RESULTS)) == built.store.default_size


def test_2_1_4_graph_sees_each_source_graph(endpoint: str, built: Built, source_graphs: list[str]) -> None:
    counts = per_graph(httpx.get(endpoint, params={"query": PER_GRAPH}, headers=JSON_RESULTS))
    assert counts == built.store.graph_sizes()
    assert {BGG + name for name in source_graphs} <= set(counts), "every source graph is served"


def test_2_1_4_one_default_graph_uri(endpoint: str, built: Built) -> None:
    """3.1.2 / W3C query_dataset_default_graph (GET)."""
    for graph, size in built.store.graph_sizes().items():
        response = httpx.get(endpoint, params={"query": COUNT, "default-graph-uri": graph}, headers=JSON_RESULTS)
        assert count(response) == size, graph


def test_2_1_4_several_default_graph_uris_merge(endpoint: str, built: Built) -> None:
    """W3C query_dataset_default_graphs_get/post: the default graph is the RDF merge of those named."""
    merged = len(triples_of(built, G2018, G2017))
    params = (("query", COUNT), ("default-graph-uri", G2018), ("default-graph-uri", G2017))
    assert count(httpx.get(endpoint, params=params, headers=JSON_RESULTS)) == merged
    assert count(httpx.post(endpoint, data=dict(params[:2]) | {}, headers=JSON_RESULTS)) == len(
        triples_of(built, G2018)
    )
    form = httpx.QueryParams(params).__str__().encode()
    post = httpx.post(
        endpoint, content=form, headers={**JSON_RESULTS, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert count(post) == merged


def test_2_1_4_named_graph_uris(endpoint: str, built: Built) -> None:
    """W3C query_dataset_named_graphs_get/post: GRAPH sees only those; the default graph is empty."""
    sizes = built.store.graph_sizes()
    params = (("query", PER_GRAPH), ("named-graph-uri", G2018), ("named-graph-uri", G2011))
    assert per_graph(httpx.get(endpoint, params=params, headers=JSON_RESULTS)) == {
        G2018: sizes[G2018],
        G2011: sizes[G2011],
    }
    post = httpx.post(
        endpoint,
        content=httpx.QueryParams(params).__str__().encode(),
        headers={**JSON_RESULTS, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert per_graph(post) == {G2018: sizes[G2018], G2011: sizes[G2011]}
    empty_default = httpx.get(endpoint, params=[("query", COUNT), ("named-graph-uri", G2018)], headers=JSON_RESULTS)
    assert count(empty_default) == 0


def test_2_1_4_full_dataset(endpoint: str, built: Built) -> None:
    """3.1.6 / W3C query_dataset_full: default and named graphs together."""
    sizes = built.store.graph_sizes()
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g"
    params = (("query", query), ("default-graph-uri", G2017), ("named-graph-uri", G2011))
    response = httpx.get(endpoint, params=params, headers=JSON_RESULTS)
    assert response.status_code == 200
    found = {
        b.get("g", {}).get("value", "default"): int(b["n"]["value"]) for b in response.json()["results"]["bindings"]
    }
    assert found == {"default": sizes[G2017], G2011: sizes[G2011]}


def test_2_1_4_query_only_dataset(endpoint: str, built: Built) -> None:
    """3.1.7: FROM and FROM NAMED in the query, no protocol parameters."""
    sizes = built.store.graph_sizes()
    query = f"SELECT (COUNT(*) AS ?n) FROM <{G2018}> FROM <{G2017}> WHERE {{ ?s ?p ?o }}"  # noqa: S608 (SPARQL, not SQL)
    assert count(httpx.get(endpoint, params={"query": query}, headers=JSON_RESULTS)) == len(
        triples_of(built, G2018, G2017)
    )
    named = f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{G2011}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"  # noqa: S608 (SPARQL, not SQL)
    assert per_graph(httpx.get(endpoint, params={"query": named}, headers=JSON_RESULTS)) == {G2011: sizes[G2011]}


def test_2_1_4_protocol_dataset_overrides_the_query(endpoint: str, built: Built) -> None:
    """3.1.8 / W3C query_multiple_dataset: the protocol's dataset wins over FROM in the query."""
    query = f"SELECT (COUNT(*) AS ?n) FROM <{G2018}> WHERE {{ ?s ?p ?o }}"  # noqa: S608 (SPARQL, not SQL)
    response = httpx.get(endpoint, params={"query": query, "default-graph-uri": G2011}, headers=JSON_RESULTS)
    assert count(response) == built.store.graph_sizes()[G2011]


def test_2_1_4_unknown_graph_is_empty(endpoint: str) -> None:
    """A graph the dataset does not hold is empty: nothing is ever fetched from elsewhere."""
    response = httpx.get(endpoint, params={"query": COUNT, "default-graph-uri": BGG + "nope"}, headers=JSON_RESULTS)
    assert count(response) == 0


# -- 2.1.5 accepted response formats -----------------------------------------------------------


@pytest.mark.parametrize(
    ("media", "fmt"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
    ],
)
def test_2_1_5_select_formats_parse(endpoint: str, built: Built, media: str, fmt: str) -> None:
    """W3C query_content_type_select: each results format, parsed back by rdflib's parser."""
    response = httpx.get(endpoint, params={"query": MEETINGS}, headers={"Accept": media})
    assert response.headers["content-type"].split(";")[0] == media
    assert rows(response, fmt) == expected(built, MEETINGS)


@pytest.mark.parametrize(
    ("media", "fmt"),
    [("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml")],
)
def test_2_1_5_ask_formats_parse(endpoint: str, media: str, fmt: str) -> None:
    """W3C query_content_type_ask."""
    for query, answer in ((PREFIXES + "ASK { ?m a bg:Meeting }", True), ("ASK { <urn:x> <urn:y> <urn:z> }", False)):
        response = httpx.get(endpoint, params={"query": query}, headers={"Accept": media})
        assert response.headers["content-type"].split(";")[0] == media
        assert Result.parse(io.BytesIO(response.content), format=fmt).askAnswer is answer


@pytest.mark.parametrize(("media", "fmt"), [("text/csv", "csv"), ("text/tab-separated-values", "tsv")])
def test_2_1_5_ask_as_csv_and_tsv(endpoint: str, media: str, fmt: str) -> None:
    """CSV/TSV have no boolean form in the spec; the answer is the bare word, as Jena and Oxigraph write it."""
    response = httpx.get(endpoint, params={"query": "ASK {}"}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.text.strip() == "true"


GRAPH_MEDIA = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/n-quads", "nquads"),
    ("application/trig", "trig"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
]


@pytest.mark.parametrize(("media", "fmt"), GRAPH_MEDIA)
def test_2_1_5_construct_formats_parse(endpoint: str, built: Built, media: str, fmt: str) -> None:
    """W3C query_content_type_construct (3.1.3): every RDF format, parsed back by rdflib."""
    query = PREFIXES + "CONSTRUCT { ?m rdfs:label ?l } WHERE { ?m a bg:Meeting ; rdfs:label ?l }"
    response = httpx.get(endpoint, params={"query": query}, headers={"Accept": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    parsed = Dataset()
    parsed.parse(data=response.content, format=fmt)
    got = {(str(s), str(o)) for s, _, o, _ in parsed.quads((None, None, None, None))}
    assert got == expected(built, MEETINGS)


@pytest.mark.parametrize(("media", "fmt"), GRAPH_MEDIA)
def test_2_1_5_describe_formats_parse(endpoint: str, media: str, fmt: str) -> None:
    """W3C query_content_type_describe (3.1.5, with a dataset in the request)."""
    meeting = "SELECT ?m WHERE { ?m a <https://w3id.org/bordergraph/ontology#Meeting> } LIMIT 1"
    iri = httpx.get(endpoint, params={"query": meeting}, headers=JSON_RESULTS).json()["results"]["bindings"][0]
    query = f"DESCRIBE <{iri['m']['value']}>"
    response = httpx.get(endpoint, params={"query": query}, headers={"Accept": media})
    assert response.status_code == 200
    parsed = Dataset()
    parsed.parse(data=response.content, format=fmt)
    subjects = {str(s) for s, _, _, _ in parsed.quads((None, None, None, None))}
    assert iri["m"]["value"] in subjects


def test_2_1_5_q_values_choose(endpoint: str) -> None:
    def media(accept: str, query: str = MEETINGS) -> str:
        response = httpx.get(endpoint, params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, (accept, response.text)
        return response.headers["content-type"].split(";")[0]

    assert media("text/csv;q=0.5, application/sparql-results+xml") == "application/sparql-results+xml"
    assert media("text/csv;q=0.9, text/tab-separated-values;q=0.95") == "text/tab-separated-values"
    assert media("text/*;q=0.9, text/csv;q=0") == "text/tab-separated-values"
    assert media("application/sparql-results+json;charset=utf-8") == "application/sparql-results+json"
    assert media("application/json") == "application/json"
    construct = PREFIXES + "CONSTRUCT WHERE { ?m a bg:Meeting }"
    assert media("application/rdf+xml;q=0.2, application/n-triples;q=0.8", construct) == "application/n-triples"
    assert media("text/html, application/xml;q=0.9, */*;q=0.8", construct) == "application/xml"  # RDF/XML


def test_2_1_5_defaults_for_any_and_no_accept(endpoint: str) -> None:
    construct = PREFIXES + "CONSTRUCT WHERE { ?m a bg:Meeting }"
    for headers in ({"Accept": "*/*"}, {}):
        select = httpx.get(endpoint, params={"query": MEETINGS}, headers=headers)
        graph = httpx.get(endpoint, params={"query": construct}, headers=headers)
        assert select.headers["content-type"].startswith("application/sparql-results+json")
        assert graph.headers["content-type"].startswith("text/turtle")


def test_2_1_5_nothing_acceptable_is_406_with_the_offer(endpoint: str) -> None:
    select = httpx.get(endpoint, params={"query": MEETINGS}, headers={"Accept": "text/turtle"})
    assert select.status_code == 406
    assert "application/sparql-results+json" in select.json()["message"]
    assert "text/tab-separated-values" in select.json()["message"]
    construct = httpx.get(
        endpoint, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv, image/*"}
    )
    assert construct.status_code == 406
    assert "text/turtle" in construct.json()["message"] and "application/ld+json" in construct.json()["message"]
    excluded = httpx.get(endpoint, params={"query": "ASK {}"}, headers={"Accept": "*/*;q=0"})
    assert excluded.status_code == 406


def test_2_1_5_head_answers_like_get_without_a_body(endpoint: str) -> None:
    params = {"query": MEETINGS}
    get = httpx.get(endpoint, params=params, headers={"Accept": "text/csv"})
    head = httpx.head(endpoint, params=params, headers={"Accept": "text/csv"})
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))
    assert httpx.head(endpoint, params={"query": "SELECT"}).status_code == 400


# -- 2.1.6 success responses and 2.1.7 failure responses ---------------------------------------


def test_2_1_6_success_is_2xx_with_a_content_type(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "ASK {}"})
    assert response.status_code == 200 and response.headers["content-type"]


def test_2_1_7_malformed_query_is_400_with_line_and_column(endpoint: str) -> None:
    """3.1.9 / W3C bad_query_syntax."""
    response = httpx.get(endpoint, params={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "syntax error" in message and "3:" in message, message


def test_2_1_7_two_queries_is_400(endpoint: str) -> None:
    """W3C bad_multiple_queries."""
    response = httpx.get(endpoint, params=[("query", "ASK {}"), ("query", "SELECT * {}")])
    assert response.status_code == 400
    assert "exactly one query" in response.json()["message"]


def test_2_1_7_wrong_media_type_is_4xx(endpoint: str) -> None:
    """W3C bad_query_wrong_media_type: POST text/plain."""
    response = httpx.post(endpoint, content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "application/sparql-query" in response.json()["message"]


def test_2_1_7_missing_form_type_is_4xx(endpoint: str) -> None:
    """W3C bad_query_missing_form_type: a URL-encoded body without its content type."""
    response = httpx.post(endpoint, content=b"query=ASK%20%7B%7D", headers={"Content-Type": ""})
    assert response.status_code == 400
    assert "content type" in response.json()["message"]


def test_2_1_7_missing_direct_type_is_4xx(endpoint: str) -> None:
    """W3C bad_query_missing_direct_type: a query body without application/sparql-query."""
    response = httpx.post(endpoint, content=b"ASK {}", headers={"Content-Type": ""})
    assert response.status_code == 400
    assert "(none)" in response.json()["message"]


def test_2_1_7_non_utf8_body_is_400(endpoint: str) -> None:
    """W3C bad_query_non_utf8: the body in UTF-16."""
    response = httpx.post(
        endpoint, content="ASK {}".encode("utf-16"), headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["message"]


def test_2_1_7_other_methods_are_4xx(endpoint: str) -> None:
    """W3C bad_query_method: PUT (and DELETE, PATCH) are not query operations."""
    for method in ("PUT", "DELETE", "PATCH"):
        response = httpx.request(method, endpoint, params={"query": "ASK {}"})
        assert response.status_code == 405, method
        assert "read-only" in response.json()["message"]
        assert "GET" in response.headers["allow"]


def test_2_1_7_empty_query_is_400(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "  "})
    assert response.status_code == 400
    assert "empty" in response.json()["message"]


def test_2_1_7_query_and_update_together_is_400(endpoint: str) -> None:
    response = httpx.post(endpoint, data={"query": "ASK {}", "update": "CLEAR ALL"})
    assert response.status_code == 400


# -- 2.2 update operation: refused (the service is read-only) ----------------------------------


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "POST", "data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {
            "method": "POST",
            "content": b"DELETE WHERE { ?s ?p ?o }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"method": "GET", "params": {"update": "CLEAR ALL"}},  # W3C bad_update_get
        {"method": "POST", "data": {"update": "LOAD <file:///etc/passwd>"}},
    ],
)
def test_2_2_updates_are_refused_with_403(endpoint: str, request_kwargs: dict[str, object]) -> None:
    method = str(request_kwargs.pop("method"))
    response = httpx.request(method, endpoint, **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == 403
    assert "read-only" in response.json()["message"]
    still = httpx.get(endpoint, params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"}, headers=JSON_RESULTS)
    assert still.json()["boolean"] is False


# -- 3.1.11 long queries by POST; clients ------------------------------------------------------


def test_3_1_11_long_query_by_post(endpoint: str, built: Built) -> None:
    labels = [str(solution["label"]) for solution in built.store.query(MEETINGS)]  # N-Triples form: SPARQL terms
    values = " ".join(labels) + " " + " ".join(f'"filler {i}"' for i in range(800))
    query = PREFIXES + f"SELECT ?m WHERE {{ VALUES ?label {{ {values} }} ?m rdfs:label ?label ; a bg:Meeting }}"
    assert len(query.encode()) > 8000
    response = httpx.post(endpoint, data={"query": query}, headers=JSON_RESULTS)
    assert len(rows(response)) == len({row[0] for row in expected(built, MEETINGS)})


def test_sparqlwrapper_get_and_post(endpoint: str, built: Built) -> None:
    for method, fmt in ((None, JSON), (POST, XML)):
        client = SPARQLWrapper(endpoint)
        if method:
            client.setMethod(method)
        client.setReturnFormat(fmt)
        client.setQuery(MEETINGS)
        result = client.query()
        parsed = Result.parse(io.BytesIO(result.response.read()), format="json" if fmt == JSON else "xml")
        assert solutions(parsed) == expected(built, MEETINGS)


def test_rdflib_sparqlstore(endpoint: str, built: Built) -> None:
    store = SPARQLStore(endpoint, returnFormat="json")
    graph = Graph(store=store)
    got = {(str(r[0]), str(r[1])) for r in graph.query(MEETINGS)}  # type: ignore[index]
    assert got == expected(built, MEETINGS)
    meeting = URIRef(next(iter(got))[0])
    labels = set(graph.objects(meeting, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert labels and all(isinstance(label, Literal) for label in labels)


# -- service description (SPARQL 1.1 Service Description §2: at the endpoint URL) --------------

SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.mark.parametrize(
    ("media", "fmt"), [("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")]
)
def test_service_description_formats(endpoint: str, built: Built, media: str, fmt: str) -> None:
    response = httpx.get(endpoint, headers={"Accept": media})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    graph = Graph().parse(data=response.content, format=fmt)
    assert {str(o) for o in graph.objects(None, URIRef(SD + "endpoint"))} == {endpoint}
    listed = {}
    for named in graph.subjects(URIRef(SD + "name"), None):
        name = str(graph.value(named, URIRef(SD + "name")))
        described = graph.value(named, URIRef(SD + "graph"))
        listed[name] = int(str(graph.value(described, URIRef("http://rdfs.org/ns/void#triples"))))
    assert listed == built.store.graph_sizes()
    formats = {str(o).rsplit("/", 1)[-1] for o in graph.objects(None, URIRef(SD + "resultFormat"))}
    assert {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV"} <= formats
    assert {"Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML"} <= formats
    features = {str(o).rsplit("#", 1)[-1] for o in graph.objects(None, URIRef(SD + "feature"))}
    assert "UnionDefaultGraph" in features
    assert "BasicFederatedQuery" not in features  # SERVICE is refused unless an allow-list is configured
    languages = {str(o).rsplit("#", 1)[-1] for o in graph.objects(None, URIRef(SD + "supportedLanguage"))}
    assert languages == {"SPARQL11Query"}


def test_service_description_html_is_the_query_ui(endpoint: str) -> None:
    response = httpx.get(endpoint, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


def test_service_description_head(endpoint: str) -> None:
    response = httpx.head(endpoint, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) > 0


# -- Graph Store Protocol, read side -----------------------------------------------------------


@pytest.mark.parametrize(("media", "fmt"), GRAPH_MEDIA)
def test_graph_store_get_named_graph(endpoint: str, built: Built, media: str, fmt: str) -> None:
    response = httpx.get(endpoint, params={"graph": G2018}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    parsed = Dataset()
    parsed.parse(data=response.content, format=fmt)
    assert len(parsed) == built.store.graph_sizes()[G2018]


def test_graph_store_get_default_graph(endpoint: str, built: Built) -> None:
    response = httpx.get(endpoint, params={"default": ""}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert len(Graph().parse(data=response.text, format="nt")) == built.store.default_size


def test_graph_store_errors(endpoint: str) -> None:
    unknown = httpx.get(endpoint, params={"graph": BGG + "nope"})
    assert unknown.status_code == 404
    assert G2018 in unknown.json()["message"]
    assert httpx.get(endpoint, params={"graph": G2018}, headers={"Accept": "image/png"}).status_code == 406
    assert httpx.get(endpoint, params=[("graph", G2018), ("graph", G2017)]).status_code == 400
    assert httpx.put(endpoint, params={"graph": G2018}, content=b"<a> <b> <c> .").status_code == 405
    assert httpx.head(endpoint, params={"graph": G2018}).content == b""


# -- CORS (browsers query public endpoints) ----------------------------------------------------


def test_cors_preflight_and_simple_requests(endpoint: str) -> None:
    origin = "https://example.org"
    preflight = httpx.options(
        endpoint,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    simple = httpx.get(endpoint, params={"query": "ASK {}"}, headers={"Origin": origin})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "x-bordergraph-row-cap" in simple.headers["access-control-expose-headers"].lower()
    plain = httpx.options(endpoint)
    assert plain.status_code == 204 and "POST" in plain.headers["allow"]
