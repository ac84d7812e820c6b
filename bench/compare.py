"""bordergraph side by side with its baselines on the same generated data (issue 11's benchmark).

Usage: .venv/bin/python bench/compare.py [--sizes 10k,100k,1m] [--duration 4] [--servers ...]

Servers, each started in its own process group on a free loopback port and stopped by PID:

- ``oxigraph ro``: ``oxigraph load`` into a directory (printed as its build time), then
  ``oxigraph serve-read-only`` on it (the Rust server: the reference for memory and start-up);
- ``bare``: ``bench/bare_app.py``, FastAPI + pyoxigraph in one process, no safety at all;
- ``floor``: ``bench/bare_app.py --floor``, a constant body: the most this HTTP stack gives;
- ``rdflib-endpoint``: stock ``rdflib-endpoint serve FILE``, up to ``--rdflib-max`` triples;
- ``bordergraph``: ``bench/serve_bordergraph.py FILE --port N``, started twice: the first start
  is printed as its build time, the second start (which may reuse what the first one built) is
  its ready time.

Figures per server: ready time after start; memory of the server and all its processes (see
``memory.py``): the sum of each process's peak RSS (VmHWM), and the peaks of the RSS, PSS and USS
sums sampled every 0.25 s from start to the end of the repeated-query phase; requests per second
of the whole mix and of the lookup mix at 1, 8 and 32 keep-alive clients; p50/p95 of a cheap
query while another client (another loopback address) floods slow queries; requests per second of
one repeated query at 8 clients; worker replacement (bordergraph: SIGKILL one worker, time until
the pool is whole again). Each table ends with bordergraph's ratios against the bare app,
``oxigraph serve-read-only`` and the floor, next to issue 11's targets.

Every request of the two mixes is a distinct query text (a counter in a trailing comment), so no
answer cache can serve it: the mixes measure evaluation. The repeated query measures caching.
Not a test: figures move with the machine's load, which is printed with each table.

The load generator is a minimal HTTP/1.1 keep-alive client on asyncio (written by hand: httpx and
the stdlib client cost more CPU per request than the floor server itself on two cores; ``ab``
cannot send a mix). It runs in this process, so it shares the two cores with the server: its own
CPU time per request is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from memory import KB, ORDER, Sampler, Usage, tree
from run import BENCH, DATA, ID, JSON_RESULTS, PREFIXES, PYTHON, SIZES, Server, free_port, queries

OXIGRAPH = Path(PYTHON).parent / "oxigraph"
NAMES = ["oxigraph ro", "bare", "floor", "rdflib-endpoint", "bordergraph"]
#: A query that scans every triple of the default graph: seconds at 1 M, linear in the data.
SLOW = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "zzz")) }'
WORDS = ["goodale", "nielsen", "border", "security", "canada", "meeting", "minister", "agreement", "police", "trade"]

Query = tuple[str, str]  # (text, Accept)


# -- the client ------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length and chunked answers)."""

    def __init__(self, host: str, port: int, source: str | None = None) -> None:
        self.host, self.port, self.source = host, port, source
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, accept: str) -> tuple[int, int]:
        """Send one GET, read the whole answer; (status, body bytes)."""
        if self.writer is None:
            local = (self.source, 0) if self.source else None
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, local_addr=local)
        assert self.reader is not None
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: {accept}\r\n\r\n"
        self.writer.write(request.encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head[9:12])
        length, chunked, close = None, False, False
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            value = value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        size = 0
        if chunked:
            while True:
                chunk = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if chunk == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                size += len(await self.reader.readexactly(chunk + 2)) - 2
        elif length is not None:
            size = len(await self.reader.readexactly(length))
        else:
            size = len(await self.reader.read())
            close = True
        if close:
            self.close()
        return status, size

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Run:
    """What one load phase saw."""

    done: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else float("nan")


def _path(url: str, query: str) -> str:
    return f"{urllib.parse.urlsplit(url).path}?{urllib.parse.urlencode({'query': query})}"


async def _client(url: str, next_query: Callable[[], Query], until: float, run: Run, source: str | None) -> None:
    parts = urllib.parse.urlsplit(url)
    conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, source)
    try:
        while time.monotonic() < until:
            query, accept = next_query()
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.get(_path(url, query), accept), until + 5 - time.monotonic())
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                conn.close()
                break
            if time.monotonic() > until:
                break  # finished after the window: not counted
            if status == 200:
                run.done += 1
                run.latencies.append(time.perf_counter() - t0)
            else:
                run.errors[status] = run.errors.get(status, 0) + 1
    finally:
        conn.close()


