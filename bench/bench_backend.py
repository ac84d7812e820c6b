"""The front end's overhead over a backend store, and publish time and memory, per store.

Usage: .venv/bin/python bench/bench_backend.py --data bench/data/100k.nq [--rounds 15]
(make the data with bench/generate.py; needs `oxigraph` from the test extra and Debian's virtuoso-opensource).

For each store (``oxigraph serve`` and Virtuoso, started here on loopback with tests/stores.py's
settings and stopped by PID):

1. ``bordergraph publish --from DATA`` as a child process: wall time and its peak RSS (wait4), twice
   (the second is the idempotent no-op: verification only);
2. a ``bordergraph serve --backend`` over the store;
3. the same mix, sent alternately direct to the store (JSON results, as the front end asks) and
   through the front end, ``--rounds`` times: lookups (one resource's triples, by IRI) and the
   example queries. Printed: p50 of each side and the ratio front/direct per class (issue 12's
   targets: ≤ 1.2 for lookups, ≤ 1.05 for queries over 100 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the store helpers the tests use: one way to start each store

from bordergraph.examples import examples  # noqa: E402
from bordergraph.paths import find_paths  # noqa: E402
from bordergraph.remote import MERGE_GRAPH  # noqa: E402
from stores import Store, free_port, oxigraph, stop_pid, virtuoso, wait_for  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
JSON = "application/sparql-results+json"


def publish(store: Store, data: Path) -> tuple[float, float, str]:
    """Run ``bordergraph publish`` as a child: (seconds, peak RSS in MB, its last line)."""
    args = [sys.executable, "-m", "bordergraph", "publish", "--from", str(data), "--to", store.gsp_url]
    args += ["--store-kind", store.kind] + (["--user", store.user] if store.user else [])
    env = ENV | ({"BORDERGRAPH_STORE_PASSWORD": store.password} if store.password else {})
    started = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    out = process.stdout.read() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"publish to {store.kind} failed: {out}")
    return seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[-1]


def mix(data_subjects: list[str]) -> list[tuple[str, str]]:
    """(class, query): lookups by IRI, then every local example query."""
    lookups = [("lookup", f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}") for s in data_subjects]
    queries = [("query", e.text) for e in examples(find_paths()) if e.meta.get("federated") != "true"]
    return lookups + queries


def timed(client: httpx.Client, url: str, data: dict[str, str]) -> float:
    started = time.perf_counter()
    response = client.post(url, data=data, headers={"Accept": JSON})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def measure(store: Store, front: str, queries: list[tuple[str, str]], rounds: int) -> dict[str, tuple[float, ...]]:
    """Alternate direct and front for each query, ``rounds`` times; p50 per class and per query."""
    direct: dict[str, list[float]] = {}
    through: dict[str, list[float]] = {}
    slow_direct: list[float] = []
    slow_front: list[float] = []
    with httpx.Client(timeout=120) as client:
        for _kind, query in queries:  # warm both sides once
            timed(client, store.query_url, dict(query=query))
            timed(client, front, dict(query=query))
        for _ in range(rounds):
            for kind, query in queries:
                params = {"query": query}
                if store.kind == "virtuoso":
                    params["default-graph-uri"] = MERGE_GRAPH
                d = timed(client, store.query_url, params)
                f = timed(client, front, {"query": query})
                direct.setdefault(kind, []).append(d)
                through.setdefault(kind, []).append(f)
        # queries whose direct p50 is over 100 ms, on their own
        for kind, query in queries:
            if kind != "query":
                continue
            params = {"query": query} | ({"default-graph-uri": MERGE_GRAPH} if store.kind == "virtuoso" else {})
            ds = [timed(client, store.query_url, params) for _ in range(3)]
            if statistics.median(ds) > 0.1:
                slow_direct.extend(ds)
                slow_front.extend(timed(client, front, {"query": query}) for _ in range(3))
    result: dict[str, tuple[float, ...]] = {
        k: (statistics.median(direct[k]), statistics.median(through[k])) for k in direct
    }
    if slow_direct:
        result["query >100 ms"] = (statistics.median(slow_direct), statistics.median(slow_front))
    return result


def subjects(data: Path, n: int) -> list[str]:
    """``n`` subject IRIs spread over the data (every k-th distinct IRI subject)."""
    seen: list[str] = []
    with data.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("<"):
                iri = line[1 : line.index(">")]
                if not seen or seen[-1] != iri:
                    seen.append(iri)
    step = max(1, len(seen) // n)
    return seen[::step][:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="N-Quads from bench/generate.py")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--stores", default="oxigraph,virtuoso")
    parser.add_argument("--publish-only", action="store_true", help="measure publishing only (larger data)")
    args = parser.parse_args()
    queries = [] if args.publish_only else mix(subjects(args.data, 10))
    print(f"data: {args.data} ({args.data.stat().st_size / 1e6:.1f} MB); mix: {len(queries)} queries")
    for kind in args.stores.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
            starter = oxigraph if kind == "oxigraph" else virtuoso
            with starter(Path(tmp)) as store:
                seconds, rss, line = publish(store, args.data)
                again, rss2, line2 = publish(store, args.data)
                print(f"\n{kind}: publish {seconds:.1f} s, peak RSS {rss:.0f} MB ({line})")
                print(f"{kind}: publish again {again:.1f} s, peak RSS {rss2:.0f} MB ({line2})")
                if args.publish_only:
                    continue
                port = free_port()
                front = subprocess.Popen(
                    [sys.executable, "-m", "bordergraph", "serve", "--port", str(port), "--rate", "0",
                     "--backend", store.query_url, "--backend-kind", kind, "--timeout", "60",
                     "--build-dir", str(Path(tmp) / "build")],
                    env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                try:
                    wait_for(f"http://127.0.0.1:{port}/healthz", front, 180)
                    figures = measure(store, f"http://127.0.0.1:{port}/sparql", queries, args.rounds)
                finally:
                    stop_pid(front.pid)
                for name, (d, f) in figures.items():
                    print(f"{kind}: {name:14} p50 direct {d * 1000:7.1f} ms, through serve --backend "
                          f"{f * 1000:7.1f} ms, ratio {f / d:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
