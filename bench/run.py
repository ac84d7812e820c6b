"""bordergraph vs stock rdflib-endpoint vs ``oxigraph serve``: same data, same queries, one machine.

Usage: .venv/bin/python bench/run.py [--sizes real,10k,100k,1m] [--duration 2] [--rdflib-max 150000]

Prints one table per dataset, every figure with its ratio to ``oxigraph serve`` (ratio > 1 means
more: slower for times and memory, faster for requests per second). Not a test: figures vary
with the machine and its load. Loopback only; every request has a time limit; the servers are
started in their own process groups and stopped by PID.

- bordergraph: ``bench/serve_bordergraph.py`` (the real app, default limits except no rate limit,
  row cap 1 M, timeout 120 s; the generated data is not validated).
- rdflib-endpoint: its own CLI, ``rdflib-endpoint serve FILE`` (rdflib's memory store and engine).
- oxigraph serve: the ``oxigraph`` PyPI package, installed by this script into bench/.venv
  (same version as pyoxigraph), in-memory, data loaded by POST /store.

Datasets: ``real`` is the validated dataset; ``10k``, ``100k``, ``1m`` are made by
bench/generate.py (cached in bench/data/). Every server loads the same N-Quads file (named graphs
plus their merge as the default graph). rdflib-endpoint is skipped above ``--rdflib-max`` triples
(its load alone takes minutes and gigabytes there).

Throughput uses ApacheBench (``ab``, Debian package apache2-utils) when present, with keep-alive;
otherwise Python threads with keep-alive connections (which then compete for the same CPUs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

import pyoxigraph

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
PYTHON = sys.executable
SIZES = {"real": 0, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
REQUEST_TIMEOUT = 120.0
BG = "https://w3id.org/bordergraph/ontology#"
ID = "https://w3id.org/bordergraph/id/"
PREFIXES = f"PREFIX bg: <{BG}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
JSON_RESULTS = "application/sparql-results+json"


def queries(copies: int, seed: int = 7) -> dict[str, tuple[str, str]]:
    """The benchmark queries, by name: (query, Accept). The lookup names a meeting of one random copy."""
    k = random.Random(seed).randrange(copies)
    meeting = f"{ID}meeting-2018-02-05-goodale-nielsen" + (f"-{k}" if k else "")
    return {
        "lookup": (f"SELECT ?p ?o WHERE {{ <{meeting}> ?p ?o }}", JSON_RESULTS),
        "label search": (
            PREFIXES + 'SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(LCASE(STR(?label)), "goodale")) }'
            " LIMIT 100",
            JSON_RESULTS,
        ),
        "join": (
            PREFIXES + "SELECT ?m ?date ?who WHERE { ?m a bg:Meeting ; bg:participant ?p . ?p rdfs:label ?who "
            "OPTIONAL { ?m bg:date ?date } } LIMIT 1000",
            JSON_RESULTS,
        ),
        "aggregate": (
            "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) ?type",
            JSON_RESULTS,
        ),
        "construct": (
            PREFIXES + "CONSTRUCT { ?m rdfs:label ?l ; bg:participant ?p } "
            "WHERE { ?m a bg:Meeting ; rdfs:label ?l ; bg:participant ?p } LIMIT 1000",
            "text/turtle",
        ),
    }


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_binary() -> Path:
    """Find bench/.venv/bin/oxigraph, creating the venv (same version as pyoxigraph) if needed."""
    venv = BENCH / ".venv"
    binary = venv / "bin" / "oxigraph"
    if not binary.exists():
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
        version = pyoxigraph.__version__
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"oxigraph=={version}"], check=True)
    return binary


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    started: float
    ready_after: float = 0.0

    def stop(self) -> None:
        """Stop the server's whole process group (its query workers too), by PID."""
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def peak_rss_mb(self) -> float:
        """Sum of the peak resident sets (VmHWM) of the server and its descendants."""
        tree, frontier = set(), {self.process.pid}
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry.name)] = int(stat[1])
                except (OSError, IndexError):
                    continue
        while frontier:
            tree |= frontier
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - tree
        total = 0
        for pid in tree:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            total += int(match.group(1)) if match else 0
        return total / 1024


