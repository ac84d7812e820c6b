"""The front end's overhead over a backend store, and publish time and memory, per store.

Usage: .venv/bin/python bench/bench_backend.py --data bench/data/100k.nq [--rounds 15]
       .venv/bin/python bench/bench_backend.py --data bench/data/1m.nq --publish-only [--virtuoso-max-seconds 600]
(make the data with bench/generate.py; needs `oxigraph` from the test extra and Debian's virtuoso-opensource).

For each store (``oxigraph serve`` and Virtuoso, started here on loopback with tests/stores.py's
settings and stopped by PID):

1. ``bordergraph publish --from DATA`` as a child process: wall time and its peak RSS, twice (the
   second is the idempotent no-op: verification only). The peak is the child's own ``VmHWM``, read
   from /proc every 0.1 s until it exits; ``ru_maxrss`` from wait4 is printed beside it, but it is
   not the child's alone: Python starts children with vfork, and Linux keeps the larger of the old
   and new address space's high-water mark across exec, so ``ru_maxrss`` is at least this script's
   own RSS at the time of the fork. The publishing process's largest RSS while it runs, sampled
   (``VmRSS``), is printed too, with the time it was reached: flat memory means it does not grow
   with the data.
2. a ``bordergraph serve --backend`` over the store, as shipped: a new TCP connection to the store
   per query (``RemoteStore(keep_alive=False)``, so that a client's leaving can shut the request
   down); and, unless ``--fronts`` says otherwise, beside it the same front end with pooled
   keep-alive connections to the store (this script's ``--front-keep-alive`` mode: ``serve`` with
   its ``Backend`` swapped for one whose RemoteStore keeps connections and which sends no ``Call``,
   so a query whose client leaves runs on: a baseline for the benchmark only, not a setting).
3. the same mix, sent in turn direct to the store (JSON results, as the front end asks) and through
   each front end, ``--rounds`` times: lookups (one resource's triples, by IRI) and the example
   queries. Printed: p50 of each side and the ratio front/direct per class (issue 12's targets:
   ≤ 1.2 for lookups, ≤ 1.05 for queries over 100 ms).

Virtuoso runs with tests/stores.py's ini; ``--virtuoso-max-seconds`` sets its
``MaxQueryExecutionTime`` (the tests' 60 s by default), which also bounds the transactions of
publish's switch and its staging-graph drops (docs/operations.md, SR171).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # the store helpers the tests use: one way to start each store

from bordergraph.examples import examples  # noqa: E402
from bordergraph.paths import find_paths  # noqa: E402
from bordergraph.remote import MERGE_GRAPH  # noqa: E402
from stores import Store, free_port, oxigraph, stop_pid, virtuoso, wait_for  # noqa: E402

if TYPE_CHECKING:
    from bordergraph.remote import Call
    from bordergraph.web.answer import Answer, Job

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
JSON = "application/sparql-results+json"


class PublishFailedError(Exception):
    """``bordergraph publish`` exited with an error (the message holds its output)."""


def _status_kb(pid: int, field: str) -> int | None:
    """``field`` (VmHWM, VmRSS) of /proc/PID/status in kB; None once the process has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


#: ``publish`` with httpcore's limit on a response head raised (``--header-limit``, the benchmark only).
RAISED_HEADER_LIMIT = (
    "import httpcore._sync.http11 as h; h.HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE = {limit}; "
    "from bordergraph.cli import main; main()"
)