def load(url: str, make: Callable[[], Query], clients: int, seconds: float) -> Run:
    """``clients`` keep-alive clients, each from its own loopback address, sending ``make()`` queries."""
    run = Run()

    async def main() -> None:
        until = time.monotonic() + seconds
        # Each client from its own loopback address, as distinct users would be: bordergraph's
        # per-client limits then apply as they would in production, not to one address doing it all.
        await asyncio.gather(*(_client(url, make, until, run, f"127.0.1.{i + 1}") for i in range(clients)))

    cpu, t0 = time.process_time(), time.monotonic()
    asyncio.run(main())
    run.seconds, run.cpu = min(seconds, time.monotonic() - t0), time.process_time() - cpu
    return run


def flood(url: str, cheap: Callable[[], Query], slow: Callable[[], Query], flooders: int, seconds: float) -> Run:
    """Latencies of cheap queries sent one after another while slow queries flood the server.

    The cheap client connects from 127.0.0.1; ``flooders`` connections from 127.0.0.2 keep slow
    queries running.
    """
    run, noise = Run(), Run()

    async def main() -> None:
        until = time.monotonic() + seconds
        flooding = [asyncio.create_task(_client(url, slow, until, noise, "127.0.0.2")) for _ in range(flooders)]
        await asyncio.sleep(min(1.0, seconds / 4))  # let the slow queries take the workers first
        await _client(url, cheap, until, run, "127.0.0.1")
        await asyncio.gather(*flooding)

    t0 = time.monotonic()
    asyncio.run(main())
    run.seconds = time.monotonic() - t0
    run.errors.update({-s: n for s, n in noise.errors.items()})  # the flooder's refusals, negated
    return run


# -- servers ---------------------------------------------------------------------------------


def _cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def settle(server: Server, limit: float = 120.0) -> float:
    """Wait until the server is idle again (queries abandoned by the last phase finished); seconds waited.

    Idle: bordergraph's /healthz reports no busy worker, and the processes used under 3 % of a core
    for two windows of 0.3 s in a row (a server keeps evaluating queries whose clients left).
    """
    t0 = time.monotonic()
    port = urllib.parse.urlsplit(server.url).port or 80
    quiet = 0
    while time.monotonic() - t0 < limit and quiet < 2:
        if server.name == "bordergraph" and asyncio.run(_busy_workers(port)):
            quiet = 0
            time.sleep(0.3)
            continue
        pids = tree(server.process.pid)
        before = _cpu_seconds(pids)
        time.sleep(0.3)
        quiet = quiet + 1 if _cpu_seconds(pids) - before < 0.01 else 0
    return time.monotonic() - t0


async def _busy_workers(port: int) -> int:
    body = await _get_json(port, "/healthz")
    with contextlib.suppress(KeyError, TypeError, ValueError):
        return int(body["workers"]["busy"])
    return 0


async def _get_json(port: int, path: str) -> Any:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        raw = await reader.read()
    finally:
        writer.close()
    with contextlib.suppress(ValueError):
        return json.loads(raw.split(b"\r\n\r\n", 1)[-1])
    return None


def build_dir(size: str) -> Path:
    return DATA / f"{size}.oxigraph"


#: Extra arguments for serve_bordergraph.py (``--bordergraph-args``), e.g. ``--concurrency 2``.
BORDERGRAPH_ARGS: list[str] = []


