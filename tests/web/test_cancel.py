"""A client that goes away (closes its connection mid-query) frees the worker evaluating its query.

Real uvicorn on loopback; real clients that close the connection while the server is still
evaluating: httpx requests cancelled mid-answer (curl's Ctrl-C), SPARQLWrapper's own timeout, and
the query editor's Cancel button in a headless Chromium (fixture ``chromium``). What is
asserted is what the server shows: ``/metrics`` (cancellations by stage, workers started and
ready, timeouts, deaths) and the pool (which workers run, what a client holds); never timings.
The server's timeout is far longer than any wait here: a query that was not stopped would still
hold its worker when the waits end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from SPARQLWrapper import JSON, SPARQLWrapper

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

#: A three-way cross product of the whole dataset: it runs until its worker is killed.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?a != ?i) }"
ASK = "ASK { ?s a <https://w3id.org/bordergraph/ontology#Meeting> }"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
TIMEOUT = 120.0  # the server's query timeout: never reached by a stopped query
WAIT = 60.0  # the longest any condition below is waited for (half the timeout)

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]
#: The ``chromium`` fixture: ``chromium(width, height)`` → a headless Chromium driver.
Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]


def metrics(base: str) -> dict[str, float]:
    """The server's /metrics samples, by name with labels: ``name{label="value"}`` → value."""
    samples = {}
    for family in text_string_to_metric_families(httpx.get(f"{base}/metrics").text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


RUNNING = 'bordergraph_query_cancellations_total{stage="running"}'
WAITING = 'bordergraph_query_cancellations_total{stage="waiting"}'


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


async def await_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)


async def abandon(client: httpx.AsyncClient, endpoint: str, query: str, started: Callable[[], bool]) -> None:
    """Send ``query``, wait until ``started()`` says the server has it, then give up: the connection closes."""
    request = asyncio.ensure_future(client.post(endpoint, data={"query": query}, headers=JSON_RESULTS))
    await await_until(lambda: started() or request.done(), "the server took the query")
    assert not request.done(), request.result()  # still being evaluated (or waiting) when the client leaves
    request.cancel()  # httpx closes a connection whose request was cancelled mid-response
    with pytest.raises(asyncio.CancelledError):
        await request


def test_a_client_that_goes_away_has_its_query_stopped_and_its_worker_replaced(built: Built, serve: Serve) -> None:
    with serve(built, Settings(concurrency=2, timeout=TIMEOUT, rate=0)) as (base, sparql):
        endpoint = f"{base}/sparql"
        before = metrics(base)
        assert before[RUNNING] == 0 and before["bordergraph_workers_started"] == 2

        async def leave_after_a_moment() -> None:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                await abandon(client, endpoint, SLOW, lambda: bool(sparql.pool.busy_pids()))

        pids_before = set(sparql.pool.pids())
        asyncio.run(leave_after_a_moment())
        wait_until(lambda: metrics(base)[RUNNING] == 1, "the query was counted as cancelled while running")
        wait_until(lambda: sparql.pool.ready == 2, "both workers are ready again")
        after = metrics(base)
        assert after["bordergraph_workers_started"] == 3  # the stopped worker's replacement
        assert after["bordergraph_workers_ready"] == 2
        assert after["bordergraph_query_timeouts_total"] == 0 and after["bordergraph_worker_deaths_total"] == 0
        assert after[WAITING] == 0
        assert len(pids_before - set(sparql.pool.pids())) == 1  # one of the first two workers is gone
        assert sparql.pool.held_by("127.0.0.1") == 0  # the gone query holds nothing for its client
        assert sparql.pool.busy_pids() == []

        # The next query is answered, by one of two ready workers.
        answer = httpx.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS)
        assert answer.status_code == 200 and answer.json()["boolean"] is True

        # Stopped for its client, not for crashing: the same query is evaluated again, not refused (422).
        async def again() -> None:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                await abandon(client, endpoint, SLOW, lambda: bool(sparql.pool.busy_pids()))

        asyncio.run(again())
        wait_until(lambda: metrics(base)[RUNNING] == 2, "the repeat was evaluated and cancelled")
        wait_until(lambda: sparql.pool.ready == 2, "both workers are ready again")
        final = metrics(base)
        assert final.get('bordergraph_rejections_total{reason="quarantined"}', 0) == 0
        assert final["bordergraph_workers_started"] == 4
        statuses = {k: v for k, v in final.items() if k.startswith("bordergraph_http_requests_total") and "499" in k}
        assert list(statuses.values()) == [2]  # counted as 499 (client closed request), never as 5xx


