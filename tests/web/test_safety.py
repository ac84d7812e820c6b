"""A public, read-only endpoint that stays up: timeouts, crashes, limits, no reading outside the dataset.

Servers with tight settings are started here (real uvicorn on loopback, real worker processes);
the shared server of tests/conftest.py has the default limits and no SERVICE allow-list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bordergraph import __version__
from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]


RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = "ASK { ?s a <https://w3id.org/bordergraph/ontology#Meeting> }"
MEETINGS = "SELECT ?m WHERE { ?m a <https://w3id.org/bordergraph/ontology#Meeting> }"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
TIMEOUT = 2.0


@pytest.fixture(scope="module")
def strict(built: Built, serve: Serve) -> Iterator[tuple[str, SparqlRouter]]:
    """A real uvicorn server with tight limits: (endpoint URL, its SPARQL router)."""
    # One client (the test) may use both workers here: fairness between clients is tests/web/test_fairness.py.
    settings = Settings(
        timeout=TIMEOUT, concurrency=2, queue=0, rate=0, body_cap=4096, row_cap=10, client_concurrency=2
    )
    with serve(built, settings) as (base, sparql):
        yield f"{base}/sparql", sparql


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# -- a runaway query is stopped; cheap queries keep being answered -----------------------------


def test_runaway_query_is_killed_at_the_timeout_while_asks_answer(strict: tuple[str, SparqlRouter]) -> None:
    endpoint, sparql = strict
    before = set(sparql.pool.pids())
    with ThreadPoolExecutor(1) as executor:
        started = time.monotonic()
        runaway = executor.submit(httpx.post, endpoint, data={"query": RUNAWAY}, timeout=30)
        time.sleep(0.3)  # let it reach a worker
        ask_times = []
        for _ in range(5):
            t0 = time.monotonic()
            ask = httpx.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS, timeout=30)
            ask_times.append(time.monotonic() - t0)
            assert ask.status_code == 200 and ask.json()["boolean"] is True
        response = runaway.result()
        elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert "ran longer than 2 s" in response.json()["message"]
    assert elapsed <= TIMEOUT + 1, elapsed
    assert max(ask_times) < 1.0, ask_times
    # The worker that ran it was killed (its CPU freed), and a fresh one took its place.
    assert sparql.pool.wait_ready(60)
    after = set(sparql.pool.pids())
    killed = before - after
    assert len(killed) == 1 and len(after) == 2
    assert not any(alive(pid) for pid in killed)
    ticks = {pid: cpu_ticks(pid) for pid in after}
    time.sleep(1.0)
    busy = {pid: cpu_ticks(pid) - t for pid, t in ticks.items()}
    assert all(used <= 10 for used in busy.values()), busy  # ≤ 0.1 s of CPU in 1 s: idle
    assert httpx.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS).json()["boolean"] is True


def test_saturated_endpoint_says_retry_after(strict: tuple[str, SparqlRouter]) -> None:
    endpoint, sparql = strict
    with ThreadPoolExecutor(2) as executor:
        runaways = [executor.submit(httpx.post, endpoint, data={"query": RUNAWAY}, timeout=30) for _ in range(2)]
        time.sleep(0.5)
        busy = httpx.get(endpoint, params={"query": ASK + " # asked once: not in the answer cache"})
        assert busy.status_code == 503
        assert int(busy.headers["retry-after"]) >= 1
        assert "busy" in busy.json()["message"]
        assert [r.result().status_code for r in runaways] == [504, 504]
    assert sparql.pool.wait_ready(60)
    assert httpx.get(endpoint, params={"query": ASK}).status_code == 200


# -- crash isolation: a query that kills the engine kills only its worker ----------------------


def test_deep_nesting_is_refused_before_the_engine(strict: tuple[str, SparqlRouter]) -> None:
    endpoint, _ = strict
    nested = "SELECT * WHERE " + "{" * 1000 + " ?s ?p ?o " + "}" * 1000
    response = httpx.post(endpoint, content=nested.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert "1000 levels deep; at most 64" in response.json()["message"]
    assert httpx.get(endpoint, params={"query": ASK}).status_code == 200


def test_a_query_that_crashes_the_engine_gets_500_and_the_service_carries_on(built: Built, serve: Serve) -> None:
    """The engine (pyoxigraph 0.5.13) overflows its native stack (SIGSEGV) on these; only the worker dies."""
    # The guard refuses both (tests/web/test_guard.py); a tiny margin lets them reach the engine.
    settings = Settings(concurrency=2, rate=0, body_cap=1 << 20, max_depth=100_000, guard_margin=0.01)
    crashers = [
        "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,  # deeply nested groups
        "SELECT * WHERE { BIND(" + "1+" * 20000 + "1 AS ?x) }",  # flat, but a 20 000-deep expression tree
    ]
    with serve(built, settings) as (base, sparql):
        endpoint = f"{base}/sparql"
        for query in crashers:
            before = set(sparql.pool.pids())
            response = httpx.post(
                endpoint, content=query.encode(), headers={"Content-Type": "application/sparql-query"}
            )
            assert response.status_code == 500
            assert "crashed" in response.json()["message"]
            normal = httpx.get(endpoint, params={"query": MEETINGS}, headers=JSON_RESULTS)
            assert normal.status_code == 200 and len(normal.json()["results"]["bindings"]) >= 4
            assert sparql.pool.wait_ready(60)
            assert len(before - set(sparql.pool.pids())) == 1  # the dead worker was replaced
        metrics = httpx.get(endpoint.replace("/sparql", "/metrics")).text
        assert "bordergraph_worker_deaths_total 2.0" in metrics


# -- bounded everything -----------------------------------------------------------------------


def test_body_and_query_length_cap_is_413(strict: tuple[str, SparqlRouter]) -> None:
    endpoint, _ = strict
    long_query = "ASK { " + " ".join(f"<urn:s{i}> <urn:p> <urn:o> ." for i in range(200)) + " }"
    assert len(long_query) > 4096
    direct = httpx.post(endpoint, content=long_query.encode(), headers={"Content-Type": "application/sparql-query"})
    form = httpx.post(endpoint, data={"query": long_query})
    get = httpx.get(endpoint, params={"query": long_query[:1500] + " }"})  # URL-encoded: under 4096 bytes
    chunked = httpx.post(
        endpoint,
        content=(part.encode() for part in [long_query[:3000], long_query[3000:]]),
        headers={"Content-Type": "application/sparql-query"},
    )
    for response in (direct, form, chunked):
        assert response.status_code == 413
        assert "4096 bytes" in response.json()["message"]
    assert get.status_code in (200, 400)  # under the cap: evaluated (the cut query may not parse)
    longer = httpx.get(endpoint, params={"query": long_query})
    assert longer.status_code == 413


def test_row_cap_is_an_error_never_a_silent_truncation(strict: tuple[str, SparqlRouter]) -> None:
    endpoint, _ = strict
    over = httpx.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=JSON_RESULTS)
    assert over.status_code == 422
    assert "more than 10 rows" in over.json()["message"] and "LIMIT" in over.json()["message"]
    assert over.headers["x-bordergraph-row-cap"] == "10"
    graph = httpx.get(endpoint, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert graph.status_code == 422
    exact = httpx.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"}, headers=JSON_RESULTS)
    assert exact.status_code == 200
    assert len(exact.json()["results"]["bindings"]) == 10
    assert exact.headers["x-bordergraph-rows"] == "10" and exact.headers["x-bordergraph-row-cap"] == "10"


def test_per_client_rate_is_429_with_retry_after(built: Built, serve: Serve) -> None:
    with serve(built, Settings(concurrency=1, rate=60, burst=3)) as (base, _):
        endpoint = f"{base}/sparql"
        statuses = [httpx.get(endpoint, params={"query": "ASK {}"}).status_code for _ in range(3)]
        limited = httpx.get(endpoint, params={"query": "ASK {}"})
        assert statuses == [200, 200, 200]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "at most 60 per minute" in limited.json()["message"]
        metrics = httpx.get(endpoint.replace("/sparql", "/metrics")).text
        assert 'bordergraph_rejections_total{reason="rate"} 1.0' in metrics


# -- no reading outside the dataset -----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"},
        {"query": "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }"},
        {"query": "SELECT * WHERE { GRAPH <file:///etc/passwd> { ?s ?p ?o } }"},
        {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "file:///etc/passwd"},
        {"query": "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }"},
    ],
)
def test_from_names_dataset_graphs_only(endpoint: str, params: dict[str, str]) -> None:
    response = httpx.get(endpoint, params=params, headers=JSON_RESULTS)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []


class _Outside(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 (class-level on purpose: the handler is instantiated per request)

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(
            b'{"head":{"vars":["secret"]},"results":{"bindings":[{"secret":{"type":"literal","value":"x"}}]}}'
        )

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def outside() -> Iterator[str]:
    """An endpoint that is not on any allow-list; it records every request it gets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Outside)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()


