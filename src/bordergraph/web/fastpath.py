"""The fast path in front of the framework: a repeated request answered from the answer cache.

A request seen before, byte for byte, whose answer is still kept in ``cache.AnswerCache``, is
answered here at a fraction of a full hit's cost, still rate limited, counted and logged.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bordergraph.web.answer import Answer
from bordergraph.web.cache import AnswerCache, not_modified
from bordergraph.web.metrics import log_query

if TYPE_CHECKING:
    from prometheus_client.metrics import MetricWrapperBase

    from bordergraph.web.metrics import Metrics
    from bordergraph.web.ratelimit import RateLimiter


#: The scope key under which the fast path hands a request to the full path, and learns what it did.
SEEN = "bordergraph.cache.seen"
_FORM = b"application/x-www-form-urlencoded"
_QUERY_BODY = b"application/sparql-query"
#: The request headers any part of the stack reads to answer a query (the first of each counts, as in Starlette).
_READ = frozenset((b"accept", b"host", b"origin", b"content-type", b"content-length", b"if-none-match"))
_ALIAS = object()  # the first item of every alias key: never equal to an answer key


class Seen:
    """What the full path did with a request it was handed: answered it from the cache, or 304.

    Filled by the router's cache path (``SparqlRouter._answer``); read by ``CachedAnswers`` once the
    response is sent, to remember the request.
    """

    __slots__ = ("answer", "form", "key", "outcome", "query", "tag")

    def __init__(self) -> None:
        self.outcome: str | None = None  # "hit" or "not_modified"
        self.key: Hashable = None
        self.tag = ""
        self.form: str | None = None
        self.query = ""
        self.answer: Answer | None = None

    def record(
        self, outcome: str, key: Hashable, tag: str, form: str | None, query: str, answer: Answer | None
    ) -> None:
        """The request was answered from the cache (``hit``, with the answer) or 304 (``not_modified``)."""
        self.outcome, self.key, self.tag, self.form, self.query, self.answer = outcome, key, tag, form, query, answer


class _Alias:
    """A request seen before, as the bytes it came in (its alias key), and what the full path answered.

    ``hit``: the response start the full path sent for a cache hit (status line's headers as they left
    every middleware), with the body length, rows and media type of the answer they describe;
    ``not_modified``: the same for a 304.
    """

    __slots__ = ("form", "hit", "key", "not_modified", "query", "route", "size", "tag")

    def __init__(self, seen: Seen, route: str, size: int) -> None:
        self.key, self.tag, self.form, self.query = seen.key, seen.tag, seen.form, seen.query
        self.route = route
        self.size = size
        self.hit: tuple[list[tuple[bytes, bytes]], int, int, str] | None = None
        self.not_modified: list[tuple[bytes, bytes]] | None = None


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` with the messages already read from it given again first."""
    pending = list(messages)

    async def again() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return again


