"""Unit tests of the worker pool: real forked processes answering, timing out, dying and being replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from bordergraph.builddir import write_store
from bordergraph.web.answer import Job
from bordergraph.web.worker import NoWorkerError, QueryTimeoutError, WorkerDiedError, WorkerPool

JSON = "application/sparql-results+json"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def job(query: str) -> Job:
    return Job(query, None, None, JSON, 1000)


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store of 200 triples (enough for a runaway cross product), in a named graph and the default graph."""
    quads = []
    graph = ox.NamedNode("http://example.org/g")
    for i in range(200):
        triple = (ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(str(i)))
        quads += [ox.Quad(*triple, graph), ox.Quad(*triple, ox.DefaultGraph())]
    folder = tmp_path_factory.mktemp("pool")
    write_store(folder, quads=quads)  # what a build writes; the workers open it read-only
    return folder / "store"


@pytest.fixture
def pool(location: Path) -> Iterator[WorkerPool]:
    workers = WorkerPool(location, 1)
    assert workers.wait_ready(120), "the worker did not load the store"
    yield workers
    workers.close()


def wait_for_replacement(pool: WorkerPool, started: int) -> None:
    deadline = time.monotonic() + 120
    while pool.started <= started or pool.ready < pool.size:
        assert time.monotonic() < deadline, "no replacement worker"
        time.sleep(0.05)


def test_a_worker_answers_and_goes_back_to_the_pool(pool: WorkerPool) -> None:
    answer = asyncio.run(pool.run(job("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), timeout=30, wait=30))
    assert answer.status == 200 and b'"200"' in answer.body
    assert pool.ready == 1 and len(pool.pids()) == 1


def test_an_overrunning_query_kills_its_worker_and_a_new_one_starts(pool: WorkerPool) -> None:
    (first,) = pool.pids()
    started = pool.started
    with pytest.raises(QueryTimeoutError):
        asyncio.run(pool.run(job(RUNAWAY), timeout=0.5, wait=30))
    wait_for_replacement(pool, started)
    assert pool.pids() != [first]
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)
    assert asyncio.run(pool.run(job("ASK { ?s ?p ?o }"), timeout=30, wait=30)).status == 200


def test_a_worker_that_dies_mid_query_is_reported_and_replaced(pool: WorkerPool) -> None:
    (pid,) = pool.pids()
    started = pool.started
    killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))  # the engine crashing, as a segfault would
    killer.start()
    try:
        with pytest.raises(WorkerDiedError):
            asyncio.run(pool.run(job(RUNAWAY), timeout=30, wait=30))
    finally:
        killer.cancel()
    wait_for_replacement(pool, started)
    assert asyncio.run(pool.run(job("ASK { ?s ?p ?o }"), timeout=30, wait=30)).status == 200


def test_no_free_worker_within_the_wait_is_no_worker_error(pool: WorkerPool) -> None:
    async def both() -> tuple[object, object]:
        busy = asyncio.create_task(pool.run(job(RUNAWAY), timeout=2, wait=30))
        await asyncio.sleep(0.2)  # the only worker is now taken
        waiting = asyncio.create_task(pool.run(job("ASK { ?s ?p ?o }"), timeout=30, wait=0.3))
        first, second = await asyncio.gather(busy, waiting, return_exceptions=True)
        return first, second

    busy, waiting = asyncio.run(both())
    assert isinstance(busy, QueryTimeoutError)
    assert isinstance(waiting, NoWorkerError)


def test_close_stops_every_worker(location: Path) -> None:
    workers = WorkerPool(location, 2)
    assert workers.wait_ready(120)
    pids = workers.pids()
    assert len(pids) == 2
    workers.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
