"""``serve --backend``: a client that goes away has its query stopped on the store, and its slot freed.

Real stores (tests/stores.py), a real uvicorn front end (the ``serve`` fixture) and real httpx clients
that close their connection while the store is still evaluating. What is asserted is what the front
end shows (``/metrics``, its concurrency slots) and what the store reports or does: Virtuoso's own
list of the HTTP requests it is processing (``http_pending_req()``, asked through ``isql-vt``), and
for Oxigraph, which reports nothing, its end of the abandoned request's TCP connection (a store still
working on a request keeps it open; in ``/proc/net/tcp``: CLOSE_WAIT once the front end has closed).
Never timings: the front end's timeout is far longer than any wait here.

Measured with Oxigraph 0.5.13 and Virtuoso 7.2.5.1 (docs/operations.md): Oxigraph notices a closed
connection only when it next writes to it, so an answer that streams (``STREAMING``) stops at once
while one that is written only at its end (a COUNT, an ORDER BY) runs on to its end or ``--timeout-s``;
Virtuoso stops either kind within about two seconds.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from test_cancel import ASK, JSON_RESULTS, RUNNING, SLOW, TIMEOUT, WAITING, abandon, await_until, metrics, wait_until

from bordergraph.build import Built
from bordergraph.publish.prepare import Prepared
from bordergraph.remote import BackendCancelledError, BackendError, Call, RemoteStore
from bordergraph.web.backend import _ended
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter
from conftest import Serve
from stores import Store, oxigraph, published

pytest_plugins = ["stores"]  # the store fixtures

#: An answer Oxigraph writes as it evaluates, slowly (a few rows per millisecond) and without end.
STREAMING = "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?c = ?i) }"
#: TCP states in /proc/net/tcp (include/net/tcp_states.h) in which the store has not closed its end.
OPEN = {"01": "ESTABLISHED", "08": "CLOSE_WAIT", "03": "SYN_RECV"}
#: The front end's 499s ("client closed request") in /metrics.
GONE = 'bordergraph_http_requests_total{method="POST",route="/sparql",status="499"}'


def port_of(store: Store) -> int:
    """The store's HTTP port, from its query URL."""
    match = re.match(r"http://127\.0\.0\.1:(\d+)/", store.query_url)
    assert match, store.query_url
    return int(match.group(1))


def held_by_store(port: int) -> list[str]:
    """The states of the TCP connections the store on ``port`` has accepted and not yet closed."""
    states = []
    for line in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] in OPEN:
            states.append(OPEN[fields[3]])
    return sorted(states)


def pending_in_virtuoso(store: Store) -> int:
    """How many HTTP requests Virtuoso says it is processing: ``length(http_pending_req())`` via isql."""
    ini = (store.folder / "virtuoso.ini").read_text(encoding="utf-8")
    sql_port = re.search(r"\[Parameters\]\s+ServerPort\s*=\s*127\.0\.0\.1:(\d+)", ini)
    assert sql_port, "no SQL port in virtuoso.ini"
    assert store.user and store.password
    isql = ["isql-vt", sql_port.group(1), store.user, store.password, "exec=SELECT length(http_pending_req());"]
    out = subprocess.run(isql, capture_output=True, text=True, timeout=60, check=True).stdout
    numbers = re.findall(r"^\s*(\d+)\s*$", out, re.MULTILINE)
    assert len(numbers) == 1, out
    return int(numbers[0])


@pytest.fixture(scope="module")
def own_oxigraph(tmp_path_factory: pytest.TempPathFactory, prepared: Prepared) -> Iterator[Store]:
    """An ``oxigraph serve`` of this module's own (so every connection to it is this module's), published."""
    with oxigraph(tmp_path_factory.mktemp("oxigraph-cancel")) as store:
        yield published(store, prepared)


def slots_taken(sparql: SparqlRouter) -> float:
    assert sparql.backend is not None
    return sparql.backend.limiter.borrowed_tokens


