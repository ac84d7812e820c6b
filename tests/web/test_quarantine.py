"""A query that killed a worker is refused on repeat (by its normalised text), and logged once.

Two ways to kill a worker on a real server: a query that really crashes the engine, let through by
lowering the guard's safety margin (the default margin refuses every crash bench/guard_limits.py
found), and a slow query whose worker is killed by PID while it runs.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager

import httpx
import pytest

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

JSON_RESULTS = {"Accept": "application/sparql-results+json"}
MEETINGS = "SELECT ?m WHERE { ?m a <https://w3id.org/bordergraph/ontology#Meeting> }"
# issue 11: a flat 8,000-term sum segfaults pyoxigraph 0.5.13 (measured crash point: 6,912 terms)
CRASHER = "SELECT ?x WHERE { BIND(" + "+".join(["1"] * 8_000) + " AS ?x) }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?b != ?h) }"

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]


def deaths_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bordergraph.worker" and "died" in r.getMessage()]


def test_a_query_that_crashed_a_worker_is_refused_on_repeat(
    built: Built, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bordergraph.worker")
    # margin 0.5: the guard lets through chains up to twice the measured crash point
    settings = Settings(concurrency=2, rate=0, guard_margin=0.5)
    with serve(built, settings) as (base, sparql):
        endpoint = f"{base}/sparql"
        first = httpx.post(endpoint, data={"query": CRASHER}, timeout=60)
        assert first.status_code == 500 and "crashed" in first.json()["message"]
        assert sparql.pool.wait_ready(60)
        pids = set(sparql.pool.pids())
        respaced = "# the same query again\n" + CRASHER.replace("+", " + ").replace("SELECT", "select")
        for query in (CRASHER, respaced, CRASHER):
            again = httpx.post(
                endpoint, content=query.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=60
            )
            assert again.status_code == 422
            message = again.json()["message"]
            assert "crashed the query engine" in message and "refused" in message
        assert set(sparql.pool.pids()) == pids  # no worker was started or killed by the repeats
        other = httpx.get(endpoint, params={"query": MEETINGS}, headers=JSON_RESULTS)
        assert other.status_code == 200 and other.json()["results"]["bindings"]
        different = CRASHER.replace("BIND(1+", "BIND(2+")  # another query: evaluated (and crashes)
        assert httpx.post(endpoint, data={"query": different}, timeout=60).status_code == 500
        logged = deaths_logged(caplog)
        assert len(logged) == 2  # one line per query that killed a worker, none for the repeats
        assert all("refused for 600 s" in line for line in logged)


def test_a_query_whose_worker_was_killed_is_refused_for_a_while(built: Built, serve: Serve) -> None:
    settings = Settings(concurrency=2, rate=0, timeout=30, crash_quarantine=2)
    with serve(built, settings) as (base, sparql):
        endpoint = f"{base}/sparql"
        with ThreadPoolExecutor(1) as executor:
            running_query = executor.submit(httpx.post, endpoint, data={"query": SLOW}, timeout=60)
            deadline = time.monotonic() + 20
            while not sparql.pool.busy_pids():
                assert time.monotonic() < deadline, "the slow query never reached a worker"
                time.sleep(0.02)
            (pid,) = sparql.pool.busy_pids()
            os.kill(pid, signal.SIGKILL)
            killed = running_query.result()
        assert killed.status_code == 500 and "crashed" in killed.json()["message"]
        repeat = httpx.post(endpoint, data={"query": SLOW})
        assert repeat.status_code == 422 and "refused" in repeat.json()["message"]
        # "for a while": after crash_quarantine seconds the query is evaluated again.
        time.sleep(2.5)
        assert sparql.pool.wait_ready(60)
        with ThreadPoolExecutor(1) as executor:
            again = executor.submit(httpx.post, endpoint, data={"query": SLOW}, timeout=60)
            deadline = time.monotonic() + 20
            while not sparql.pool.busy_pids():
                assert time.monotonic() < deadline, "the query was not evaluated after its quarantine"
                time.sleep(0.02)
            os.kill(sparql.pool.busy_pids()[0], signal.SIGKILL)
            assert again.result().status_code == 500
