"""The query workers read the build's one store on disk: no copy of the data per worker."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def open_files(pid: int) -> list[Path]:
    files = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            files.append(Path(os.readlink(fd)))
        except OSError:
            continue
    return files


def test_workers_open_the_one_store_of_the_build(built: Built, serve: Serve) -> None:
    with serve(built, Settings(concurrency=2, rate=0)) as (base, sparql):
        store = sparql.build.store_path.resolve()
        pids = sparql.pool.pids()
        assert len(pids) == 2
        for pid in pids:  # every worker reads the same RocksDB files: no copy of the data per worker
            assert any(store in path.parents for path in open_files(pid)), f"worker {pid} has no file of {store}"
        answer = httpx.get(f"{base}/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
        assert answer.status_code == 200
        assert int(answer.text.splitlines()[1]) == sparql.default_size
        assert httpx.get(f"{base}/healthz").json()["build"] == sparql.build.id