def start(name: str, data: Path, start_timeout: float) -> Server:
    port = free_port()
    log = open(DATA / f"{name}.log", "wb")  # noqa: SIM115 (kept open for the server's lifetime)
    if name == "bordergraph":
        command = [PYTHON, str(BENCH / "serve_bordergraph.py"), str(data), "--port", str(port)]
        url = f"http://127.0.0.1:{port}/sparql"
    elif name == "rdflib-endpoint":
        command = [str(Path(PYTHON).parent / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1"]
        command += ["--port", str(port)]
        url = f"http://127.0.0.1:{port}/"
    else:
        command = [str(oxigraph_binary()), "serve", "--bind", f"127.0.0.1:{port}"]
        url = f"http://127.0.0.1:{port}/query"
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, url, process, started)
    try:
        wait_until_up(server, port, start_timeout)
        if name == "oxigraph serve":
            connection = HTTPConnection("127.0.0.1", port, timeout=start_timeout)
            with data.open("rb") as body:
                connection.request("POST", "/store", body=body, headers={"Content-Type": "application/n-quads"})
                response = connection.getresponse()
                response.read()
            if response.status >= 300:
                raise RuntimeError(f"oxigraph refused the data: {response.status}")
        wait_until_answers(server, start_timeout)
    except BaseException:
        server.stop()
        raise
    server.ready_after = time.monotonic() - started
    return server


def wait_until_up(server: Server, port: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {DATA / (server.name + '.log')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not open its port within {limit} s")


def wait_until_answers(server: Server, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            status, _ = request(server.url, "ASK { ?s ?p ?o }", JSON_RESULTS, timeout=10)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer a query within {limit} s")


# -- clients ---------------------------------------------------------------------------------


def request(
    url: str, query: str, accept: str, timeout: float = REQUEST_TIMEOUT, connection: HTTPConnection | None = None
) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = connection or HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    conn.request("GET", f"{parts.path}?{urllib.parse.urlencode({'query': query})}", headers={"Accept": accept})
    response = conn.getresponse()
    body = response.read()
    if connection is None:
        conn.close()
    return response.status, body


def latencies(url: str, query: str, accept: str, samples: int, budget: float) -> list[float]:
    """Sequential requests on one keep-alive connection, after 3 unmeasured ones."""
    parts = urllib.parse.urlsplit(url)
    conn = HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=REQUEST_TIMEOUT)
    times: list[float] = []
    deadline = time.monotonic() + budget
    for index in range(samples + 3):
        t0 = time.perf_counter()
        status, _ = request(url, query, accept, connection=conn)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        if index >= 3:
            times.append(time.perf_counter() - t0)
        if time.monotonic() > deadline and len(times) >= 3:
            break
    conn.close()
    return times


def throughput(url: str, query: str, accept: str, clients: int, duration: float) -> float:
    """Requests per second with ``clients`` concurrent keep-alive clients for ``duration`` seconds."""
    full = f"{url}?{urllib.parse.urlencode({'query': query})}"
    if shutil.which("ab"):
        command = ["ab", "-k", "-q", "-c", str(clients), "-t", str(duration), "-n", "10000000"]
        command += ["-s", str(int(REQUEST_TIMEOUT)), "-H", f"Accept: {accept}", full]
        out = subprocess.run(command, capture_output=True, text=True, timeout=duration + REQUEST_TIMEOUT + 30).stdout
        rate = re.search(r"Requests per second:\s+([\d.]+)", out)
        bad = re.search(r"Non-2xx responses:\s+(\d+)", out)
        if bad:
            raise RuntimeError(f"{url}: {bad.group(1)} non-2xx answers under load")
        return float(rate.group(1)) if rate else 0.0
    done = [0] * clients
    stop = time.monotonic() + duration

    def client(index: int) -> None:
        parts = urllib.parse.urlsplit(url)
        conn = HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=REQUEST_TIMEOUT)
        while time.monotonic() < stop:
            request(url, query, accept, connection=conn)
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - t0)


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Figures:
    values: dict[str, float] = field(default_factory=dict)


def measure(name: str, data: Path, copies: int, args: argparse.Namespace) -> Figures:
    figures = Figures()
    server = start(name, data, args.start_timeout)
    try:
        figures.values["start-up + load (s)"] = server.ready_after
        for label, (query, accept) in queries(copies).items():
            t0 = time.perf_counter()
            status, _ = request(server.url, query, accept)
            if status != 200:
                raise RuntimeError(f"{name} answered {status} to {label}")
            figures.values[f"{label}: cold (ms)"] = (time.perf_counter() - t0) * 1000
            warm = sorted(latencies(server.url, query, accept, args.samples, args.budget))
            figures.values[f"{label}: warm p50 (ms)"] = statistics.median(warm) * 1000
            figures.values[f"{label}: warm p95 (ms)"] = warm[min(len(warm) - 1, int(len(warm) * 0.95))] * 1000
            for clients in args.clients:
                rate = throughput(server.url, query, accept, clients, args.duration)
                figures.values[f"{label}: req/s @{clients}"] = rate
        figures.values["peak RSS (MB)"] = server.peak_rss_mb()
    finally:
        server.stop()
    return figures


def table(title: str, results: dict[str, Figures]) -> str:
    names = list(results)
    reference = results.get("oxigraph serve")
    metrics = list(dict.fromkeys(m for f in results.values() for m in f.values))
    width = max(len(m) for m in metrics) + 2
    lines = [title, "metric".ljust(width) + "".join(n.rjust(24) for n in names)]
    for metric in metrics:
        cells = []
        for name in names:
            value = results[name].values.get(metric)
            if value is None:
                cells.append("skipped".rjust(24))
                continue
            ref = reference.values.get(metric) if reference else None
            ratio = f" ({value / ref:.2f}×)" if ref else ""
            cells.append(f"{value:,.1f}{ratio}".rjust(24))
        lines.append(metric.ljust(width) + "".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="real,10k,100k,1m", help="comma-separated: real,10k,100k,1m")
    parser.add_argument("--servers", default="bordergraph,rdflib-endpoint,oxigraph serve")
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per throughput figure")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients for throughput")
    parser.add_argument("--samples", type=int, default=30, help="warm latency samples per query")
    parser.add_argument("--budget", type=float, default=20.0, help="most seconds for one warm latency series")
    parser.add_argument("--rdflib-max", type=int, default=150_000, help="skip rdflib-endpoint above this size")
    parser.add_argument("--start-timeout", type=float, default=900.0)
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    DATA.mkdir(exist_ok=True)
    report: dict[str, dict[str, dict[str, float]]] = {}
    for size in args.sizes.split(","):
        data = DATA / f"{size}.nq"
        if not data.exists():
            subprocess.run(
                [PYTHON, str(BENCH / "generate.py"), "--triples", str(SIZES[size]), "--out", str(data)], check=True
            )
        meta = json.loads(data.with_suffix(".nq.json").read_text())
        results: dict[str, Figures] = {}
        for name in args.servers.split(","):
            if name == "rdflib-endpoint" and meta["named_graph_triples"] > args.rdflib_max:
                results[name] = Figures()
                continue
            print(f"[{size}] {name} …", file=sys.stderr, flush=True)
            results[name] = measure(name, data, meta["copies"], args)
        title = f"\n== {size}: {meta['named_graph_triples']:,} triples in named graphs, {meta['copies']} cop(ies) =="
        print(table(title, results), flush=True)
        report[size] = {name: f.values for name, f in results.items()}
    (DATA / "results.json").write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