def command(name: str, data: Path, size: str, port: int) -> tuple[list[str], str]:
    if name == "bordergraph":
        return [
            PYTHON,
            str(BENCH / "serve_bordergraph.py"),
            str(data),
            "--port",
            str(port),
            *BORDERGRAPH_ARGS,
        ], "/sparql"
    if name == "bare":
        return [PYTHON, str(BENCH / "bare_app.py"), str(data), "--port", str(port)], "/sparql"
    if name == "floor":
        return [PYTHON, str(BENCH / "bare_app.py"), "--floor", "--port", str(port)], "/sparql"
    if name == "rdflib-endpoint":
        cmd = [str(Path(PYTHON).parent / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1"]
        return [*cmd, "--port", str(port)], "/"
    location = build_dir(size)
    return [str(OXIGRAPH), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"], "/query"


def start(name: str, data: Path, size: str, limit: float) -> Server:
    """Start a server and wait until it answers a query; ``ready_after`` is that time."""
    port = free_port()
    argv, path = command(name, data, size, port)
    log = (DATA / f"{name.replace(' ', '-')}-{size}.log").open("ab")
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    server = Server(name, f"http://127.0.0.1:{port}{path}", process, started)
    deadline = started + limit

    async def ask() -> int:
        conn = Connection("127.0.0.1", port)
        try:
            status, _ = await conn.get(_path(server.url, "ASK { ?s ?p ?o }"), JSON_RESULTS)
            return status
        finally:
            conn.close()

    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see its log in {DATA}")
        with contextlib.suppress(OSError):
            if asyncio.run(ask()) == 200:
                break
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{name} did not answer within {limit} s")
        time.sleep(0.005)
    server.ready_after = time.monotonic() - started
    return server


def prepare(name: str, data: Path, size: str, limit: float) -> float | None:
    """Build time, printed apart from the ready time: ``oxigraph load``; bordergraph's first start."""
    if name == "oxigraph ro":
        location = build_dir(size)
        if location.exists():
            subprocess.run(["rm", "-rf", str(location)], check=True)
        t0 = time.monotonic()
        subprocess.run([str(OXIGRAPH), "load", "--location", str(location), "--file", str(data)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        return time.monotonic() - t0
    if name == "bordergraph":
        server = start(name, data, size, limit)
        server.stop()
        return server.ready_after
    return None


def workers(server: Server) -> list[int]:
    """The query workers of bordergraph: the multiprocessing children (spawned, or forked by a fork server)."""
    children: dict[int, int] = {}
    for pid in tree(server.process.pid) - {server.process.pid}:
        with contextlib.suppress(OSError, IndexError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
                children[pid] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    forkservers = {ppid for ppid in children.values() if ppid in children}
    return sorted(pid for pid in children if pid not in forkservers)


def replacement(server: Server, cheap: Callable[[], Query], limit: float = 120.0) -> tuple[float, int]:
    """SIGKILL one worker; ms until the pool is whole again (per /healthz), and requests that failed.

    A cheap query goes out between polls, so a pool that only notices a death when it hands the
    dead worker a query still notices it.
    """
    before = workers(server)
    if not before:
        return float("nan"), 0
    parts = urllib.parse.urlsplit(server.url)
    failed = 0

    async def main() -> float:
        nonlocal failed
        conn = Connection("127.0.0.1", parts.port or 80)
        victim = random.Random(3).choice(before)
        t0 = time.perf_counter()
        os.kill(victim, signal.SIGKILL)
        try:
            while time.perf_counter() - t0 < limit:
                status, _ = await conn.get(_path(server.url, cheap()[0]), JSON_RESULTS)
                failed += status != 200
                health = Connection("127.0.0.1", parts.port or 80)
                try:
                    await health.get("/healthz", "application/json")
                finally:
                    health.close()
                now = workers(server)
                if victim not in now and len(now) >= len(before) and await _pool_ready(parts.port or 80, len(before)):
                    return (time.perf_counter() - t0) * 1000
                await asyncio.sleep(0.001)
        finally:
            conn.close()
        return float("nan")

    return asyncio.run(main()), failed


async def _pool_ready(port: int, size: int) -> bool:
    body = await _get_json(port, "/healthz")
    with contextlib.suppress(KeyError, TypeError, ValueError):
        return int(body["workers"]["ready"]) >= size
    return False


# -- queries ---------------------------------------------------------------------------------


def entities(data: Path, count: int = 5000, seed: int = 11) -> list[str]:
    """Record IRIs (subjects under the id namespace) of the dataset, a random sample."""
    seen: set[str] = set()
    for quad in ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(ID):
            seen.add(quad.subject.value)
    ordered = sorted(seen)
    return random.Random(seed).sample(ordered, min(count, len(ordered)))


class Mixes:
    """Query generators; every call gives a new text (a trailing comment counts), unless said."""

    def __init__(self, iris: list[str], copies: int) -> None:
        self.iris = iris
        self.fixed = queries(copies)
        self.counter = itertools.count()
        self.random = random.Random(5)

    def _salt(self, query: str) -> str:
        return f"{query}\n# bench {next(self.counter)}"

    def lookup(self) -> Query:
        iri = self.random.choice(self.iris)
        return self._salt(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"), JSON_RESULTS

    def whole(self) -> Query:
        kind = next(self.counter) % 5
        if kind == 0:
            return self.lookup()
        if kind == 1:
            word = self.random.choice(WORDS)
            text = (PREFIXES + "SELECT ?s ?label WHERE { ?s rdfs:label ?label "
                    f'FILTER(CONTAINS(LCASE(STR(?label)), "{word}")) }} LIMIT 100')  # fmt: skip
            return self._salt(text), JSON_RESULTS
        name = ["join", "aggregate", "construct"][kind - 2]
        text, accept = self.fixed[name]
        return self._salt(text), accept

    def slow(self) -> Query:
        return self._salt(SLOW), JSON_RESULTS

    def repeated(self) -> Query:
        """The same text every time (the lookup of run.py)."""
        return self.fixed["lookup"]


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Figures:
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def measure(name: str, data: Path, size: str, mixes: Mixes, args: argparse.Namespace) -> Figures:
    figures = Figures()
    built = prepare(name, data, size, args.start_timeout)
    if built is not None:
        figures.values["build (s)"] = built
    server = start(name, data, size, args.start_timeout)
    sampler = Sampler(server.process.pid).start()
    try:
        figures.values["ready after start (s)"] = server.ready_after
        phases: list[tuple[str, Callable[[], Query], list[int]]] = [
            ("whole mix", mixes.whole, args.clients),
            ("lookup mix", mixes.lookup, args.clients),
        ]
        for label, make, clients in phases:
            for count in clients:
                run = load(server.url, make, count, args.duration)
                figures.values[f"{label} req/s @{count}"] = run.rate
                if run.errors:
                    figures.notes.append(f"{label} @{count}: non-200 {run.errors}")
                if count == max(clients):
                    figures.values[f"client CPU ms/req ({label} @{count})"] = 1000 * run.cpu / max(run.done, 1)
                settle(server)
        run = flood(server.url, mixes.lookup, mixes.slow, args.flooders, args.duration * 2)
        figures.values["cheap p50 under flood (ms)"] = run.p(0.5)
        figures.values["cheap p95 under flood (ms)"] = run.p(0.95)
        figures.values["cheap answered under flood"] = run.done
        if run.errors:
            figures.notes.append(f"flood: cheap non-200 / flooder (negated) {run.errors}")
        waited = settle(server)
        if waited > 5:
            figures.notes.append(f"flood: {waited:.0f} s before the server was idle again")
        run = load(server.url, mixes.repeated, 8, args.duration)
        figures.values["repeated query req/s @8"] = run.rate
        sampler.stop()  # before the worker is killed: its replacement is a start-up, not the load
        figures.values["peak RSS, all processes (MB)"] = server.peak_rss_mb()
        figures.values["peak RSS sum, sampled (MB)"] = sampler.peak.rss / KB
        figures.values["peak PSS sum, sampled (MB)"] = sampler.peak.pss / KB
        figures.values["peak USS sum, sampled (MB)"] = sampler.peak.uss / KB
        figures.values["processes"] = len(sampler.per_process)
        figures.notes.append(f"each process's peak, RSS / PSS / USS (MB): {per_process(sampler)}")
        if name == "bordergraph":
            ms, failed = replacement(server, mixes.lookup)
            figures.values["worker replacement (ms)"] = ms
            if failed:
                figures.notes.append(f"worker replacement: {failed} request(s) failed")
    finally:
        sampler.stop()
        server.stop()
    return figures


def per_process(sampler: Sampler) -> str:
    """Each kind of process's peaks (the largest of its kind), e.g. ``main 120/98/95; worker ×4 40/19/16``."""
    kinds: dict[str, list[Usage]] = {}
    for kind, peak in sampler.per_process.values():
        kinds.setdefault(kind, []).append(peak)
    parts = []
    for kind, peaks in sorted(kinds.items(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else 9):
        top = Usage(*(max(getattr(p, f) for p in peaks) for f in ("rss", "pss", "uss", "hwm")))
        count = f" ×{len(peaks)}" if len(peaks) > 1 else ""
        parts.append(f"{kind}{count} {top.rss / KB:.0f}/{top.pss / KB:.0f}/{top.uss / KB:.0f}")
    return "; ".join(parts)


TARGETS = [
    # (metric, baseline, ≥ or ≤, target), checked for bordergraph
    ("ready after start (s)", None, "≤", 1.0),
    ("peak RSS, all processes (MB)", "oxigraph ro", "≤", 1.5),
    ("peak RSS sum, sampled (MB)", "oxigraph ro", "≤", 1.5),
    ("peak PSS sum, sampled (MB)", "oxigraph ro", "≤", 1.5),
    ("peak USS sum, sampled (MB)", "oxigraph ro", "", 0.0),
    *[(f"whole mix req/s @{c}", "bare", "≥", 0.9) for c in (1, 8, 32)],
    *[(f"whole mix req/s @{c}", "oxigraph ro", "≥", 2.0) for c in (1, 8, 32)],
    *[(f"lookup mix req/s @{c}", "bare", "", 0.0) for c in (1, 8, 32)],
    ("cheap p95 under flood (ms)", None, "≤", 100.0),
    ("worker replacement (ms)", None, "≤", 100.0),
    ("repeated query req/s @8", "floor", "≥", 0.5),
]


def table(title: str, results: dict[str, Figures]) -> str:
    names = list(results)
    metrics = list(dict.fromkeys(m for f in results.values() for m in f.values))
    width = max(len(m) for m in metrics) + 2
    lines = [title, "metric".ljust(width) + "".join(n.rjust(17) for n in names)]
    for metric in metrics:
        cells = []
        for name in names:
            value = results[name].values.get(metric)
            cells.append(("—" if value is None else f"{value:,.1f}").rjust(17))
        lines.append(metric.ljust(width) + "".join(cells))
    bg = results.get("bordergraph")
    if bg:
        lines.append("\nbordergraph against issue 11's targets")
        for metric, baseline, sense, target in TARGETS:
            value = bg.values.get(metric)
            if value is None:
                continue
            if baseline is None:
                ok = value <= target if sense == "≤" else value >= target
                verdict = "met" if ok else "NOT met"
                lines.append(f"  {metric:40} {value:10,.1f}          target {sense} {target:g}  {verdict}")
                continue
            ref = results.get(baseline, Figures()).values.get(metric)
            if not ref:
                continue
            ratio = value / ref
            verdict = ("met" if (ratio <= target if sense == "≤" else ratio >= target) else "NOT met") if sense else ""
            goal = f"target {sense} {target:g}×" if sense else ""
            lines.append(f"  {metric:40} {ratio:8.2f}× {baseline:12} {goal:16} {verdict}")
    for name, figures in results.items():
        lines.extend(f"  note ({name}): {note}" for note in figures.notes)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--servers", default=",".join(NAMES))
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per throughput figure")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--flooders", type=int, default=8, help="connections flooding slow queries")
    parser.add_argument("--rdflib-max", type=int, default=150_000)
    parser.add_argument("--start-timeout", type=float, default=900.0)
    parser.add_argument("--bordergraph-args", default="", help="extra arguments for serve_bordergraph.py")
    args = parser.parse_args()
    BORDERGRAPH_ARGS.extend(args.bordergraph_args.split())
    args.clients = [int(c) for c in args.clients.split(",")]
    DATA.mkdir(exist_ok=True)
    import uvloop  # the client's loop too: less CPU taken from the server under test

    uvloop.install()
    report: dict[str, dict[str, dict[str, float]]] = {}
    for size in args.sizes.split(","):
        data = DATA / f"{size}.nq"
        if not data.exists():
            command_ = [PYTHON, str(BENCH / "generate.py"), "--triples", str(SIZES[size]), "--out", str(data)]
            subprocess.run(command_, check=True)
        meta = json.loads(data.with_suffix(".nq.json").read_text())
        mixes = Mixes(entities(data), meta["copies"])
        load_before = os.getloadavg()
        results: dict[str, Figures] = {}
        for name in args.servers.split(","):
            if name == "rdflib-endpoint" and meta["named_graph_triples"] > args.rdflib_max:
                continue
            print(f"[{size}] {name} …", file=sys.stderr, flush=True)
            results[name] = measure(name, data, size, mixes, args)
        load_after = os.getloadavg()
        title = (
            f"\n== {size}: {meta['named_graph_triples']:,} triples in named graphs; load average "
            f"{load_before[0]:.1f} before, {load_after[0]:.1f} after =="
        )
        print(table(title, results), flush=True)
        report[size] = {name: f.values for name, f in results.items()}
        (DATA / "compare.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    if len(report) > 1 and all("bordergraph" in r for r in report.values()):
        print("\nbordergraph, cost against data size (linear would follow the triples column)")
        sizes = list(report)
        for metric in ("ready after start (s)", "peak RSS, all processes (MB)", "peak PSS sum, sampled (MB)",
                       "whole mix req/s @1"):  # fmt: skip
            row = "  ".join(f"{s}: {report[s]['bordergraph'].get(metric, float('nan')):,.1f}" for s in sizes)
            print(f"  {metric:32} {row}")


if __name__ == "__main__":
    main()
