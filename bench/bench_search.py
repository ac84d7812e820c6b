"""The search index (SQLite FTS5) against the scans it replaces: size, build time and query time.

Usage: .venv/bin/python bench/bench_search.py [--sizes real,100k] [--repeat 30]

For each dataset (``real`` is the validated dataset; ``10k``, ``100k``, ``1m`` are made by
bench/generate.py and cached in bench/data/), prints the index file's size and build time, then
per query the median and 95th percentile of warm calls, side by side with two baselines run on
the same store in the same process:

- ``reconcile``: the reconciliation service's in-memory scan: for search, its candidates (difflib
  similarity over every labelled record; since the index it also asks the index for the order of
  ties); for suggest, the word-prefix scan over every name that answered before the index;
- ``sparql``: a label scan in Oxigraph (``FILTER(CONTAINS(LCASE(?label), …))``), what a page
  could do with no index at all (every match, unranked, names only).

Each baseline figure is followed by its ratio to the index (above 1: the baseline is slower).
Not a test: figures vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pyoxigraph as ox

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))

from bordergraph.build import build  # noqa: E402
from bordergraph.search import SearchIndex, build_index  # noqa: E402
from bordergraph.web.reconcile import Index, Reconciler, ReconQuery, normalize  # noqa: E402

SIZES = {"real": 0, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SEARCHES = ["Goodale", "preclearance airports", '"shared border"', "Napolitano Toews", "zzzqqq"]
PREFIXES = ["Go", "Goodal", "nap"]
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def load(size: str) -> ox.Store:
    if size == "real":
        return build().store.store
    path = BENCH / "data" / f"{size}.nq"
    if not path.exists():
        from generate import generate  # bench/generate.py

        generate(SIZES[size], path)
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    return store


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds of ``repeat`` warm calls (one warm-up first)."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def sparql_scan(store: ox.Store, words: list[str]) -> Callable[[], Any]:
    tests = " && ".join(f'CONTAINS(LCASE(?l), "{w.lower()}")' for w in words)
    query = f"SELECT DISTINCT ?x ?l WHERE {{ GRAPH ?g {{ ?x <{LABEL}> ?l }} FILTER({tests}) }}"
    return lambda: list(store.query(query))  # type: ignore[arg-type]


def row(name: str, ours: tuple[float, float], others: dict[str, tuple[float, float] | None]) -> str:
    cells = [f"{name:28}", f"{ours[0]:8.2f} {ours[1]:8.2f}"]
    for other in others.values():
        if other is None:
            cells.append(f"{'-':>26}")
        else:
            cells.append(f"{other[0]:8.2f} {other[1]:8.2f} ×{other[0] / ours[0]:7.1f}")
    return " | ".join(cells)


def scan_suggest(scan: Index, prefix: str) -> list[str]:
    """The suggest endpoint before the index: every name of every record, word prefixes, sorted."""
    wanted = normalize(prefix)
    hits = [e for e in scan.entities.values() if any(n.startswith(wanted) or f" {wanted}" in f" {n}" for n in e.names)]
    hits.sort(key=lambda e: (not any(n.startswith(wanted) for n in e.names), e.name))
    return [e.id for e in hits[:10]]


def measure(size: str, repeat: int) -> None:
    """Print the figures of one dataset."""
    store = load(size)
    quads = sum(1 for _ in store.quads_for_pattern(None, None, None, None))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        stats = build_index(store, Path(tmp) / "search.sqlite")
        build_ms = (time.perf_counter() - started) * 1000
        index = SearchIndex(stats.path)
        started = time.perf_counter()
        scan = Index(store)  # type: ignore[arg-type]
        recon_ms = (time.perf_counter() - started) * 1000
        reconciler = Reconciler(scan, index)
        print(f"\n== {size}: {quads} quads (named graphs and their merge), {stats.records} records, "
              f"{stats.entries} entries")  # fmt: skip
        print(f"index file {stats.bytes / 1024:.0f} KiB ({stats.bytes / stats.records:.0f} bytes a record); "
              f"built in {build_ms:.0f} ms; the reconcile scan's index in {recon_ms:.0f} ms")  # fmt: skip
        header = f"{'query (ms: median p95)':28} | {'index':>17} | {'reconcile (×)':>26} | {'sparql scan (×)':>26}"
        print(header + "\n" + "-" * len(header))
        for q in SEARCHES:
            words = q.strip('"').split()
            recon = timed(partial(reconciler.candidates, ReconQuery(query=q, limit=20)), repeat)
            print(row(f"search {q}", timed(partial(index.search, q), repeat),
                      {"reconcile": recon, "sparql": timed(sparql_scan(store, words), repeat)}))  # fmt: skip
        for p in PREFIXES:
            recon = timed(partial(scan_suggest, scan, p), repeat)
            print(row(f"suggest {p}", timed(partial(index.suggest, p), repeat),
                      {"reconcile": recon, "sparql": None}))  # fmt: skip
        listing = timed(lambda: index.browse("claims", {"year": ["2017"]}), repeat)
        print(row("browse claims, year 2017", listing, {"reconcile": None, "sparql": None}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="real,100k", help=f"comma-separated, from {', '.join(SIZES)}")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        measure(size, args.repeat)


if __name__ == "__main__":
    main()
