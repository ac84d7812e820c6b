"""What a cache hit costs the main process: bordergraph's ASGI app beside the floor app, in one process.

Usage: .venv/bin/python bench/cache_hit.py bench/data/10k.nq [--repeat 5000] [--profile]

Drives each ASGI app directly (no sockets, no uvicorn: what is left is the app's own work) with the
repeated query of ``compare.py`` (the lookup of ``run.py``): GET with Accept, POST as a form, a
GET with a matching ``If-None-Match`` (304), and the floor app of ``bare_app.py`` (a constant body).
The first request of each kind is answered by a worker and is not counted; the rest are hits.
Prints microseconds per request (median of five rounds) and the ratio to the floor; ``--profile``
adds cProfile's top functions for the GET hits. The build is the one ``serve_bordergraph.py``
makes beside the file (made here if missing). Rate limiting is on (with a limit never reached) and
the access log writes to /dev/null, so their costs count. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))

from bare_app import floor_app  # noqa: E402
from bordergraph.builddir import DUMP, SEARCH, Inputs, current, publish  # noqa: E402
from run import queries  # noqa: E402
from serve_bordergraph import NOT_VALIDATED, fill  # noqa: E402

Request = Callable[[], Coroutine[Any, Any, int]]


def asgi_request(
    app: Any, method: str, path: str, query_string: bytes, headers: dict[str, str], body: bytes
) -> Request:
    """A function sending one request to ``app`` as uvicorn would; it returns the status."""
    raw = [(b"host", b"127.0.0.1:8000"), *((k.encode(), v.encode()) for k, v in headers.items())]
    if body:
        raw.append((b"content-length", str(len(body)).encode()))

    async def once() -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query_string,
            "root_path": "",
            "headers": list(raw),
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.get_running_loop().create_future()  # the connection stays open
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return once


def per_request_us(request: Request, repeat: int) -> float:
    """Median over five rounds of the microseconds per request, ``repeat`` requests a round."""

    async def rounds() -> list[float]:
        assert await request() in (200, 304)
        figures = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(repeat):
                await request()
            figures.append((time.perf_counter() - t0) / repeat * 1e6)
        return figures

    return statistics.median(asyncio.run(rounds()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--repeat", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    builds = args.nquads.with_suffix(".bordergraph")
    inputs = Inputs(base=args.nquads.parent, files=(args.nquads,))
    found = current(builds, validated_only=False)
    if found is None or found.mismatch(inputs) is not None:
        found = publish(builds, inputs, lambda folder: fill(folder, args.nquads), NOT_VALIDATED)

    from bordergraph.paths import find_paths
    from bordergraph.querystore import QueryStore
    from bordergraph.web.app import create_app
    from bordergraph.web.settings import Settings

    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))  # noqa: SIM115 (open for the run)
    copies = int(__import__("json").loads(args.nquads.with_suffix(".nq.json").read_text())["copies"])
    query, accept = queries(copies)["lookup"]
    settings = Settings(concurrency=1, rate=1e12, burst=10**12, row_cap=1_000_000)
    store = QueryStore(found.open_store())
    app = create_app(store, find_paths(), found.path / DUMP, settings, search_index=found.path / SEARCH, build=found)
    sparql = app.state.sparql
    sparql.pool.wait_ready()
    form = urllib.parse.urlencode({"query": query}).encode()
    get = asgi_request(app, "GET", "/sparql", form, {"accept": accept}, b"")
    post_headers = {"accept": accept, "content-type": "application/x-www-form-urlencoded"}
    post = asgi_request(app, "POST", "/sparql", b"", post_headers, form)
    asyncio.run(get())
    tag = next(v for k, v in asyncio.run(_headers(app, form, accept)) if k == b"etag").decode()
    not_modified = asgi_request(app, "GET", "/sparql", form, {"accept": accept, "if-none-match": tag}, b"")
    floor = asgi_request(floor_app(), "GET", "/sparql", form, {"accept": accept}, b"")
    try:
        print(f"load average {os.getloadavg()[0]:.1f}; {args.repeat} requests a round, median of 5 rounds")
        figures = {
            "floor GET": per_request_us(floor, args.repeat),
            "GET hit": per_request_us(get, args.repeat),
            "POST form hit": per_request_us(post, args.repeat),
            "GET 304": per_request_us(not_modified, args.repeat),
        }
        for name, us in figures.items():
            print(f"{name:16} {us:8.1f} µs   {us / figures['floor GET']:5.2f}× the floor's time")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            per_request_us(get, args.repeat)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        sparql.close()


async def _headers(app: Any, query_string: bytes, accept: str) -> list[tuple[bytes, bytes]]:
    found: list[tuple[bytes, bytes]] = []
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/sparql",
        "raw_path": b"/sparql",
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", accept.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            found.extend(message["headers"])

    await app(scope, receive, send)
    return found


if __name__ == "__main__":
    main()
