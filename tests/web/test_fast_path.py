"""Repeated queries answered before the framework (``web.fastpath``): the full path's answers, byte for byte.

The first request of a query is evaluated (a miss), the second is a hit of the full path, which
teaches the fast path; from the third on the fast path answers (``AnswerCache.early`` counts it).
Every promise of the full path must hold for those: the same bytes and headers, the rate limit,
the metrics, the access log, 304, and errors from the full path. Real uvicorn and workers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

Serve = Callable[..., AbstractContextManager[tuple[str, SparqlRouter]]]

QUERY = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type"
JSON_RESULTS = "application/sparql-results+json"
FORM = "application/x-www-form-urlencoded"
ROW_CAP = 200
#: Headers a repeated answer may change: the date, and whether the cache answered.
VOLATILE = {"date", "x-bordergraph-cache"}


@pytest.fixture(scope="module")
def fast(built: Built, serve: Serve) -> Iterator[tuple[str, SparqlRouter]]:
    """A server of this module's own (its cache starts empty): (endpoint URL, router)."""
    with serve(built, Settings(rate=0, row_cap=ROW_CAP, cache_bytes=512 * 1024)) as (base, sparql):
        yield f"{base}/sparql", sparql


def query(name: str) -> str:
    """``QUERY`` with a comment of its own, so that each test starts with a cold cache."""
    return f"{QUERY} # {name}"


def headers_of(response: httpx.Response) -> list[tuple[str, str]]:
    """The response's headers but ``VOLATILE``, in an order-free form (repeated names kept)."""
    return sorted((k, v) for k, v in response.headers.multi_items() if k not in VOLATILE)


def repeated(send: Callable[[], httpx.Response], times: int = 4) -> list[httpx.Response]:
    return [send() for _ in range(times)]


def assert_same_answers(answers: list[httpx.Response]) -> None:
    """Every answer is the first one's status, bytes and headers (the first is evaluated, the second a hit)."""
    first = answers[0]
    assert first.status_code == 200, first.text
    assert [a.headers["x-bordergraph-cache"] for a in answers] == ["miss"] + ["hit"] * (len(answers) - 1)
    for answer in answers[1:]:
        assert answer.status_code == 200
        assert answer.content == first.content
        assert headers_of(answer) == headers_of(first)


