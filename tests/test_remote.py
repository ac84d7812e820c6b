"""RemoteStore against real stores: every example query's answer, and every sign of a partial answer as an error.

The stores (``oxigraph serve`` and Virtuoso) run on loopback, hold the real build published by
bordergraph itself (tests/stores.py), and are stopped by PID. Answers are written by the same
serialiser as the local engine's and compared with queries/examples/expected/ as tests/test_queries.py does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from bordergraph.build import Built
from bordergraph.examples import Example
from bordergraph.publish.prepare import Prepared
from bordergraph.remote import (
    JSON_RESULTS as JSON,
)
from bordergraph.remote import (
    BackendTimeoutError,
    BackendUnavailableError,
    PartialAnswerError,
    RemoteStore,
    parse_json_results,
    query_form,
)
from bordergraph.snapshots import Ordering, differences, ordering
from bordergraph.web.answer import evaluate, render
from stores import Store, oxigraph, publisher, virtuoso
from test_examples import LOCAL, expected_path

pytest_plugins = ["stores"]  # the store fixtures

#: Answers a store is known to get wrong (measured on Virtuoso 7.2.5.1, Debian, a new database).
#: Strict: the day the store answers right, the test fails and this entry must go.
KNOWN_WRONG = {
    ("virtuoso", "06-actors-in-several-releases"): "Virtuoso 7.2.5 drops rows of EXISTS { ?t rdfs:subClassOf+ … } "
    "inside ||",
    ("virtuoso", "12-timeline"): "Virtuoso 7.2.5 drops rows of rdfs:subClassOf* joined with a path and two OPTIONALs",
    ("virtuoso", "17-places-and-places-of-issue"): "Virtuoso 7.2.5 drops rows of rdfs:subClassOf* joined with "
    "GRAPH ?g inside UNION and an OPTIONAL path",
}


TSV = "text/tab-separated-values"


#: Examples whose ORDER BY sorts language-tagged strings: SPARQL 1.1 leaves their relative order to the
#: engine (§15.1, `<` is not defined on rdf:langString), and Virtuoso's differs from Oxigraph's (measured).
#: On Virtuoso these are compared as multisets of rows, so every row is still checked.
ORDER_IS_THE_ENGINES = {
    ("virtuoso", "13-claims-by-modality"),
    ("virtuoso", "17-places-and-places-of-issue"),
    ("virtuoso", "20-rankings"),
}


def tsv(result: ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]) -> str:
    """The answer as the local engine writes SPARQL TSV (the same serialiser)."""
    return render(result, TSV, 10**9).body.decode()


def cases() -> Iterator[object]:
    for kind in ("oxigraph", "virtuoso"):
        for example in LOCAL:
            reason = KNOWN_WRONG.get((kind, example.slug))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(kind, example, marks=marks, id=f"{kind}-{example.slug}")


@pytest.mark.parametrize(("kind", "example"), list(cases()))
def test_example_through_the_store_gives_its_expected_answer(
    kind: str, example: Example, request: pytest.FixtureRequest
) -> None:
    store: Store = request.getfixturevalue(f"{kind}_store")
    remote = RemoteStore(store.query_url, kind=store.kind)
    try:
        answer = tsv(remote.query(example.text))
    finally:
        remote.close()
    expected = expected_path(example).read_text(encoding="utf-8")
    order = ordering(example.text)
    if (kind, example.slug) in ORDER_IS_THE_ENGINES:
        assert not order.limited, "a LIMIT after an engine-defined order picks engine-defined rows"
        order = Ordering(keys=None, limited=False)
    problems = differences(expected, answer, order)
    assert not problems, f"{kind} ({store.query_url}) answered {example.slug} differently:\n" + "\n".join(problems[:20])


def same_rows(media: str, a: bytes, b: bytes, query: str) -> bool:
    """Same header and the same multiset of rows (ORDER BY may leave ties in any order)."""
    if media == JSON:
        one, two = json.loads(a), json.loads(b)
        key = json.dumps
        return bool(
            one["head"] == two["head"]
            and sorted(map(key, one["results"]["bindings"])) == sorted(map(key, two["results"]["bindings"]))
        )
    return not differences(b.decode(), a.decode(), ordering(query))


def test_oxigraph_answers_are_the_local_engines_bytes(oxigraph_store: Store, built: Built) -> None:
    """With the merge as its default graph, Oxigraph's answers are the local engine's bytes (TSV and JSON).

    Only rows that ORDER BY leaves tied may come in another order (two stores, two insertion orders).
    """
    remote = RemoteStore(oxigraph_store.query_url, kind="oxigraph")
    different, identical = [], 0
    for example in LOCAL:
        for media in (TSV, JSON):
            local = evaluate(built.store, example.text, None, None, media, 10**9).body
            answer = render(remote.query(example.text), media, 10**9).body
            identical += answer == local
            if answer != local and not same_rows(media, answer, local, example.text):
                different.append((example.slug, media))
    remote.close()
    assert different == []
    assert identical >= len(LOCAL)  # most answers have no ties: byte for byte the same


def test_construct_and_ask_through_each_store(published_store: Store) -> None:
    remote = RemoteStore(published_store.query_url, kind=published_store.kind)
    graph = remote.query("CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 5")
    assert isinstance(graph, list) and len(graph) == 5 and all(isinstance(t, ox.Triple) for t in graph)
    asked = remote.query("ASK { ?s a ?t }")
    assert isinstance(asked, ox.QueryBoolean) and bool(asked)
    remote.close()


def test_query_form_ignores_comments_strings_and_iris() -> None:
    assert query_form("# SELECT\nPREFIX ask: <http://x/SELECT#>\nCONSTRUCT { ?s ?p 'ASK' } WHERE {}") == "CONSTRUCT"
    assert query_form("prefix : <http://x/> describe :a") == "DESCRIBE"


# -- partial answers are errors ----------------------------------------------------------------


HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LONG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


def test_oxigraph_timeout_cut_off_body_is_a_timeout_error(tmp_path: Path, prepared: Prepared) -> None:
    """``--timeout-s`` answers HTTP 200 with a body cut off mid-way: never relayed, a 504."""
    with oxigraph(tmp_path, timeout_s=1) as store:
        client = publisher(store)
        client.publish(prepared)
        client.close()
        remote = RemoteStore(store.query_url, kind="oxigraph", timeout=60)
        with pytest.raises(BackendTimeoutError, match="cut off") as caught:
            remote.query(LONG)
        assert caught.value.status == 504
        remote.close()


def test_virtuoso_s1tat_partial_answer_is_a_timeout_error(virtuoso_store: Store) -> None:
    """Virtuoso's ``timeout`` parameter: HTTP 200, no rows for a COUNT, only ``X-SQL-State: S1TAT`` says so."""
    remote = RemoteStore(virtuoso_store.query_url, kind="virtuoso", store_timeout=0.1, timeout=60)
    with pytest.raises(BackendTimeoutError, match="S1TAT") as caught:
        remote.query(HEAVY)
    assert caught.value.status == 504
    remote.close()


