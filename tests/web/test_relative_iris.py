"""Relative IRIs in a query resolve against the endpoint's URL, or against --public-url when it is set.

The W3C protocol suite sends ``CONSTRUCT { <s> <p> 1 } WHERE {}`` and expects 2xx (issue 11).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

W3C = "CONSTRUCT { <s> <p> 1 } WHERE {}"
PUBLIC = "https://example.org/bordergraph/sparql"

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings, public_url, port)`` → (base URL, router).
Serve = Callable[..., AbstractContextManager[tuple[str, SparqlRouter]]]


@pytest.fixture(scope="module")
def public(built: Built, serve: Serve) -> Iterator[str]:
    """The endpoint of a server whose public URL differs from its address (as behind a proxy)."""
    with serve(built, Settings(rate=0, concurrency=1), PUBLIC) as (base, _):
        yield f"{base}/sparql"


@pytest.fixture(scope="module")
def unconfigured(built: Built, serve: Serve, port: Callable[[], int]) -> Iterator[int]:
    """The port of a server without a public URL."""
    free = port()
    with serve(built, Settings(rate=0, concurrency=1), None, free):
        yield free


def construct(endpoint: str, query: str) -> Graph:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(TURTLE)
    result = sparql.query()
    assert result.response.status == 200
    graph = Graph()
    body = result.convert()
    assert isinstance(body, bytes | str)
    graph.parse(data=body, format="turtle")
    return graph


def test_w3c_protocol_query_is_answered_against_the_endpoint_url(endpoint: str) -> None:
    graph = construct(endpoint, W3C)
    base = endpoint.rsplit("/", 1)[0]
    assert set(graph) == {(URIRef(f"{base}/s"), URIRef(f"{base}/p"), Literal(1))}


def test_relative_iris_in_select_and_ask_over_get_and_post(endpoint: str) -> None:
    base = endpoint.rsplit("/", 1)[0]
    select = "SELECT ?x WHERE { BIND(<thing#1> AS ?x) }"
    for response in (
        httpx.get(endpoint, params={"query": select}, headers={"Accept": "application/sparql-results+json"}),
        httpx.post(endpoint, data={"query": select}, headers={"Accept": "application/sparql-results+json"}),
    ):
        assert response.status_code == 200
        assert response.json()["results"]["bindings"][0]["x"]["value"] == f"{base}/thing#1"
    ask = httpx.post(
        endpoint, content=b"ASK { FILTER(<a> = <a>) }", headers={"Content-Type": "application/sparql-query"}
    )
    assert ask.status_code == 200


def test_the_query_s_own_base_wins(endpoint: str) -> None:
    graph = construct(endpoint, "BASE <http://example.com/x/> " + W3C)
    assert set(graph) == {(URIRef("http://example.com/x/s"), URIRef("http://example.com/x/p"), Literal(1))}


def test_public_url_is_the_base(public: str) -> None:
    graph = construct(public, W3C)
    assert set(graph) == {
        (URIRef("https://example.org/bordergraph/s"), URIRef("https://example.org/bordergraph/p"), Literal(1))
    }
    sparql = SPARQLWrapper(public)
    sparql.setQuery("SELECT ?x WHERE { BIND(<../other> AS ?x) }")
    sparql.setReturnFormat(JSON)
    answer = sparql.queryAndConvert()
    assert isinstance(answer, dict)
    assert answer["results"]["bindings"][0]["x"]["value"] == "https://example.org/other"


def test_without_a_public_url_the_url_the_client_used_is_the_base(unconfigured: int) -> None:
    for host in ("127.0.0.1", "localhost"):
        endpoint = f"http://{host}:{unconfigured}/sparql"
        graph = construct(endpoint, W3C)
        assert set(graph) == {
            (URIRef(f"http://{host}:{unconfigured}/s"), URIRef(f"http://{host}:{unconfigured}/p"), Literal(1))
        }
