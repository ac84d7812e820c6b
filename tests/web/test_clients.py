"""What SPARQLWrapper and rdflib users see when a query fails: the server's own message.

Both real clients against a real uvicorn server (with bordergraph's ReasonProtocol, as `serve`
runs it). For 422 and 504 SPARQLWrapper raises urllib's HTTPError and rdflib's SPARQLStore gives
only the HTTP error's text, so the message must arrive in the reason phrase; for 400 SPARQLWrapper
shows the body, and rdflib again only the status line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.error import HTTPError

import httpx
import pytest
from rdflib import Dataset, Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]
ROW_CAP = 3
TIMEOUT = 1.0
BAD = "SELECT * WHERE { ?s ?p ?o } LIMT 10"
TOO_MANY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: What each failure's message says (checked in the body first, so the words are the server's own).
EXPECTED = {400: "Did you mean LIMIT?", 422: f"more than {ROW_CAP} rows", 504: f"longer than {TIMEOUT:g} s"}
QUERIES = {400: BAD, 422: TOO_MANY, 504: SLOW}


@pytest.fixture(scope="module")
def server_with_caps(serve: Serve, built: Built) -> Iterator[tuple[str, SparqlRouter]]:
    with serve(built, Settings(rate=0, row_cap=ROW_CAP, timeout=TIMEOUT, concurrency=1)) as (base, router):
        yield f"{base}/sparql", router


@pytest.fixture
def small(server_with_caps: tuple[str, SparqlRouter]) -> str:
    """A server with a small row cap and a short timeout, so 422 and 504 are easy to cause.

    A 504 kills its worker; each test waits until the replacement has loaded the dataset.
    """
    endpoint, router = server_with_caps
    assert router.pool.wait_ready(120)
    return endpoint


@pytest.mark.parametrize("status", sorted(QUERIES))
def test_the_body_and_the_status_line_carry_the_message(small: str, status: int) -> None:
    answer = httpx.post(small, data={"query": QUERIES[status]}, timeout=30)
    assert answer.status_code == status
    assert EXPECTED[status] in answer.json()["message"]
    assert EXPECTED[status] in answer.headers["x-bordergraph-reason"]
    assert EXPECTED[status] in answer.reason_phrase


@pytest.mark.parametrize("status", sorted(QUERIES))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_users_read_the_message(small: str, status: int, method: str) -> None:
    client = SPARQLWrapper(small)
    client.setMethod(method)
    client.setReturnFormat(JSON)
    client.setQuery(QUERIES[status])
    expected = QueryBadFormed if status == 400 else HTTPError
    with pytest.raises(expected) as caught:
        client.queryAndConvert()
    assert EXPECTED[status] in str(caught.value)


@pytest.mark.parametrize("status", sorted(QUERIES))
def test_rdflib_sparqlstore_get_chains_the_message(small: str, status: int) -> None:
    """GET (rdflib's default): a generic ValueError, raised while handling the HTTPError with our message."""
    graph = Graph(store=SPARQLStore(small))
    with pytest.raises(ValueError) as caught:
        list(graph.query(QUERIES[status]))
    cause = caught.value.__context__
    assert isinstance(cause, HTTPError)
    assert cause.code == status
    assert EXPECTED[status] in str(cause)


@pytest.mark.parametrize("status", sorted(QUERIES))
def test_rdflib_sparqlstore_post_returns_the_message(small: str, status: int) -> None:
    """POST: rdflib's connector returns (code, str(HTTPError), None) instead of raising."""
    store = SPARQLStore(small, method="POST")
    answer: Any = store.query(QUERIES[status])
    code, text, _ = answer
    assert code == status
    assert EXPECTED[status] in text


def test_rdflib_graph_on_the_endpoint_answers(endpoint: str) -> None:
    """The README's way: Graph(store=SPARQLStore(url)) queries the default graph (every source)."""
    graph = Graph(store=SPARQLStore(endpoint))
    rows: list[Any] = list(graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }"))
    assert int(rows[0][0]) > 0


def test_rdflib_dataset_on_the_endpoint_sees_the_default_graph(endpoint: str) -> None:
    """Dataset(store=SPARQLStore(url)) sends default-graph-uri=urn:x-rdflib:default: our default graph."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }"
    via_graph: list[Any] = list(Graph(store=SPARQLStore(endpoint)).query(query))
    via_dataset: list[Any] = list(Dataset(store=SPARQLStore(endpoint)).query(query))
    assert int(via_dataset[0][0]) == int(via_graph[0][0]) > 0
