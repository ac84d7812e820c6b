"""Fairness between clients on a real server: one client cannot hold every worker.

Clients are told apart by address: requests are sent from 127.0.0.2, 127.0.0.3 and 127.0.0.4
(all loopback on Linux) to the server on 127.0.0.1. The slow query is a three-way cross product
of the whole dataset: it runs until the worker is killed at the server's timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager

import httpx
import pytest

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?a != ?g) }"
ASK = "ASK { ?s a <https://w3id.org/bordergraph/ontology#Meeting> }"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
TIMEOUT = 3.0

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]


def client(address: str) -> httpx.Client:
    """An HTTP client whose requests come from ``address``."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def wait_until(condition: object, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def pool_of_two(built: Built, serve: Serve) -> Iterator[tuple[str, SparqlRouter]]:
    """Two workers; by default a client may hold one of them and have 8 queries waiting."""
    with serve(built, Settings(concurrency=2, timeout=TIMEOUT, rate=0, queue=16)) as (base, sparql):
        yield base, sparql


def test_a_flooding_client_leaves_a_worker_for_another_clients_cheap_query(
    pool_of_two: tuple[str, SparqlRouter],
) -> None:
    base, sparql = pool_of_two
    endpoint = f"{base}/sparql"
    assert sparql.pool.wait_ready(60)
    with client("127.0.0.2") as flooder, client("127.0.0.3") as other, ThreadPoolExecutor(4) as executor:
        flood = [executor.submit(flooder.post, endpoint, data={"query": SLOW}) for _ in range(4)]
        wait_until(lambda: sparql.pool.held_by("127.0.0.2") == 1, "the flooder holds a worker")
        took = []
        for _ in range(3):
            started = time.monotonic()
            answer = other.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS)
            took.append(time.monotonic() - started)
            assert answer.status_code == 200 and answer.json()["boolean"] is True
            # The flooder never got the second worker, though four of its queries were waiting.
            assert sparql.pool.held_by("127.0.0.2") <= 1
        statuses = sorted(f.result().status_code for f in flood)
    # The one timed assertion, from issue 11: "another client's cheap query is answered within a
    # second". An ASK on an idle worker takes a few milliseconds here; the second is the margin for
    # a 2-core machine shared with the flooder's runaway query and other test processes.
    assert max(took) < 1.0, took
    # Each slow query either ran into the timeout (504) or waited longer than the timeout for the
    # one worker its client may hold (503): none was answered by taking the other client's worker.
    assert set(statuses) <= {503, 504} and 504 in statuses, statuses
    assert sparql.pool.wait_ready(60)


def test_a_client_with_too_many_queries_waiting_gets_429(built: Built, serve: Serve) -> None:
    settings = Settings(concurrency=2, timeout=TIMEOUT, rate=0, queue=16, client_queue=1)
    with serve(built, settings) as (base, sparql), client("127.0.0.2") as flooder:
        endpoint = f"{base}/sparql"
        with ThreadPoolExecutor(3) as executor:
            first = executor.submit(flooder.post, endpoint, data={"query": SLOW})
            wait_until(lambda: sparql.pool.held_by("127.0.0.2") == 1, "the first query holds a worker")
            second = executor.submit(flooder.post, endpoint, data={"query": SLOW + " LIMIT 1"})
            time.sleep(0.3)  # let it join the queue: the third must find it there
            third = flooder.post(endpoint, data={"query": SLOW + " LIMIT 2"})
            assert third.status_code == 429
            assert int(third.headers["retry-after"]) >= 1
            message = third.json()["message"]
            assert "127.0.0.2" in message and "1 waiting" in message
            assert first.result().status_code == 504
            assert second.result().status_code in (503, 504)


def test_healthz_answers_while_every_worker_is_busy(pool_of_two: tuple[str, SparqlRouter]) -> None:
    base, sparql = pool_of_two
    endpoint = f"{base}/sparql"
    assert sparql.pool.wait_ready(60)
    with client("127.0.0.2") as one, client("127.0.0.4") as two, ThreadPoolExecutor(2) as executor:
        slow: list[Future[httpx.Response]] = [
            executor.submit(one.post, endpoint, data={"query": SLOW}),
            executor.submit(two.post, endpoint, data={"query": SLOW}),
        ]
        wait_until(lambda: len(sparql.pool.busy_pids()) == 2, "both workers are busy")
        health = httpx.get(f"{base}/healthz")
        still_running = not any(f.done() for f in slow)
        assert health.status_code == 200
        assert health.json()["workers"]["ready"] == 0
        assert still_running  # answered while both workers were still held
        assert [f.result().status_code for f in slow] == [504, 504]
    assert sparql.pool.wait_ready(60)