class CachedAnswers:
    """A pure ASGI middleware answering a query request seen before from the answer cache, before FastAPI.

    A cache hit through the framework cost four times a whole request of a constant-body FastAPI app
    (routing, dependency solving, the guard's parse, negotiation, the middleware stack; measured by
    ``bench/cache_hit.py``). Here a GET or POST of ``paths`` is keyed by the bytes the stack reads to
    answer it (method, scheme, host, path, query string, the Accept, Origin and Content-Type headers,
    the body), which needs no parsing. The first time the full path answers such a request from the cache (or with a
    304), it says so in ``scope[SEEN]`` and the response start it sent is kept, under that key, in the
    answer cache itself (its bytes counted). A later identical request whose answer is still cached is
    sent that same start and the cached body, after what the full path does for a hit: the rate limit
    (a refusal goes to the full path, which answers the 429), the cache and request metrics, the
    query-time histogram and the access log line. Anything else (HEAD, an unknown request, an
    evicted answer, a body over the cap or another content type) goes through the full path as before.
    Written by hand: a generic ASGI response cache cannot know which requests the router answered
    from its own cache, nor count a replayed answer against the rate limit, the metrics and the log.
    """

    def __init__(
        self,
        app: ASGIApp,
        cache: AnswerCache,
        metrics: Metrics,
        rate_limiter: RateLimiter,
        body_cap: int,
        paths: tuple[str, ...],
    ) -> None:
        self.app = app
        self.cache = cache
        self.metrics = metrics
        self.rate_limiter = rate_limiter
        self.body_cap = body_cap
        self.paths = frozenset(paths)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache when the request was seen before, else hand it to the app and learn."""
        if scope["type"] != "http" or scope["path"] not in self.paths or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method != "GET" and method != "POST":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        read: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _READ and name not in read:
                read[name] = value
        body = b""
        content_type = read.get(b"content-type")
        if method == "POST":
            kind = (content_type or b"").split(b";")[0].strip().lower()
            declared = read.get(b"content-length", b"")
            if (kind != _FORM and kind != _QUERY_BODY) or (declared.isdigit() and int(declared) > self.body_cap):
                await self.app(scope, receive, send)
                return
            messages: list[Message] = []
            size = 0
            complete = False
            while size <= self.body_cap:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    complete = size <= self.body_cap
                    break
            receive = _replaying(messages, receive)
            if not complete:
                await self.app(scope, receive, send)
                return
            body = b"".join(m.get("body", b"") for m in messages)
        query_string: bytes = scope.get("query_string", b"")
        host, accept, origin = read.get(b"host"), read.get(b"accept"), read.get(b"origin")
        server = scope.get("server")  # the URL's host when there is no Host header
        path = scope["path"]
        alias_key = (
            _ALIAS,
            method,
            scope.get("scheme"),
            host,
            server,
            path,
            query_string,
            accept,
            origin,
            content_type,
            body,
        )
        alias = self.cache.peek(alias_key)
        if isinstance(alias, _Alias) and await self._answer(alias, read.get(b"if-none-match"), scope, send, started):
            return
        size = len(query_string) + len(body) + sum(len(v) for v in (host, accept, origin, content_type) if v)
        await self._learn(alias_key, size, scope, receive, send)

    async def _answer(
        self, alias: _Alias, if_none_match: bytes | None, scope: Scope, send: Send, started: float
    ) -> bool:
        """Send what the full path would for ``alias``'s request; False (nothing sent) when it cannot."""
        body = b""
        rows = 0
        if if_none_match is not None and not_modified(if_none_match.decode("latin-1"), alias.tag):
            status, outcome, headers = 304, "not_modified", alias.not_modified
            if headers is None:
                return False
        else:
            if alias.hit is None:
                return False
            headers, length, rows, media_type = alias.hit
            kept = self.cache.get(alias.key)
            if (
                not isinstance(kept, Answer)
                or kept.rows != rows
                or len(kept.body) != length
                or kept.media_type != media_type
            ):
                return False  # evicted (or evaluated again since): the full path answers and is learnt again
            status, outcome, body = 200, "hit", kept.body
        client = scope["client"][0] if scope.get("client") else "?"
        if self.rate_limiter.check(client):
            return False  # the full path checks again and answers the 429
        self.cache.early += 1
        metrics = self.metrics
        self._child(metrics.cache, outcome).inc()
        self._child(metrics.query_seconds, alias.form or "unknown").observe(time.monotonic() - started)
        method = scope["method"]
        log_query(
            query=alias.query, form=alias.form, method=method, client=client, status=status, rows=rows, started=started
        )
        sent = 500
        try:
            await send({"type": "http.response.start", "status": status, "headers": list(headers)})
            sent = status
            await send({"type": "http.response.body", "body": body})
        finally:
            self._child(metrics.requests, alias.route, method, str(sent)).inc()
        return True

    def _child(self, metric: MetricWrapperBase, *values: str) -> Any:
        """``metric.labels(*values)``, looked up once (``labels`` validates and takes a lock on every call)."""
        key = (id(metric), values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    async def _learn(
        self, alias_key: tuple[object, ...], size: int, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Hand the request to the app; remember its response start if the full path answered from the cache."""
        seen = Seen()
        scope[SEEN] = seen
        start: list[Message] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append({**message, "headers": list(message.get("headers", []))})
            await send(message)

        await self.app(scope, receive, capture)
        if seen.outcome is None or not start:
            return
        status, headers = start[0]["status"], start[0]["headers"]
        if (seen.outcome, status) not in (("hit", 200), ("not_modified", 304)):
            return
        known = self.cache.peek(alias_key)
        route = getattr(scope.get("route"), "path", "unmatched")
        size += len(seen.query) * 2  # the bytes of the alias key above, and the query text (if not shared)
        alias = known if isinstance(known, _Alias) and known.key == seen.key else _Alias(seen, route, size)
        if seen.outcome == "hit":
            assert seen.answer is not None
            answer = seen.answer
            if (b"content-length", str(len(answer.body)).encode()) not in headers:
                return  # a middleware inside this one changed the body (compression?): it cannot be replayed
            alias.hit = (headers, len(answer.body), answer.rows, answer.media_type)
        else:
            alias.not_modified = headers
        alias.size = size + sum(len(k) + len(v) for k, v in (alias.hit[0] if alias.hit else ()))
        alias.size += sum(len(k) + len(v) for k, v in alias.not_modified or ())
        self.cache.put(alias_key, alias, alias.size)
