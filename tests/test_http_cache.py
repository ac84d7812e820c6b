"""The answer cache and ETags (the HTTP behaviour is tested against a live server in the endpoint tests)."""

from __future__ import annotations

from bordergraph.web.cache import ENTRY_OVERHEAD, AnswerCache, etag, not_modified


def test_the_cache_stays_within_its_bytes_and_drops_the_least_recently_used() -> None:
    cache = AnswerCache(capacity=64 * 1024)
    body = 4000
    for n in range(100):
        cache.put(("q", n), f"answer {n}", body)
        assert cache.size <= cache.capacity
    kept = len(cache)
    assert kept == cache.capacity // (body + ENTRY_OVERHEAD)
    assert cache.get(("q", 99)) == "answer 99" and cache.get(("q", 0)) is None
    oldest = 100 - kept
    assert cache.get(("q", oldest)) == f"answer {oldest}"  # now the most recently used
    cache.put(("q", 100), "answer 100", body)
    assert cache.get(("q", oldest)) == f"answer {oldest}" and cache.get(("q", oldest + 1)) is None
    assert cache.hits == 3 and cache.misses == 2


def test_a_large_answer_is_not_kept() -> None:
    cache = AnswerCache(capacity=80_000)
    cache.put("small", "s", 10)
    assert not cache.put("big", "b", 10_001)
    assert cache.get("big") is None and cache.get("small") == "s"
    assert not AnswerCache(capacity=0).put("x", "x", 1)


def test_replacing_an_entry_counts_its_bytes_once() -> None:
    cache = AnswerCache(capacity=100_000)
    cache.put("k", "a", 1000)
    cache.put("k", "b", 2000)
    assert len(cache) == 1 and cache.size == 2000 + ENTRY_OVERHEAD and cache.get("k") == "b"


def test_etag_depends_on_build_and_request() -> None:
    key = ("SELECT * {}", None, None, "text/csv", 10)
    tag = etag("build-1", key)
    assert tag.startswith('"') and tag.endswith('"') and tag == etag("build-1", key)
    assert tag != etag("build-2", key)
    assert tag != etag("build-1", ("SELECT * {}", None, None, "text/tab-separated-values", 10))


def test_if_none_match_lists_weak_tags_and_star() -> None:
    tag = etag("b", "k")
    assert not_modified(tag, tag) and not_modified(f'"other", W/{tag}', tag) and not_modified("*", tag)
    assert not not_modified('"other"', tag) and not not_modified(None, tag) and not not_modified("", tag)


# -- against the live server (tests/conftest.py) -----------------------------------------------

QUERY = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type"


def test_answers_carry_an_etag_and_304_on_if_none_match(endpoint: str) -> None:
    import httpx

    params = {"query": QUERY}
    first = httpx.get(endpoint, params=params, headers={"Accept": "text/csv"})
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert "max-age=" in first.headers["cache-control"] and "Accept" in first.headers["vary"]
    again = httpx.get(endpoint, params=params, headers={"Accept": "text/csv", "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    other = httpx.get(endpoint, params=params, headers={"Accept": "text/csv", "If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.content == first.content and other.headers["etag"] == tag
    json_answer = httpx.get(endpoint, params=params, headers={"Accept": "application/sparql-results+json"})
    assert json_answer.status_code == 200 and json_answer.headers["etag"] != tag


def test_a_repeated_query_is_answered_from_the_cache(endpoint: str) -> None:
    import httpx

    params = {"query": QUERY + " # repeated"}
    first = httpx.get(endpoint, params=params, headers={"Accept": "text/tab-separated-values"})
    second = httpx.get(endpoint, params=params, headers={"Accept": "text/tab-separated-values"})
    assert first.status_code == second.status_code == 200
    assert first.headers["x-bordergraph-cache"] == "miss" and second.headers["x-bordergraph-cache"] == "hit"
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert second.headers["x-bordergraph-rows"] == first.headers["x-bordergraph-rows"]


def test_errors_are_not_cached(endpoint: str) -> None:
    import httpx

    bad = {"query": "SELECT ?x WHERE { ?x ?y }"}
    for _ in range(2):
        answer = httpx.get(endpoint, params=bad)
        assert answer.status_code == 400 and "etag" not in answer.headers