def publish(store: Store, data: Path, header_limit: int | None = None) -> dict[str, float | str]:
    """Run ``bordergraph publish`` as a child: seconds, its peak RSS (VmHWM, sampled) and its last lines.

    ``header_limit``: run it with httpcore's largest response head (100 KiB) raised to this many bytes.
    Virtuoso echoes every ``named-graph-uri`` of a query as an ``X-SPARQL-named-graph`` response header,
    so publish's count of its staging graphs (one per source graph, ~70 bytes each) can fail past about
    1,500 graphs with "Receive buffer too long" (h11, through httpcore); the raised limit lets the
    benchmark measure the rest of a publish. Not a fix: bordergraph itself runs with httpcore's limit.
    """
    head = ["-c", RAISED_HEADER_LIMIT.format(limit=header_limit)] if header_limit else ["-m", "bordergraph"]
    args = [sys.executable, *head, "publish", "--from", str(data), "--to", store.gsp_url]
    args += ["--store-kind", store.kind] + (["--user", store.user] if store.user else [])
    env = ENV | ({"BORDERGRAPH_STORE_PASSWORD": store.password} if store.password else {})
    parent_kb = _status_kb(os.getpid(), "VmHWM") or 0  # what ru_maxrss carries over from this script
    started = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    hwm = rss = 0
    rss_at = 0.0
    while True:
        done, status, usage = os.wait4(process.pid, os.WNOHANG)  # a zombie until reaped: /proc/PID stays
        if done:
            break
        now_hwm = _status_kb(process.pid, "VmHWM")
        now_rss = _status_kb(process.pid, "VmRSS")
        if now_hwm is not None:
            hwm = max(hwm, now_hwm)
        if now_rss is not None and now_rss > rss:
            rss, rss_at = now_rss, time.monotonic() - started
        time.sleep(0.1)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(10)
    if process.returncode != 0:
        raise PublishFailedError(
            f"publish to {store.kind} failed (exit {process.returncode}) after {seconds:.1f} s, "
            f"peak RSS (VmHWM) {hwm / 1024:.0f} MB:\n{''.join(lines)}"
        )
    return {
        "seconds": seconds,
        "hwm_mb": hwm / 1024,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "rss_mb": rss / 1024,
        "rss_at": rss_at,
        "parent_mb": parent_kb / 1024,
        "out": "\n  ".join(line.strip() for line in lines if line.startswith("note:") or line is lines[-1]),
        "store_hwm_mb": (_status_kb(store.pid, "VmHWM") or 0) / 1024,  # the store's own peak so far
    }


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


def measure(
    store: Store, fronts: dict[str, str], queries: list[tuple[str, str]], rounds: int
) -> dict[str, dict[str, float]]:
    """Each query direct, then through each front end in turn, ``rounds`` times: p50 per class and side.

    Returns {class: {"direct": p50, front name: p50, ...}}; the class "query >100 ms" holds the example
    queries whose direct p50 (3 runs) is over 100 ms, run 3 more times through each front end.
    """
    times: dict[str, dict[str, list[float]]] = {}
    slow: dict[str, list[float]] = {}

    def direct_params(query: str) -> dict[str, str]:
        return {"query": query} | ({"default-graph-uri": MERGE_GRAPH} if store.kind == "virtuoso" else {})

    with httpx.Client(timeout=600) as client:
        for _kind, query in queries:  # warm every side once
            timed(client, store.query_url, direct_params(query))
            for url in fronts.values():
                timed(client, url, {"query": query})
        for _ in range(rounds):
            for kind, query in queries:
                sides = times.setdefault(kind, {})
                sides.setdefault("direct", []).append(timed(client, store.query_url, direct_params(query)))
                for name, url in fronts.items():
                    sides.setdefault(name, []).append(timed(client, url, {"query": query}))
        for kind, query in queries:
            if kind != "query":
                continue
            ds = [timed(client, store.query_url, direct_params(query)) for _ in range(3)]
            if statistics.median(ds) > 0.1:
                slow.setdefault("direct", []).extend(ds)
                for name, url in fronts.items():
                    slow.setdefault(name, []).extend(timed(client, url, {"query": query}) for _ in range(3))
    if slow:
        times["query >100 ms"] = slow
    return {kind: {side: statistics.median(values) for side, values in sides.items()} for kind, sides in times.items()}


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