def test_a_waiting_query_whose_client_goes_away_leaves_the_queue(built: Built, serve: Serve) -> None:
    # One worker that one client may hold: its second query waits for it.
    with serve(built, Settings(concurrency=1, timeout=TIMEOUT, rate=0)) as (base, sparql):
        endpoint = f"{base}/sparql"

        async def both() -> None:
            async with httpx.AsyncClient(timeout=TIMEOUT) as first, httpx.AsyncClient(timeout=TIMEOUT) as second:
                running = asyncio.ensure_future(first.post(endpoint, data={"query": SLOW}, headers=JSON_RESULTS))
                await await_until(lambda: bool(sparql.pool.busy_pids()), "the first query runs")
                # The second waits for the worker (its client holds the only one); then it is abandoned.
                await abandon(second, endpoint, ASK, lambda: bool(sparql.pool.waiting))
                await await_until(lambda: not sparql.pool.waiting, "the abandoned query left the queue")
                assert sparql.pool.held_by("127.0.0.1") == 1 and not running.done()
                running.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await running

        asyncio.run(both())
        wait_until(lambda: metrics(base)[RUNNING] == 1, "the running query was cancelled")
        wait_until(lambda: sparql.pool.ready == 1, "the worker is ready again")
        after = metrics(base)
        assert after[WAITING] == 1
        assert after["bordergraph_workers_started"] == 2  # one replacement: the waiting query stopped none
        assert sparql.pool.held_by("127.0.0.1") == 0
        answer = httpx.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS)
        assert answer.status_code == 200 and answer.json()["boolean"] is True


def test_a_query_answered_before_its_client_leaves_is_not_cancelled(built: Built, serve: Serve) -> None:
    with serve(built, Settings(concurrency=2, timeout=TIMEOUT, rate=0)) as (base, sparql):
        endpoint = f"{base}/sparql"
        pids = set(sparql.pool.pids())
        with httpx.Client(timeout=TIMEOUT) as client:
            by_get = client.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS)
            by_post = client.post(endpoint, data={"query": ASK + " # by POST"}, headers=JSON_RESULTS)
            cached = client.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS)
        # The connection is closed now, after the answers: nothing is stopped.
        for answer in (by_get, by_post, cached):
            assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert cached.headers["X-Bordergraph-Cache"] == "hit"
        after = metrics(base)
        assert after[RUNNING] == 0 and after[WAITING] == 0
        assert after["bordergraph_workers_started"] == 2 and after["bordergraph_workers_ready"] == 2
        assert set(sparql.pool.pids()) == pids


def test_a_client_side_timeout_stops_the_query(built: Built, serve: Serve) -> None:
    # SPARQLWrapper gives up after its own timeout (urllib closes the socket), as curl's Ctrl-C does.
    with serve(built, Settings(concurrency=2, timeout=TIMEOUT, rate=0)) as (base, sparql):
        wrapper = SPARQLWrapper(f"{base}/sparql")
        wrapper.setQuery(SLOW)
        wrapper.setReturnFormat(JSON)
        wrapper.setTimeout(1)
        with pytest.raises(TimeoutError):
            wrapper.query()
        wait_until(lambda: metrics(base)[RUNNING] + metrics(base)[WAITING] == 1, "the query was cancelled")
        wait_until(lambda: sparql.pool.ready == 2, "both workers are ready")
        after = metrics(base)
        assert after[RUNNING] == 1  # a second is long enough for the query to be running
        assert after["bordergraph_workers_started"] == 3 and after["bordergraph_query_timeouts_total"] == 0
        assert sparql.pool.busy_pids() == [] and sparql.pool.held_by("127.0.0.1") == 0


def test_the_editors_cancel_button_stops_the_query_on_the_server(
    built: Built, serve: Serve, chromium: Chromium
) -> None:
    with serve(built, Settings(concurrency=2, timeout=TIMEOUT, rate=0)) as (base, sparql), chromium(1280, 900) as d:
        d.get(f"{base}/sparql")
        WebDriverWait(d, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-yasgui-ready"))
        d.execute_script("window.bordergraphYasgui.getTab().getYasqe().setValue(arguments[0])", SLOW)
        panel = d.find_element(By.ID, d.execute_script("return window.bordergraphYasgui.getTab().getId()"))
        panel.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
        wait_until(lambda: bool(sparql.pool.busy_pids()), "the editor's query runs")
        d.find_element(By.CSS_SELECTOR, ".cancel-query").click()
        wait_until(lambda: metrics(base)[RUNNING] == 1, "the server stopped the cancelled query")
        wait_until(lambda: sparql.pool.ready == 2, "both workers are ready")
        assert "Cancelled after" in d.find_element(By.CSS_SELECTOR, ".run-status").text
        assert metrics(base)["bordergraph_workers_started"] == 3
