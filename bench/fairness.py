"""How fast another client's cheap query is answered while one client floods slow ones, per pool policy.

Usage: .venv/bin/python bench/fairness.py [--seconds 8] [--flood 12] [--workers 4] [--scenarios 1same,2same,1fresh]

The real dataset is loaded into bordergraph's worker pool (real processes, the same pool the
endpoint uses), once per policy. Client A keeps ``--flood`` slow queries in flight (a bounded
cross product calibrated to take about a second alone on one worker); after one second client B
sends a cheap ASK every 200 ms, one at a time. A scenario names how many clients flood (1: A; 2: A
and C, who between them could hold every worker under a per-client cap alone) and whether B sends
the same ASK every time (``same``, sent once before the flood, so it is known to be cheap) or a new
one each time (``fresh``, as a person writing queries does).
Printed per policy: B's latency (p50, p95 nearest rank, max), how many slow queries finished and
how many were refused (429). The policies:

- fifo: one shared queue, first come first served, no cap (what the pool did before issue 11);
- fair: a free worker goes to the waiting client holding fewest, no cap;
- capN: a client holds at most N workers; the rest of its queries wait (first come first served);
- capN+fair: both;
- capN+fair+429: both, and a client may have at most 4 queries waiting (beyond: 429 at once);
- lane: one worker is kept for queries seen finishing within 100 ms; no per-client cap;
- reserve+capN+fair: the last free worker is kept for a client holding none or a query seen
  finishing within 100 ms (what the pool does by default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bordergraph.loader import load  # noqa: E402
from bordergraph.paths import find_paths  # noqa: E402
from bordergraph.querystore import QueryStore  # noqa: E402
from bordergraph.web.worker import ClientBusyError, Job, NoWorkerError, QueryTimeoutError, WorkerPool  # noqa: E402

CHEAP = "ASK { ?s a <https://w3id.org/bordergraph/ontology#Meeting> }"
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT ?a WHERE {{ ?a ?b ?c }} LIMIT {k} }} "
    "{{ SELECT ?d WHERE {{ ?d ?e ?f }} LIMIT {k} }} }}"
)
MEDIA = "application/sparql-results+json"


def job(query: str) -> Job:
    return Job(query, None, None, MEDIA, 10_000)


async def calibrate(pool: WorkerPool) -> str:
    """A slow query that takes about one second alone on one worker."""
    k = 1_000
    for _ in range(4):
        started = time.perf_counter()
        await pool.run(job(SLOW.format(k=k)), 60, 60, "calibrate")
        took = time.perf_counter() - started
        if 0.8 < took < 1.3:
            break
        k = max(10, int(k * (1.0 / max(took, 0.01)) ** 0.5))
    print(f"slow query: a {k} × {k} cross product, {took:.2f} s alone", flush=True)
    return SLOW.format(k=k)


async def scenario(
    pool: WorkerPool, slow: str, seconds: float, flood: int, flooders: int, fresh: bool
) -> tuple[list[float], int, int]:
    stop = time.monotonic() + seconds
    done = refused = 0
    tasks: list[asyncio.Task[None]] = []

    async def flooder(client: str) -> None:
        nonlocal done, refused
        while time.monotonic() < stop:
            try:
                await pool.run(job(slow), 10, 10, client)
                done += 1
            except ClientBusyError:
                refused += 1
                await asyncio.sleep(0.05)  # a client told 429 comes back a little later
            except (NoWorkerError, QueryTimeoutError):
                pass

    async def cheap() -> list[float]:
        await pool.run(job(CHEAP), 10, 10, "B")  # before the flood: now known to be cheap
        tasks.extend(asyncio.create_task(flooder(client)) for client in "AC"[:flooders] for _ in range(flood))
        await asyncio.sleep(1.0)
        latencies: list[float] = []
        while time.monotonic() < stop - 0.5:
            query = CHEAP.replace("}", f"FILTER(?s != <urn:x{len(latencies)}>) }}") if fresh else CHEAP
            started = time.perf_counter()
            with contextlib.suppress(NoWorkerError):  # counted at the 10 s it waited
                await pool.run(job(query), 10, 10, "B")
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)
        return latencies

    latencies = await cheap()
    await asyncio.gather(*tasks)
    return latencies, done, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--flood", type=int, default=12)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scenarios", default="1same,2same,1fresh", help="clients flooding, and B's queries")
    args = parser.parse_args()
    n = args.workers
    policies = {
        "fifo": {"per_client": n, "fair": False, "reserve": False},
        "fair": {"per_client": n, "fair": True, "reserve": False},
        f"cap{n - 1}": {"per_client": n - 1, "fair": False, "reserve": False},
        f"cap{n - 1}+fair": {"per_client": n - 1, "fair": True, "reserve": False},
        f"cap{max(1, n // 2)}+fair": {"per_client": max(1, n // 2), "fair": True, "reserve": False},
        f"cap{n - 1}+fair+429": {"per_client": n - 1, "fair": True, "client_queue": 4, "reserve": False},
        "lane": {"per_client": n, "fair": False, "lane": True, "reserve": False},
        f"reserve+cap{n - 1}+fair": {"per_client": n - 1, "fair": True, "reserve": True},
    }
    with tempfile.TemporaryDirectory() as tmp:
        nquads = Path(tmp) / "dataset.nq"
        QueryStore.from_dataset(load(find_paths()).dataset).dump(nquads)
        slow = ""
        rows = []
        plan = [(s, p) for s in args.scenarios.split(",") for p in policies.items()]
        for scenario_name, (name, options) in plan:
            flooders, fresh = int(scenario_name[0]), scenario_name.endswith("fresh")
            if name == next(iter(policies)):
                print(
                    f"{n} workers; {'A' if flooders == 1 else 'A and C'} each keep {args.flood} slow queries "
                    f"in flight for {args.seconds:g} s; B sends {'a new' if fresh else 'the same'} ASK each time"
                )
            pool = WorkerPool(nquads, n, **options)
            try:
                pool.wait_ready()
                if not slow:
                    slow = asyncio.run(calibrate(pool))
                latencies, done, refused = asyncio.run(scenario(pool, slow, args.seconds, args.flood, flooders, fresh))
            finally:
                pool.close()
            p95 = sorted(latencies)[max(0, math.ceil(0.95 * len(latencies)) - 1)]  # nearest rank
            rows.append((name, statistics.median(latencies), p95, max(latencies), len(latencies), done, refused))
            print(
                f"{name:<16} B cheap p50 {rows[-1][1] * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  "
                f"max {rows[-1][3] * 1000:7.0f} ms  ({len(latencies)} queries)   "
                f"slow finished {done:3}  refused {refused}",
                flush=True,
            )


if __name__ == "__main__":
    main()
