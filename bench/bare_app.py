"""Baselines for the benchmark: a bare FastAPI + pyoxigraph endpoint, and a constant-body floor.

Usage:
  .venv/bin/python bench/bare_app.py bench/data/100k.nq --port 8102      # bare app
  .venv/bin/python bench/bare_app.py --floor --port 8103                 # constant body

The bare app is what a minimal endpoint on the same stack would be: one uvicorn process (httptools
and uvloop, like bordergraph), the N-Quads bulk-loaded into one in-memory pyoxigraph store, and a
synchronous ``GET /sparql?query=`` route (FastAPI runs it in its thread pool) that evaluates and
serialises with Oxigraph. No guard, no worker processes, no timeout, no row cap: it can be crashed
or starved by one query, which is exactly what bordergraph must not be, and it is the reference
for what the safety costs. The floor answers every request with the same 2-byte body and no work at
all: the most requests per second this Python stack gives on this machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI, Request, Response

JSON = "application/sparql-results+json"


def bare_app(nquads: Path) -> FastAPI:
    """The minimal pyoxigraph endpoint over ``nquads`` (named graphs plus their merge as default graph)."""
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    app = FastAPI()

    @app.get("/sparql")
    def sparql(request: Request, query: str) -> Response:
        result = store.query(query)
        if isinstance(result, ox.QueryTriples):
            return Response(result.serialize(format=ox.RdfFormat.TURTLE) or b"", media_type="text/turtle")
        return Response(result.serialize(format=ox.QueryResultsFormat.JSON) or b"", media_type=JSON)

    return app


def floor_app() -> FastAPI:
    """Every GET /sparql answered with the same body: the cost of the HTTP stack alone."""
    app = FastAPI()
    body = b"{}"

    @app.get("/sparql")
    async def sparql() -> Response:
        return Response(body, media_type=JSON)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", type=Path, nargs="?")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--floor", action="store_true", help="constant body, no store")
    args = parser.parse_args()
    if not args.floor and args.nquads is None:
        parser.error("give the N-Quads file, or --floor")
    app = floor_app() if args.floor else bare_app(args.nquads)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
