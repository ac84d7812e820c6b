"""Shared fixtures: the real dataset, built once, and a real uvicorn server on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from bordergraph.app import create_app
from bordergraph.build import Built, build
from bordergraph.paths import Paths, find_paths
from bordergraph.settings import Settings


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


@pytest.fixture(scope="session")
def server(built: Built) -> Iterator[str]:
    """Base URL of a uvicorn server (in a thread) serving the validated dataset."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The whole suite queries this server from one address: no per-client rate limit here
    # (tests/test_safety.py checks the limit on a server of its own).
    app = create_app(built, public_url=f"{base}/sparql", settings=Settings(rate=0))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield base
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def endpoint(server: str) -> str:
    return f"{server}/sparql"
