"""Serve an N-Quads file with bordergraph's app, for the benchmark only: the data is NOT validated.

Usage: .venv/bin/python bench/serve_bordergraph.py bench/data/100k.nq --port 8101 [--concurrency 4]

``bordergraph serve`` always validates (SHACL and every quote) before serving, which takes minutes
at a million triples and is not what the benchmark measures. This script gives the same app the
generated file as is (bench/generate.py writes the named graphs and their merge as the default
graph, the layout ``QueryStore.dump`` writes). Never use it to publish data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bordergraph.export.dumps import write_canonical_dump  # noqa: E402
from bordergraph.paths import find_paths  # noqa: E402
from bordergraph.querystore import QueryStore  # noqa: E402
from bordergraph.web.app import create_app  # noqa: E402
from bordergraph.web.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=Settings.concurrency)
    args = parser.parse_args()
    store = QueryStore.from_nquads(args.nquads)
    settings = Settings(port=args.port, concurrency=args.concurrency, queue=256, rate=0, row_cap=1_000_000, timeout=120)
    with tempfile.TemporaryDirectory(prefix="bench-dump-") as tmp:
        dump = write_canonical_dump(store, Path(tmp))  # as `bordergraph serve` does
        app = create_app(store, find_paths(), dump, settings)
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