def start_front(store: Store, folder: Path, keep_alive: bool) -> tuple[subprocess.Popen[bytes], str]:
    """``bordergraph serve --backend`` over ``store`` (keep_alive: this script's bench-only variant)."""
    port = free_port()
    head = [sys.executable, __file__, "--front-keep-alive"] if keep_alive else [sys.executable, "-m", "bordergraph"]
    front = subprocess.Popen(
        [*head, "serve", "--port", str(port), "--rate", "0",
         "--backend", store.query_url, "--backend-kind", store.kind, "--timeout", "60", "--row-cap", "1000000",
         "--build-dir", str(folder)],
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", front, 180)
    except BaseException:
        stop_pid(front.pid)
        raise
    return front, f"http://127.0.0.1:{port}/sparql"


def serve_keep_alive() -> None:
    """``bordergraph serve`` whose Backend keeps pooled connections to the store (the benchmark's baseline only).

    The shipped Backend opens a connection per query so that ``Call`` can shut a request down when its
    client leaves; here no Call is sent, so a query whose client leaves runs on in the store.
    """
    from bordergraph.cli import main as cli
    from bordergraph.remote import RemoteStore
    from bordergraph.web import backend, sparql
    from bordergraph.web.settings import Settings

    class KeepAliveBackend(backend.Backend):
        def __init__(self, settings: Settings) -> None:
            super().__init__(settings)
            self.store.close()
            self.store = RemoteStore(
                self.store.query_url,
                kind=self.store.kind,
                timeout=self.store.timeout,
                store_timeout=self.store.store_timeout,
                keep_alive=True,
            )

        def _run(self, job: Job, call: Call) -> Answer:
            query, default_graph, named_graphs = job.query, job.default_graph, job.named_graphs
            if job.base_iri:  # as Backend._run does, without the Call and the multi-graph refusal (not in the mix)
                query = f"BASE <{job.base_iri}>\n{query}"
            return backend.render(self.store.query(query, default_graph, named_graphs), job.media_type, job.row_cap)

    sparql.Backend = KeepAliveBackend  # type: ignore[misc]
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    cli()


def main() -> None:
    """Publish DATA into each store, then (unless --publish-only) measure the front ends' overhead over it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="N-Quads from bench/generate.py")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--stores", default="oxigraph,virtuoso")
    parser.add_argument("--publish-only", action="store_true", help="measure publishing only (larger data)")
    parser.add_argument("--fronts", default="per-query,keep-alive", help="per-query (shipped), keep-alive (baseline)")
    parser.add_argument("--virtuoso-max-seconds", type=int, default=60, help="Virtuoso's MaxQueryExecutionTime")
    parser.add_argument(
        "--header-limit", type=int, default=None, help="publish with httpcore's response-head limit raised (bytes)"
    )
    args = parser.parse_args()
    queries = [] if args.publish_only else mix(subjects(args.data, 10))
    print(f"data: {args.data} ({args.data.stat().st_size / 1e6:.1f} MB); mix: {len(queries)} queries")
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for kind in args.stores.split(","):
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp,
            (
                oxigraph(Path(tmp))
                if kind == "oxigraph"
                else virtuoso(Path(tmp), max_seconds=args.virtuoso_max_seconds)
            ) as store,
        ):
            failed = False
            for label in ("publish", "publish again"):
                try:
                    r = publish(store, args.data, args.header_limit)
                except PublishFailedError as exc:
                    print(f"\n{kind}: {label} FAILED; load {os.getloadavg()[0]:.1f}\n{exc}", flush=True)
                    failed = True
                    break
                print(
                    f"\n{kind}: {label} {r['seconds']:.1f} s, peak RSS (VmHWM) {r['hwm_mb']:.0f} MB, "
                    f"largest sampled VmRSS {r['rss_mb']:.0f} MB at {r['rss_at']:.1f} s, "
                    f"ru_maxrss {r['maxrss_mb']:.0f} MB (this script's own peak: {r['parent_mb']:.0f} MB); "
                    f"the store's peak RSS so far {r['store_hwm_mb']:.0f} MB; "
                    f"load {os.getloadavg()[0]:.1f}\n  {r['out']}",
                    flush=True,
                )
            if args.publish_only or failed:
                continue
            fronts: dict[str, str] = {}
            processes: list[subprocess.Popen[bytes]] = []
            try:
                for name in args.fronts.split(","):
                    process, url = start_front(store, Path(tmp) / f"build-{name}", name == "keep-alive")
                    processes.append(process)
                    fronts[name] = url
                figures = measure(store, fronts, queries, args.rounds)
            finally:
                for process in processes:
                    stop_pid(process.pid)
            print(f"load average after: {os.getloadavg()}")
            for name, sides in figures.items():
                d = sides["direct"]
                shown = ", ".join(f"{f} {sides[f] * 1000:.1f} ms ({sides[f] / d:.2f}×)" for f in fronts)
                print(f"{kind}: {name:14} p50 direct {d * 1000:.1f} ms; {shown}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--front-keep-alive"]:
        serve_keep_alive()
    else:
        main()
