"""Serve an N-Quads file with bordergraph's app, for the benchmark only: the data is NOT validated.

Usage: .venv/bin/python bench/serve_bordergraph.py bench/data/100k.nq --port 8101 [--concurrency 4]

``bordergraph serve`` serves only validated builds (SHACL and every quote), which takes minutes at a
million triples and is not what the benchmark measures. This script makes a build directory from the
generated file as is, next to it (``bench/data/100k.bordergraph/``: the on-disk store, bulk-loaded
and optimised, its search index, the input file as its download, and a manifest marked *not
validated*), and serves it with the real app and workers. A second start on the same, unchanged file
reuses that build (its manifest holds the file's hash, size and mtime), so its start-up is the
"ready" figure and the first start's is the build time. bench/generate.py writes the named graphs
and their merge as the default graph, the layout bordergraph's store serves. Never use it to publish
data.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bordergraph.builddir import DUMP, SEARCH, Inputs, current, publish, write_store  # noqa: E402

NOT_VALIDATED = {"ok": False, "note": "benchmark data from bench/generate.py, never validated: not for publishing"}


def fill(folder: Path, nquads: Path) -> dict[str, object]:
    """The bench build: the store, the search index, and the input file itself as the download.

    The input is not the canonical dump (it holds the default graph too, in Oxigraph's order):
    writing the canonical one takes about 50 s at 1 M triples and the benchmark never downloads it.
    """
    from bordergraph.querystore import QueryStore
    from bordergraph.search import build_index

    counts = write_store(folder, nquads=nquads)
    build_index(QueryStore(ox.Store.read_only(str(folder / "store"))), folder / SEARCH)
    try:
        os.link(nquads, folder / DUMP)
    except OSError:
        shutil.copyfile(nquads, folder / DUMP)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--cache-bytes", type=int, default=None, help="answer cache (default: the server's own)")
    args = parser.parse_args()
    started = time.monotonic()
    builds = args.nquads.with_suffix(".bordergraph")
    inputs = Inputs(base=args.nquads.parent, files=(args.nquads,))
    found = current(builds, validated_only=False)
    if found is None or found.mismatch(inputs) is not None:
        found = publish(builds, inputs, lambda folder: fill(folder, args.nquads), NOT_VALIDATED)
        print(f"built {found.path} in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    else:
        print(f"reusing {found.path}", file=sys.stderr, flush=True)

    from bordergraph.web.worker import start_fork_server

    start_fork_server()  # the workers' imports run while the app's do

    import uvicorn

    from bordergraph.paths import find_paths
    from bordergraph.querystore import QueryStore
    from bordergraph.web.app import create_app
    from bordergraph.web.settings import Settings

    settings = Settings(port=args.port, concurrency=args.concurrency, queue=256, rate=0, row_cap=1_000_000, timeout=120)
    if args.cache_bytes is not None:
        settings = replace(settings, cache_bytes=args.cache_bytes)
    search = found.path / SEARCH
    store = QueryStore(found.open_store())
    app = create_app(store, find_paths(), found.path / DUMP, settings, search_index=search, build=found)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
