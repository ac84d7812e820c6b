"""Shared fixtures: the real dataset, built once, and a real uvicorn server on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

from bordergraph.app import BordergraphRouter, create_app
from bordergraph.build import Built, build
from bordergraph.paths import Paths, find_paths
from bordergraph.settings import Settings


def source_graphs() -> list[str]:
    """The local names of the source graphs, read from data/sources.trig (never a hard-coded list).

    Tests parametrise over this, so a new release is covered the moment its source record exists.
    """
    from rdflib import Dataset

    from bordergraph.prefixes import BG

    dataset = Dataset(default_union=True)
    dataset.parse(find_paths().sources_file, format="trig")
    return sorted(str(g).rsplit("/", 1)[-1] for g in dataset.objects(None, BG.sourceGraph))


@pytest.fixture(scope="session")
def paths() -> Paths:
    return find_paths()


@pytest.fixture(scope="session")
def built() -> Built:
    return build()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(built: Built, settings: Settings) -> Iterator[tuple[str, BordergraphRouter]]:
    """Serve ``built`` with a real uvicorn (in a thread) on a free loopback port: (base URL, SPARQL router).

    Waits until the query workers are ready, and stops the server and its workers afterwards.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(built, public_url=f"{base}/sparql", settings=settings)
    sparql: BordergraphRouter = app.state.sparql
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    if not sparql.pool.wait_ready(120):
        raise RuntimeError("the query workers did not start")
    try:
        yield base, sparql
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sparql.close()


@pytest.fixture(scope="session")
def server(built: Built) -> Iterator[str]:
    """Base URL of the server that most tests share."""
    # The whole suite queries this server from one address: no per-client rate limit here
    # (tests/test_safety.py checks the limit on a server of its own).
    with running(built, Settings(rate=0)) as (base, _):
        yield base


@pytest.fixture(scope="session")
def endpoint(server: str) -> str:
    return f"{server}/sparql"