def test_service_is_refused_without_an_allow_list(endpoint: str, outside: str) -> None:
    prefix, local = outside.rsplit("/", 1)
    queries = [
        f"SELECT * WHERE {{ SERVICE <{outside}> {{ ?secret ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{outside}> {{ ?secret ?p ?o }} }}",
        f"PREFIX out: <{prefix}/> SELECT * WHERE {{ service out:{local} {{ ?secret ?p ?o }} }}",
        f"BASE <{prefix}/> SELECT * WHERE {{ SERVICE <{local}> {{ ?secret ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{outside}> }} SERVICE ?e {{ ?secret ?p ?o }} }}",
    ]
    for query in queries:
        response = httpx.get(endpoint, params={"query": query}, headers=JSON_RESULTS)
        assert response.status_code == 403, query
        assert "SERVICE" in response.json()["message"] and "allow" in response.json()["message"]
    assert _Outside.hits == []


def test_service_to_an_allowed_endpoint_works(built: Built, endpoint: str, outside: str, serve: Serve) -> None:
    """The allow-list names the shared test server; SERVICE reaches it, and only it."""
    settings = Settings(concurrency=2, rate=0, service_allow=(endpoint,))
    with serve(built, settings) as (base, _):
        federating = f"{base}/sparql"
        query = f"SELECT ?m WHERE {{ SERVICE <{endpoint}> {{ ?m a <https://w3id.org/bordergraph/ontology#Meeting> }} }}"
        response = httpx.get(federating, params={"query": query}, headers=JSON_RESULTS)
        assert response.status_code == 200, response.text
        direct = httpx.get(endpoint, params={"query": MEETINGS}, headers=JSON_RESULTS)
        assert response.json()["results"]["bindings"] and sorted(
            b["m"]["value"] for b in response.json()["results"]["bindings"]
        ) == sorted(b["m"]["value"] for b in direct.json()["results"]["bindings"])
        refused = httpx.get(federating, params={"query": f"ASK {{ SERVICE <{outside}> {{ ?s ?p ?o }} }}"})
        assert refused.status_code == 403 and f"<{endpoint}>" in refused.json()["message"]
        description = httpx.get(federating, headers={"Accept": "text/turtle"}).text
        assert "sd:BasicFederatedQuery" in description
    assert _Outside.hits == []


