"""Prometheus metrics and the per-query access log, kept per app (tests run several apps in one process)."""

from __future__ import annotations

import hashlib
import json
import logging
import time

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("bordergraph.access")


class Metrics:
    """The service's counters, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bordergraph_http_requests",
            "HTTP requests by route and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.query_seconds = Histogram(
            "bordergraph_query_seconds",
            "Time to answer a SPARQL query, queueing included.",
            ["form"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.timeouts = Counter("bordergraph_query_timeouts", "Queries stopped at the timeout.", registry=self.registry)
        self.rejections = Counter(
            "bordergraph_rejections",
            "Requests refused before evaluation, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.cancellations = Counter(
            "bordergraph_query_cancellations",
            "Queries whose client closed the connection before the answer, by stage: waiting for a worker "
            "(or a backend slot), or running (its worker was killed and replaced, or its request to the "
            "backend store was closed).",
            ["stage"],
            registry=self.registry,
        )
        for stage in ("waiting", "running"):
            self.cancellations.labels(stage)
        self.worker_deaths = Counter(
            "bordergraph_worker_deaths", "Query workers that died while evaluating.", registry=self.registry
        )
        self.cache = Counter(
            "bordergraph_answer_cache",
            "Queries answered from the in-process cache (hit), by a worker (miss), or 304 (not_modified).",
            ["outcome"],
            registry=self.registry,
        )
        self.workers_ready = Gauge(
            "bordergraph_workers_ready", "Query workers waiting for work.", registry=self.registry
        )
        self.workers_started = Gauge(
            "bordergraph_workers_started",
            "Query workers started since the server started, replacements included.",
            registry=self.registry,
        )

    def render(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def install(self, app: FastAPI) -> None:
        app.add_middleware(_CountRequests, metrics=self)


class _CountRequests:
    """Count every request by its route template (not its URL, which would explode the labels).

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware would add a task per request.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()


def log_query(
    *, query: str, form: str | None, method: str, client: str, status: int, rows: int, started: float
) -> None:
    """One structured line per query: enough to find it again and see what it cost, not the text."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    access_log.info(
        json.dumps(
            {
                "query_sha256": hashlib.sha256(query.encode("utf-8")).hexdigest()[:16],
                "form": form or "?",
                "method": method,
                "client": client,
                "status": status,
                "rows": rows,
                "ms": round((time.monotonic() - started) * 1000, 1),
            },
            separators=(",", ":"),
        )
    )