def test_virtuoso_row_limit_truncation_is_an_error(tmp_path: Path, prepared: Prepared) -> None:
    """``ResultSetMaxRows`` cuts the answer with HTTP 200 and an ``X-SPARQL-MaxRows`` header: an error, not rows."""
    with virtuoso(tmp_path, max_rows=100) as store:
        client = publisher(store)
        client.publish(prepared)
        client.close()
        remote = RemoteStore(store.query_url, kind="virtuoso")
        with pytest.raises(PartialAnswerError, match="row limit") as caught:
            remote.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
        assert caught.value.status == 502
        small = remote.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 10")
        assert len(list(small)) == 10  # type: ignore[arg-type]
        remote.close()


def test_a_store_that_is_down_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    remote = RemoteStore(f"http://127.0.0.1:{port}/query", kind="oxigraph")
    with pytest.raises(BackendUnavailableError) as caught:
        remote.query("ASK {}")
    assert caught.value.status == 503
    assert remote.health() is not None and "unavailable" in remote.health()  # type: ignore[operator]


def test_a_store_that_does_not_answer_is_a_timeout() -> None:
    """A server that accepts the connection and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
        thread.start()
        remote = RemoteStore(f"http://127.0.0.1:{listener.getsockname()[1]}/query", timeout=0.5)
        with pytest.raises(BackendTimeoutError) as caught:
            remote.query("ASK {}")
        assert caught.value.status == 504
        for conn in accepted:
            conn.close()


@pytest.mark.parametrize(
    "body",
    [
        '{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "http://a"}}',
        "",
        '{"head": {"vars": ["s"]}}',
    ],
    ids=["cut-off", "empty", "no-results"],
)
def test_bodies_that_do_not_parse_completely_are_errors(body: str) -> None:
    with pytest.raises(PartialAnswerError):
        parse_json_results(body)


def test_virtuoso_dialect_is_normalised() -> None:
    """``nodeID://`` blank nodes and ``typed-literal`` (as Virtuoso writes them) parse; labels stay consistent."""
    body = (
        '{"head": {"vars": ["a", "b", "n"]}, "results": {"bindings": ['
        '{"a": {"type": "bnode", "value": "nodeID://b1"}, "b": {"type": "bnode", "value": "nodeID://b1"},'
        ' "n": {"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "3"}}]}}'
    )
    (solution,) = list(parse_json_results(body))  # type: ignore[arg-type]
    assert solution["a"] == solution["b"] and isinstance(solution["a"], ox.BlankNode)
    assert solution["n"] == ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