def one_slot(store: Store) -> Settings:
    """A front end over ``store`` that sends it one query at a time (no rate limit)."""
    return Settings(rate=0, backend=store.query_url, backend_kind=store.kind, concurrency=1, timeout=TIMEOUT)


def waiting_for_a_slot(sparql: SparqlRouter) -> int:
    assert sparql.backend is not None
    return sparql.backend.limiter.statistics().tasks_waiting


def test_an_abandoned_query_is_stopped_on_oxigraph_and_frees_its_slot(
    serve: Serve, built: Built, own_oxigraph: Store
) -> None:
    port = port_of(own_oxigraph)
    with serve(built, one_slot(own_oxigraph)) as (base, sparql):
        endpoint = f"{base}/sparql"
        wait_until(lambda: held_by_store(port) == [], "no connection to the store before the query")

        async def leave() -> None:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                await abandon(client, endpoint, STREAMING, lambda: held_by_store(port) == ["ESTABLISHED"])

        asyncio.run(leave())
        wait_until(lambda: metrics(base)[RUNNING] == 1, "the query was counted as cancelled while running")
        # The store closed its end of the request: it is no longer evaluating it.
        wait_until(lambda: held_by_store(port) == [], "the store ended the abandoned request")
        wait_until(lambda: slots_taken(sparql) == 0, "the slot was given back")
        # concurrency=1: the next query is answered, so the slot is free.
        answer = httpx.post(endpoint, data={"query": ASK}, headers=JSON_RESULTS, timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        after = metrics(base)
        assert after[WAITING] == 0 and after["bordergraph_query_timeouts_total"] == 0
        assert after[GONE] == 1  # logged and counted as 499, never as a 5xx


def test_a_query_abandoned_while_waiting_for_a_slot_leaves_the_queue(
    serve: Serve, built: Built, own_oxigraph: Store
) -> None:
    port = port_of(own_oxigraph)
    with serve(built, one_slot(own_oxigraph)) as (base, sparql):
        endpoint = f"{base}/sparql"
        wait_until(lambda: held_by_store(port) == [], "no connection to the store before the queries")

        async def both() -> None:
            async with httpx.AsyncClient(timeout=TIMEOUT) as first, httpx.AsyncClient(timeout=TIMEOUT) as second:
                running = asyncio.ensure_future(first.post(endpoint, data={"query": STREAMING}, headers=JSON_RESULTS))
                await await_until(lambda: held_by_store(port) == ["ESTABLISHED"], "the first query runs on the store")
                await abandon(second, endpoint, ASK, lambda: waiting_for_a_slot(sparql) == 1)
                await await_until(lambda: waiting_for_a_slot(sparql) == 0, "the abandoned query left the queue")
                # One slot: the store never had the second query, and still has the first alone.
                assert held_by_store(port) == ["ESTABLISHED"] and not running.done()
                assert metrics(base)[WAITING] == 1 and metrics(base)[RUNNING] == 0
                running.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await running

        asyncio.run(both())
        wait_until(lambda: metrics(base)[RUNNING] == 1, "the running query was cancelled")
        wait_until(lambda: held_by_store(port) == [], "the store ended the abandoned request")
        wait_until(lambda: slots_taken(sparql) == 0, "the slot was given back")
        answer = httpx.post(endpoint, data={"query": ASK}, headers=JSON_RESULTS, timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert metrics(base)[GONE] == 2


def test_an_abandoned_query_is_stopped_on_virtuoso(serve: Serve, built: Built, virtuoso_store: Store) -> None:
    settings = Settings(
        rate=0, backend=virtuoso_store.query_url, backend_kind="virtuoso", concurrency=1, timeout=TIMEOUT
    )
    with serve(built, settings) as (base, sparql):
        endpoint = f"{base}/sparql"
        wait_until(lambda: pending_in_virtuoso(virtuoso_store) == 0, "Virtuoso has no request before the query")

        async def leave() -> None:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                # SLOW is a COUNT: nothing is written before it ends, which Virtuoso would not reach for hours.
                await abandon(client, endpoint, SLOW, lambda: pending_in_virtuoso(virtuoso_store) == 1)

        asyncio.run(leave())
        wait_until(lambda: metrics(base)[RUNNING] == 1, "the query was counted as cancelled while running")
        wait_until(lambda: pending_in_virtuoso(virtuoso_store) == 0, "Virtuoso says it no longer processes it")
        wait_until(lambda: slots_taken(sparql) == 0, "the slot was given back")
        answer = httpx.post(endpoint, data={"query": ASK}, headers=JSON_RESULTS, timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        after = metrics(base)
        assert after[WAITING] == 0 and after["bordergraph_query_timeouts_total"] == 0 and after[GONE] == 1


def test_a_completed_backend_query_is_not_cancelled(serve: Serve, built: Built, own_oxigraph: Store) -> None:
    port = port_of(own_oxigraph)
    with serve(built, one_slot(own_oxigraph)) as (base, sparql):
        endpoint = f"{base}/sparql"
        with httpx.Client(timeout=TIMEOUT) as client:
            asked = client.post(endpoint, data={"query": ASK}, headers=JSON_RESULTS)
            rows = client.get(endpoint, params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"}, headers=JSON_RESULTS)
        # The client's connection is closed now, after the answers: nothing is cancelled.
        assert asked.status_code == 200 and asked.json()["boolean"] is True
        assert rows.status_code == 200 and len(rows.json()["results"]["bindings"]) == 3
        after = metrics(base)
        assert after[RUNNING] == 0 and after[WAITING] == 0
        assert slots_taken(sparql) == 0
        wait_until(lambda: held_by_store(port) == [], "each request's connection to the store is closed")


# -- RemoteStore: a Call stops a blocking request from another thread ------------------------------------


def test_a_call_cancelled_from_another_thread_ends_the_request_at_once(own_oxigraph: Store) -> None:
    port = port_of(own_oxigraph)
    remote = RemoteStore(own_oxigraph.query_url, kind="oxigraph", timeout=TIMEOUT, keep_alive=False)
    call = Call()
    ended: list[BackendError] = []

    def query() -> None:
        try:
            remote.query(STREAMING, call=call)
        except BackendError as exc:
            ended.append(exc)

    thread = threading.Thread(target=query)
    thread.start()
    wait_until(lambda: held_by_store(port) == ["ESTABLISHED"], "the store evaluates the query")
    call.cancel()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert len(ended) == 1 and isinstance(ended[0], BackendCancelledError) and ended[0].status == 499
    wait_until(lambda: held_by_store(port) == [], "the store ended the request")
    # A call cancelled before it is sent never reaches the store; the store answers the next one.
    with pytest.raises(BackendCancelledError):
        remote.query(ASK, call=call)
    answer = remote.query(ASK, call=Call())
    assert bool(answer)
    remote.close()


def test_a_call_needs_a_store_without_kept_connections(own_oxigraph: Store) -> None:
    remote = RemoteStore(own_oxigraph.query_url, kind="oxigraph")
    with pytest.raises(ValueError, match="keep_alive=False"):
        remote.query(ASK, call=Call())
    remote.close()


def test_a_cancelled_wait_for_the_stores_thread_lasts_until_the_thread_has_ended() -> None:
    """What keeps the slot: anyio's ``to_thread.run_sync`` alone would return at once when cancelled."""
    release = threading.Event()
    call = Call()

    async def scenario() -> None:
        thread = asyncio.ensure_future(anyio.to_thread.run_sync(release.wait))
        waiting = asyncio.ensure_future(_ended(thread, call))
        await asyncio.sleep(0)
        waiting.cancel()
        for _ in range(10):  # give the cancellation every chance to end the wait
            await asyncio.sleep(0.01)
        assert not waiting.done() and not thread.done()  # the thread runs on, so the wait does
        assert call.cancelled  # and the store's request was told to stop
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert thread.done() and thread.result() is True

    asyncio.run(scenario())
