"""Where a query's time goes, stage by stage, on a build made by serve_bordergraph.py (issue 11's profile).

Usage: .venv/bin/python bench/stages.py bench/data/1m.nq [--repeat 20]

Prints, for the build of that file (``bench/data/1m.bordergraph/current``, made by a first
``serve_bordergraph.py`` start): the time and memory to open the store read-only; per query of the
benchmark's mix, the evaluation and serialisation by pyoxigraph alone on the read-only store and on
an in-memory store loaded from the same file (what the bare app and the old workers had), and by
the worker's own ``evaluate`` (row cap counting included); then the round trip of a lookup through
the worker pool without HTTP, and the time for the pool to replace a killed worker. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))

from bordergraph.builddir import current  # noqa: E402
from bordergraph.querystore import QueryStore  # noqa: E402
from bordergraph.web.answer import evaluate  # noqa: E402
from bordergraph.web.worker import Job, WorkerDiedError, WorkerPool  # noqa: E402
from run import queries  # noqa: E402


def rss_mb() -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def timed(function: object, repeat: int) -> float:
    """Median milliseconds of ``repeat`` calls, after one unmeasured call."""
    assert callable(function)
    function()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def direct(store: ox.Store, query: str) -> bytes:
    result = store.query(query)
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(result, format=ox.RdfFormat.TURTLE) or b""
    assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
    return result.serialize(format=ox.QueryResultsFormat.JSON) or b""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    found = current(args.nquads.with_suffix(".bordergraph"), validated_only=False)
    if found is None:
        sys.exit(f"no build next to {args.nquads}: start bench/serve_bordergraph.py on it once")
    copies = int(re.search(r'"copies": (\d+)', args.nquads.with_suffix(".nq.json").read_text()).group(1))  # type: ignore[union-attr]
    print(f"load average {os.getloadavg()[0]:.1f}; build {found.id}, {found.manifest['triples']:,} triples")

    before = rss_mb()
    t0 = time.perf_counter()
    on_disk = ox.Store.read_only(str(found.store_path))
    print(f"open read-only: {1000 * (time.perf_counter() - t0):.1f} ms, +{rss_mb() - before:.0f} MB RSS")
    before = rss_mb()
    t0 = time.perf_counter()
    memory = ox.Store()
    memory.bulk_load(path=str(args.nquads), format=ox.RdfFormat.N_QUADS)
    print(f"in-memory load:  {time.perf_counter() - t0:.1f} s, +{rss_mb() - before:.0f} MB RSS")

    print(f"\n{'query':14} {'read-only':>10} {'in memory':>10} {'evaluate()':>11}   (median ms)")
    worker_store = QueryStore(on_disk)
    for name, (query, accept) in queries(copies).items():
        ro = timed(lambda q=query: direct(on_disk, q), args.repeat)
        mem = timed(lambda q=query, m=memory: direct(m, q), args.repeat)
        ours = timed(lambda q=query, a=accept: evaluate(worker_store, q, None, None, a, 1_000_000), args.repeat)
        print(f"{name:14} {ro:10.2f} {mem:10.2f} {ours:11.2f}")
    del memory

    lookup, accept = queries(copies)["lookup"]

    async def pool_figures() -> None:
        pool = WorkerPool(found.store_path, 2)
        try:
            t0 = time.perf_counter()
            await asyncio.to_thread(pool.wait_ready, 120)
            print(f"\npool of 2 workers ready: {1000 * (time.perf_counter() - t0):.0f} ms (fork server included)")
            job = Job(lookup, None, None, accept, 1_000_000)
            for _ in range(5):
                await pool.run(job, 30, 30)
            times = []
            for _ in range(args.repeat * 10):
                t0 = time.perf_counter()
                await pool.run(job, 30, 30)
                times.append(time.perf_counter() - t0)
            print(f"lookup through the pool (pipe, pickling, two wake-ups): {statistics.median(times) * 1000:.2f} ms")
            replaced = []
            for _ in range(5):
                victim = pool.pids()[0]
                os.kill(victim, signal.SIGKILL)
                t0 = time.perf_counter()
                for _ in range(pool.size):  # one of these is handed the dead worker: a replacement starts
                    with contextlib.suppress(WorkerDiedError):  # the pool blames that query (its 500)
                        await pool.run(job, 30, 30)
                while victim in pool.pids() or pool.ready < pool.size:
                    await asyncio.sleep(0.001)
                replaced.append(time.perf_counter() - t0)
            print(
                f"worker replacement (kill → pool whole again): {statistics.median(replaced) * 1000:.0f} ms median of 5"
            )
        finally:
            pool.close()

    asyncio.run(pool_figures())


if __name__ == "__main__":
    main()
