"""Unit tests of query answering (what each worker runs): formats, dataset, row cap, error statuses."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from bordergraph.querystore import QueryStore
from bordergraph.web.answer import evaluate

EX = "http://example.org/"
G1, G2 = EX + "g1", EX + "g2"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def store() -> QueryStore:
    """Two small named graphs sharing one triple, and their merge as the default graph (as builds are)."""
    shared = (ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("shared"))
    quads = [ox.Quad(*shared, ox.NamedNode(g)) for g in (G1, G2)]
    quads += [
        ox.Quad(ox.NamedNode(EX + f"s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), ox.NamedNode(G1))
        for i in range(5)
    ]
    raw = ox.Store()
    raw.extend(quads)
    raw.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    return QueryStore(raw)


def rows(body: bytes) -> list[dict[str, dict[str, str]]]:
    return list(json.loads(body)["results"]["bindings"])


def test_select_in_json_counts_its_rows(store: QueryStore) -> None:
    answer = evaluate(store, "SELECT ?s WHERE { ?s ?p ?o }", None, None, JSON, 100)
    assert answer.status == 200 and answer.media_type == JSON
    assert answer.rows == len(rows(answer.body)) == 6, "the default graph is a merge: the shared triple once"


def test_several_default_graphs_are_merged_not_added(store: QueryStore) -> None:
    answer = evaluate(store, "SELECT ?s WHERE { ?s ?p ?o }", (G1, G2), (), JSON, 100)
    assert answer.rows == 6
    only_g2 = evaluate(store, "SELECT ?s WHERE { ?s ?p ?o }", (G2,), (), JSON, 100)
    assert only_g2.rows == 1


def test_ask_and_construct_answer_in_their_own_formats(store: QueryStore) -> None:
    ask = evaluate(store, "ASK { ?s ?p 'shared' }", None, None, JSON, 100)
    assert ask.status == 200 and json.loads(ask.body)["boolean"] is True
    turtle = evaluate(store, "CONSTRUCT WHERE { ?s ?p ?o }", None, None, "text/turtle", 100)
    assert turtle.status == 200 and turtle.rows == 6
    assert len(list(ox.parse(turtle.body, format=ox.RdfFormat.TURTLE))) == 6
    graphml = evaluate(store, "CONSTRUCT WHERE { ?s ?p ?o }", None, None, "application/graphml+xml", 100)
    assert graphml.status == 200 and b"<graphml" in graphml.body


def test_a_form_that_cannot_be_written_in_the_type_is_406(store: QueryStore) -> None:
    assert evaluate(store, "CONSTRUCT WHERE { ?s ?p ?o }", None, None, JSON + "x", 100).status == 406
    select_as_turtle = evaluate(store, "SELECT * { ?s ?p ?o }", None, None, "text/turtle", 100)
    assert select_as_turtle.status == 406 and "SELECT and ASK" in select_as_turtle.message


def test_over_the_row_cap_is_422_never_a_truncated_answer(store: QueryStore) -> None:
    select = evaluate(store, "SELECT ?s WHERE { ?s ?p ?o }", None, None, JSON, 5)
    assert select.status == 422 and select.body == b"" and "more than 5 rows" in select.message
    construct = evaluate(store, "CONSTRUCT WHERE { ?s ?p ?o }", None, None, "text/turtle", 5)
    assert construct.status == 422 and construct.body == b""
    assert evaluate(store, "SELECT ?s WHERE { ?s ?p ?o }", None, None, JSON, 6).status == 200


def test_a_syntax_error_is_400_with_the_engines_message(store: QueryStore) -> None:
    answer = evaluate(store, "SELECT WHERE {", None, None, JSON, 100)
    assert answer.status == 400 and answer.message.startswith("query syntax error:")


def test_a_failed_service_call_is_502(store: QueryStore) -> None:
    query = "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"  # port 9 (discard): refused
    answer = evaluate(store, query, None, None, JSON, 100)
    assert answer.status == 502 and "SERVICE" in answer.message