def test_load_is_never_run(endpoint: str) -> None:
    as_query = httpx.get(endpoint, params={"query": "LOAD <file:///etc/passwd>"})
    as_update = httpx.post(endpoint, data={"update": "LOAD <file:///etc/passwd> INTO GRAPH <urn:g>"})
    assert as_query.status_code == 400 and as_update.status_code == 403
    count = httpx.get(endpoint, params={"query": "ASK { GRAPH <urn:g> { ?s ?p ?o } }"}, headers=JSON_RESULTS)
    assert count.json()["boolean"] is False


# -- errors, health, metrics, access log ------------------------------------------------------


def test_errors_are_messages_never_tracebacks(endpoint: str) -> None:
    bad = [
        httpx.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p"}),
        httpx.get(endpoint, params={"query": 'SELECT * WHERE { FILTER(<urn:f>("x")) }'}),
        httpx.get(endpoint, params={"query": "SELECT (xsd:nope(1) AS ?x) WHERE {}"}),
        httpx.post(endpoint, content=b"\xff\xfe", headers={"Content-Type": "application/sparql-query"}),
        httpx.get(endpoint, params={"query": "ASK {}", "default-graph-uri": "not an iri"}),
        httpx.get(endpoint, params={"query": "ASK {}"}, headers={"Accept": "application/x-nothing"}),
    ]
    for response in bad:
        assert 400 <= response.status_code < 600 or response.status_code == 200
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/json")
            message = response.json()["message"]
            assert message and "Traceback" not in message and 'File "' not in message


def test_healthz(server: str, built: Built) -> None:
    response = httpx.get(f"{server}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["triples"] == len(built.store)
    assert body["version"] == __version__
    assert body["workers"]["ready"] >= 1


def test_metrics_are_prometheus(server: str, endpoint: str) -> None:
    httpx.get(endpoint, params={"query": ASK})
    httpx.get(endpoint, params={"query": "SELECT"})
    families = {f.name: f for f in text_string_to_metric_families(httpx.get(f"{server}/metrics").text)}
    assert {
        "bordergraph_http_requests",
        "bordergraph_query_seconds",
        "bordergraph_query_timeouts",
        "bordergraph_rejections",
    } <= set(families)
    requests = {
        (s.labels["route"], s.labels["status"]) for s in families["bordergraph_http_requests"].samples if s.value
    }
    assert ("/sparql", "200") in requests and ("/sparql", "400") in requests
    assert families["bordergraph_query_seconds"].type == "histogram"


def test_one_access_log_line_per_query(endpoint: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bordergraph.access")
    httpx.get(endpoint, params={"query": MEETINGS}, headers=JSON_RESULTS)
    digest = hashlib.sha256(MEETINGS.encode()).hexdigest()[:16]
    deadline = time.monotonic() + 5
    lines: list[dict[str, object]] = []
    while not lines and time.monotonic() < deadline:
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bordergraph.access"]
        lines = [line for line in lines if line["query_sha256"] == digest]
        time.sleep(0.05)
    assert len(lines) == 1
    line = lines[0]
    assert line["form"] == "SELECT" and line["status"] == 200 and line["method"] == "GET"
    assert isinstance(line["rows"], int) and line["rows"] >= 4
    assert isinstance(line["ms"], float)
    assert MEETINGS not in json.dumps(line)  # the hash, not the text