def metric(base: str, name: str, **labels: str) -> float:
    """The value of one sample of the server's /metrics (0 when absent)."""
    for family in text_string_to_metric_families(httpx.get(f"{base}/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


@pytest.mark.parametrize("accept", [JSON_RESULTS, "text/csv", "application/sparql-results+xml", "*/*"])
def test_a_repeated_get_is_the_first_answer_byte_for_byte(fast: tuple[str, SparqlRouter], accept: str) -> None:
    endpoint, sparql = fast
    params = {"query": query(f"get {accept}")}
    early = sparql.cache.early
    answers = repeated(lambda: httpx.get(endpoint, params=params, headers={"Accept": accept}))
    assert_same_answers(answers)
    assert sparql.cache.early == early + 2  # the third and fourth came from the fast path
    first = answers[0]
    assert first.headers["etag"] and first.headers["cache-control"].startswith("public, max-age=")
    assert first.headers["x-bordergraph-row-cap"] == str(ROW_CAP) and int(first.headers["x-bordergraph-rows"]) > 0
    assert first.headers["vary"] == "Accept, Origin"
    assert first.headers["content-type"].startswith(JSON_RESULTS if accept == "*/*" else accept)


def test_cors_headers_stay_on_repeated_answers(fast: tuple[str, SparqlRouter]) -> None:
    endpoint, _ = fast
    params = {"query": query("cors")}
    answers = repeated(lambda: httpx.get(endpoint, params=params, headers={"Origin": "https://example.org"}))
    assert_same_answers(answers)
    assert all(a.headers["access-control-allow-origin"] == "*" for a in answers)
    assert all("X-Bordergraph-Cache" in a.headers["access-control-expose-headers"] for a in answers)
    # Without Origin, the same query is another request: no CORS headers are replayed to it.
    plain = repeated(lambda: httpx.get(endpoint, params=params), 3)
    assert all("access-control-allow-origin" not in a.headers for a in plain)
    assert all(a.content == answers[0].content for a in plain)


@pytest.mark.parametrize("content_type", [FORM, "application/sparql-query"])
def test_a_repeated_post_is_the_get_answer(fast: tuple[str, SparqlRouter], content_type: str) -> None:
    endpoint, sparql = fast
    text = query(f"post {content_type}")
    body = urllib.parse.urlencode({"query": text}) if content_type == FORM else text
    headers = {"Accept": "text/csv", "Content-Type": content_type}
    early = sparql.cache.early
    posts = repeated(lambda: httpx.post(endpoint, content=body, headers=headers))
    assert_same_answers(posts)
    assert sparql.cache.early == early + 2
    got = httpx.get(endpoint, params={"query": text}, headers={"Accept": "text/csv"})
    assert got.headers["x-bordergraph-cache"] == "hit"  # one answer cache for both methods
    assert got.content == posts[0].content and got.headers["etag"] == posts[0].headers["etag"]
    # A body sent in chunks is read whole, and answered the same.
    chunked = repeated(
        lambda: httpx.post(endpoint, content=iter([body[:10].encode(), body[10:].encode()]), headers=headers), 3
    )
    assert all(a.status_code == 200 and a.content == posts[0].content for a in chunked)
    assert all(headers_of(a) == headers_of(posts[0]) for a in chunked)


def test_another_accept_dataset_or_host_is_not_served_another_answer(
    fast: tuple[str, SparqlRouter], built: Built, serve: Serve, source_graphs: list[str]
) -> None:
    endpoint, _ = fast
    text = query("keys")
    answers = {}
    for accept in (JSON_RESULTS, "text/csv", "text/tab-separated-values"):
        got = repeated(partial(httpx.get, endpoint, params={"query": text}, headers={"Accept": accept}), 3)
        assert_same_answers(got)  # a miss first: the other formats' answers were not taken for it
        assert got[0].headers["content-type"].startswith(accept)
        answers[accept] = got[0]
    assert len({a.content for a in answers.values()}) == len({a.headers["etag"] for a in answers.values()}) == 3
    # The same negotiated type under another Accept header: the full path's hit, then the fast path's.
    weighted = repeated(lambda: httpx.get(endpoint, params={"query": text}, headers={"Accept": "text/csv;q=0.9"}), 3)
    assert all(a.headers["x-bordergraph-cache"] == "hit" and a.content == answers["text/csv"].content for a in weighted)
    # Another dataset (default-graph-uri): a miss, then its own answer.
    graph = f"https://w3id.org/bordergraph/graph/{source_graphs[0]}"
    params = {"query": text, "default-graph-uri": graph}
    one_graph = repeated(lambda: httpx.get(endpoint, params=params, headers={"Accept": "text/csv"}), 3)
    assert_same_answers(one_graph)
    assert one_graph[0].content != answers["text/csv"].content
    # Relative IRIs resolve against the URL the client used (no public URL): the Host header is in the key.
    with serve(built, Settings(rate=0), None) as (base, _):
        construct = {"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}
        for host in ("one.example", "two.example"):
            headers = {"Host": host, "Accept": "application/n-triples"}
            got = repeated(partial(httpx.get, f"{base}/sparql", params=construct, headers=headers), 3)
            assert_same_answers(got)
            assert got[0].text.startswith(f"<http://{host}/s> <http://{host}/p> ")


def test_the_rate_limit_counts_repeated_queries(built: Built, serve: Serve) -> None:
    with serve(built, Settings(concurrency=1, rate=60, burst=6)) as (base, sparql):
        endpoint = f"{base}/sparql"
        params = {"query": "ASK { ?s ?p ?o }"}
        form = {"Content-Type": FORM}
        gets = repeated(lambda: httpx.get(endpoint, params=params), 3)
        posts = repeated(lambda: httpx.post(endpoint, content=urllib.parse.urlencode(params), headers=form), 3)
        assert [a.status_code for a in gets + posts] == [200] * 6
        assert sparql.cache.early == 3  # the third GET and the last two POSTs (the first POST was a full hit)
        for limited in (
            httpx.get(endpoint, params=params),
            httpx.post(endpoint, content=urllib.parse.urlencode(params), headers=form),
        ):
            assert limited.status_code == 429, limited.text
            assert int(limited.headers["retry-after"]) >= 1 and "at most 60 per minute" in limited.json()["message"]
        assert metric(base, "bordergraph_rejections_total", reason="rate") == 2


def test_metrics_and_access_log_count_repeated_queries(
    fast: tuple[str, SparqlRouter], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint, _ = fast
    base = endpoint.removesuffix("/sparql")
    text = query("counted")
    caplog.set_level(logging.INFO, logger="bordergraph.access")
    before = {
        "hit": metric(base, "bordergraph_answer_cache_total", outcome="hit"),
        "miss": metric(base, "bordergraph_answer_cache_total", outcome="miss"),
        "get": metric(base, "bordergraph_http_requests_total", route="/sparql", method="GET", status="200"),
        "post": metric(base, "bordergraph_http_requests_total", route="/sparql", method="POST", status="200"),
        "timed": metric(base, "bordergraph_query_seconds_count", form="SELECT"),
    }
    repeated(lambda: httpx.get(endpoint, params={"query": text}), 5)
    repeated(lambda: httpx.post(endpoint, data={"query": text}), 3)
    assert metric(base, "bordergraph_answer_cache_total", outcome="hit") == before["hit"] + 7
    assert metric(base, "bordergraph_answer_cache_total", outcome="miss") == before["miss"] + 1
    assert (
        metric(base, "bordergraph_http_requests_total", route="/sparql", method="GET", status="200")
        == before["get"] + 5
    )
    assert (
        metric(base, "bordergraph_http_requests_total", route="/sparql", method="POST", status="200")
        == before["post"] + 3
    )
    assert metric(base, "bordergraph_query_seconds_count", form="SELECT") == before["timed"] + 8
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    deadline = time.monotonic() + 5
    lines: list[dict[str, object]] = []
    while len(lines) < 8 and time.monotonic() < deadline:
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bordergraph.access"]
        lines = [line for line in lines if line["query_sha256"] == digest]
        time.sleep(0.05)
    assert [line["method"] for line in lines] == ["GET"] * 5 + ["POST"] * 3
    assert {(line["status"], line["form"], line["client"]) for line in lines} == {(200, "SELECT", "127.0.0.1")}
    assert len({line["rows"] for line in lines}) == 1 and isinstance(lines[-1]["ms"], float)


def test_if_none_match_is_304_again_and_again(fast: tuple[str, SparqlRouter]) -> None:
    endpoint, sparql = fast
    base = endpoint.removesuffix("/sparql")
    params = {"query": query("304")}
    first = httpx.get(endpoint, params=params, headers={"Accept": "text/csv"})
    tag = first.headers["etag"]
    not_modified = metric(base, "bordergraph_answer_cache_total", outcome="not_modified")
    early = sparql.cache.early
    conditional = {"Accept": "text/csv", "If-None-Match": tag}
    answers = repeated(lambda: httpx.get(endpoint, params=params, headers=conditional))
    answers += repeated(lambda: httpx.post(endpoint, data=params, headers=conditional), 3)
    assert all(a.status_code == 304 and a.content == b"" for a in answers)
    assert all(headers_of(a) == headers_of(answers[0]) for a in answers)
    assert answers[0].headers["etag"] == tag and answers[0].headers["vary"] == "Accept, Origin"
    assert "max-age=" in answers[0].headers["cache-control"]
    assert sparql.cache.early == early + 5  # all but the first GET and the first POST (those teach it)
    assert metric(base, "bordergraph_answer_cache_total", outcome="not_modified") == not_modified + 7
    stale = repeated(lambda: httpx.get(endpoint, params=params, headers={**conditional, "If-None-Match": '"stale"'}), 3)
    assert all(a.status_code == 200 and a.content == first.content and a.headers["etag"] == tag for a in stale)


@pytest.mark.parametrize(
    ("method", "params", "content_type", "body", "status"),
    [
        ("GET", {"query": "SELECT ?x WHERE { ?x ?y }"}, None, "", 400),
        ("GET", {"query": QUERY, "update": "CLEAR ALL"}, None, "", 400),
        ("GET", {"update": "CLEAR ALL"}, None, "", 403),
        ("GET", {"query": " "}, None, "", 400),
        ("GET", {"query": QUERY}, None, "", 406),  # Accept below
        ("POST", {}, "text/plain", QUERY, 400),
        ("POST", {}, FORM, urllib.parse.urlencode({"query": QUERY, "update": "CLEAR ALL"}), 400),
        ("POST", {}, "application/sparql-update", "CLEAR ALL", 403),
        ("POST", {}, FORM, urllib.parse.urlencode({"query": QUERY + " #" + "x" * 200 * 1024}), 413),
    ],
)
def test_protocol_errors_are_answered_by_the_full_path(
    fast: tuple[str, SparqlRouter],
    method: str,
    params: dict[str, str],
    content_type: str | None,
    body: str,
    status: int,
) -> None:
    endpoint, _ = fast
    warm = repeated(lambda: httpx.get(endpoint, params={"query": QUERY}), 3)  # the query itself is answered fast
    assert all(a.status_code == 200 for a in warm)
    headers = {"Accept": "image/png" if status == 406 else JSON_RESULTS}
    if content_type:
        headers["Content-Type"] = content_type
    for _ in range(3):
        answer = httpx.request(method, endpoint, params=params, content=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["message"] and "etag" not in answer.headers


def test_head_evicted_and_over_the_cap_go_the_full_way(fast: tuple[str, SparqlRouter]) -> None:
    endpoint, sparql = fast
    params = {"query": query("evicted")}
    answers = repeated(lambda: httpx.get(endpoint, params=params))
    assert_same_answers(answers)
    head = httpx.head(endpoint, params=params)
    assert head.status_code == 200 and head.content == b"" and headers_of(head) == headers_of(answers[0])
    # Fill the cache (512 KiB here) with other answers until this one is gone: it is evaluated again.
    for n in range(40):
        text = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o LIMIT 150 OFFSET {n * 150}"
        assert httpx.get(endpoint, params={"query": text}).status_code == 200
    again = repeated(lambda: httpx.get(endpoint, params=params), 3)
    assert_same_answers(again)
    assert again[0].content == answers[0].content
    # Over the row cap: an error every time, never a cached or truncated answer.
    over = {"query": "SELECT * WHERE { ?s ?p ?o } # over the cap"}
    for _ in range(3):
        refused = httpx.get(endpoint, params=over)
        assert refused.status_code == 422 and "etag" not in refused.headers
    assert sparql.cache.size <= sparql.cache.capacity
    # A body over the cap sent in chunks (no Content-Length): read up to the cap, then the full path's 413.
    big = urllib.parse.urlencode({"query": QUERY + " #" + "x" * 200 * 1024}).encode()
    for _ in range(2):
        chunks = iter([big[i : i + 16384] for i in range(0, len(big), 16384)])
        answer = httpx.post(endpoint, content=chunks, headers={"Content-Type": FORM})
        assert answer.status_code == 413 and "shorten" in answer.json()["message"]
