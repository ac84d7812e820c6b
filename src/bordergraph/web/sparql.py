"""The SPARQL 1.1 Protocol router: queries and the read-only Graph Store Protocol, and the service description.

Every query is checked by ``guard``, rate-limited, negotiated (``conneg``) and evaluated with Oxigraph
in crash-isolated worker processes (``worker`` → ``answer``). While it waits for a worker or runs, the
connection is watched: a client that goes away (a closed connection) has its query dropped, and the
worker evaluating it is killed and replaced, as at the timeout. A request without a query gets the
service description, or the query editor page when a browser asks for HTML.

rdflib-endpoint was the base class once; its query handler is a closure that evaluates with rdflib,
so every route it registered had to be deleted. It is gone: ``docs/design.md`` says what replaced
each of its parts (this router, ``service.service_description``, and ``ui.render_yasgui``).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import Receive

from bordergraph.builddir import BuildDir, Inputs, publish, write_store
from bordergraph.paths import Paths
from bordergraph.querystore import QueryStore
from bordergraph.version import __version__
from bordergraph.web.answer import Answer, Job, QueryCancelledError
from bordergraph.web.backend import Backend
from bordergraph.web.cache import AnswerCache, etag, not_modified
from bordergraph.web.conneg import (
    ALIASES,
    GRAPH_ANSWERS,
    GRAPH_FORMATS,
    HTML,
    PROPERTY_GRAPH_FORMAT_NAMES,
    RESULT_FORMATS,
    SD_FORMATS,
    negotiate,
)
from bordergraph.web.errors import error, without_body
from bordergraph.web.fastpath import SEEN, CachedAnswers, Seen
from bordergraph.web.guard import QueryRejectedError, inspect
from bordergraph.web.metrics import Metrics, log_query
from bordergraph.web.ratelimit import RateLimiter
from bordergraph.web.reason import HEADER as REASON_HEADER
from bordergraph.web.service import DESCRIPTION, TITLE, at_endpoint, service_description
from bordergraph.web.settings import Settings
from bordergraph.web.syntax import explain
from bordergraph.web.ui import SPARQL_PATH, render_yasgui
from bordergraph.web.worker import (
    ClientBusyError,
    NoWorkerError,
    QueryQuarantinedError,
    QueryTimeoutError,
    WorkerDiedError,
    WorkerPool,
)

log = logging.getLogger("bordergraph.web.sparql")

ALLOW = "GET, POST, HEAD, OPTIONS"
#: Headers a browser client may read on a cross-origin answer.
EXPOSED_HEADERS = [
    "Retry-After",
    "X-Bordergraph-Row-Cap",
    "X-Bordergraph-Rows",
    "X-Bordergraph-Cache",
    "ETag",
    REASON_HEADER,
]
#: What the manifest says of a build written from a store given in memory (validated by the caller).
IN_MEMORY = {"ok": True, "note": "written at start-up from a store the caller validated (Python API or tests)"}
#: The default graph's name in rdflib's Dataset (``rdflib.graph.DATASET_DEFAULT_GRAPH_ID``).
RDFLIB_DEFAULT_GRAPH = "urn:x-rdflib:default"
#: How web.answer starts the message of a query Oxigraph cannot parse.
SYNTAX_ERROR = "query syntax error: "
#: The status logged and counted for a query whose client went away ("client closed request", as nginx
#: logs it); the client is not there to receive it.
CLIENT_GONE = 499


async def until_disconnected(receive: Receive) -> None:
    """Return once the client has closed the connection (the ASGI ``http.disconnect`` message).

    Called once the request body has been read (POST) or when there is none (GET): uvicorn's next
    message is then ``http.disconnect``, sent when the connection closes, or when the response is
    complete (this watch is stopped before that). Waiting in ``receive`` also makes uvicorn read the
    socket again, which is how it notices the close. Starlette's ``StreamingResponse`` listens the same
    way (``listen_for_disconnect``); it does not for a plain response, hence this watch.
    A server whose ``receive`` fails is not taken to mean the client left: the query then runs on.
    """
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    except Exception:
        log.exception("cannot watch the client's connection: the query runs to its end")
        await asyncio.get_running_loop().create_future()  # never done: only the caller's cancel ends this


class _Answered(Response):
    """A 200 answer from a worker or the cache; it keeps the ``Answer`` so that it can be cached."""

    def __init__(self, job: Job, answer: Answer, headers: dict[str, str]) -> None:
        headers = {**headers, "Vary": "Accept", "X-Bordergraph-Row-Cap": str(job.row_cap)}
        headers["X-Bordergraph-Rows"] = str(answer.rows)
        super().__init__(answer.body, media_type=answer.media_type, headers=headers)
        self.answer = answer


def _copy_store(store: QueryStore, folder: Path) -> dict[str, Any]:
    return write_store(folder, quads=store.store.quads_for_pattern(None, None, None, None))


class SparqlRouter(APIRouter):
    """The SPARQL 1.1 Protocol (query, read-only Graph Store), answered by Oxigraph workers or a backend store.

    Also serves ``/healthz`` and ``/metrics``. Call ``install(app)`` once it is included: CORS
    and the request counter are app middleware. Start the workers' wait with ``wait_for_workers``
    and stop them with ``close`` (``create_app``'s lifespan does both).
    """

    def __init__(self, store: QueryStore, paths: Paths, settings: Settings, build: BuildDir | None = None) -> None:
        super().__init__()
        self.store = store
        self.paths = paths
        self.settings = settings
        self.title = TITLE
        self.description = DESCRIPTION
        self.metrics = Metrics()
        self.rate_limiter = RateLimiter(settings.rate, settings.burst)
        self._workdir = Path(tempfile.mkdtemp(prefix="bordergraph-"))
        if build is None:  # a store in memory (tests, the Python API): write it where the workers can open it
            build = publish(self._workdir / "builds", Inputs(self._workdir, ()), partial(_copy_store, store), IN_MEMORY)
        self.build = build
        self._held = build.hold()  # older builds are pruned unless a server still holds them
        self.graph_sizes = build.graph_sizes  # counted when the build was written: no scan at start-up
        self.default_size = build.default_size
        self.cache = AnswerCache(settings.cache_bytes)
        self.triples = sum(self.graph_sizes.values())
        self.service_description = service_description(
            settings.public_url or "http://127.0.0.1:8000/sparql",
            self.default_size,
            self.graph_sizes,
            federation=bool(settings.service_allow),
        )
        self._sd_cache: dict[tuple[str, str], bytes] = {}
        for path in (SPARQL_PATH, SPARQL_PATH + "/"):
            shown = path == SPARQL_PATH
            self.add_api_route(path, self.sparql_get, methods=["GET"], include_in_schema=shown)
            self.add_api_route(path, self.sparql_post, methods=["POST"], include_in_schema=shown)
            self.add_api_route(path, self.sparql_options, methods=["OPTIONS"], include_in_schema=False)
            self.add_api_route(path, self.sparql_write, methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
        self.add_api_route("/healthz", self.healthz, methods=["GET"], tags=["operations"])
        self.add_api_route("/metrics", self.render_metrics, methods=["GET"], tags=["operations"])
        #: With --backend a remote store evaluates the queries: no local workers (an empty pool).
        self.backend = Backend(settings) if settings.backend else None
        self.pool = WorkerPool(
            build.store_path,
            settings.concurrency if self.backend is None else 0,
            quarantine=settings.crash_quarantine,
            per_client=settings.client_concurrency or None,
            client_queue=settings.client_queue,
        )
        self._inflight = 0

    # -- life cycle ------------------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        """Open CORS for reads (public endpoints are queried from browsers), count requests, and add the fast path.

        The fast path (``fastpath.CachedAnswers``) answers a repeated query before the framework.
        """
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=86400,
        )
        self.metrics.install(app)
        if self.backend is None:  # added last, so outermost (backend answers are never cached)
            app.add_middleware(
                CachedAnswers,
                cache=self.cache,
                metrics=self.metrics,
                rate_limiter=self.rate_limiter,
                body_cap=self.settings.body_cap,
                paths=(SPARQL_PATH, SPARQL_PATH + "/"),
            )

    async def wait_for_workers(self) -> None:
        """Wait (off the event loop) until every query worker has loaded the dataset."""
        await anyio.to_thread.run_sync(self.pool.wait_ready)

    @property
    def workdir(self) -> Path:
        """A scratch folder removed by ``close`` (a search index made at start-up is built there)."""
        return self._workdir

    def close(self) -> None:
        """Stop the workers (or close the backend's connections), and remove the scratch folder."""
        self.pool.close()
        if self.backend is not None:
            self.backend.close()
        self._held.close()
        shutil.rmtree(self._workdir, ignore_errors=True)

    # -- routes ----------------------------------------------------------------------------

    async def sparql_get(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol query via GET (HEAD answers the same without a body)."""
        if len(request.url.query.encode()) > self.settings.body_cap:
            self.metrics.rejections.labels("too_large").inc()
            return error(413, f"the query string is over {self.settings.body_cap} bytes: shorten the query")
        response = await self._dispatch(request, list(request.query_params.multi_items()))
        return without_body(response) if request.method == "HEAD" else response

    async def sparql_post(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol query via POST: URL-encoded form, or the query as the body."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.body_cap:
            self.metrics.rejections.labels("too_large").inc()
            return error(413, f"the request body is over {self.settings.body_cap} bytes: shorten the query")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > self.settings.body_cap:
                self.metrics.rejections.labels("too_large").inc()
                return error(413, f"the request body is over {self.settings.body_cap} bytes: shorten the query")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return error(400, "the request body is not UTF-8: encode the query as UTF-8")
        params = list(request.query_params.multi_items())
        if content_type == "application/sparql-query":
            params.append(("query", body))
        elif content_type == "application/sparql-update":
            params.append(("update", body))
        elif content_type == "application/x-www-form-urlencoded":
            params.extend(parse_qsl(body, keep_blank_values=True))
        elif raw or not params:
            return error(  # the issue and the W3C tests ask for a 4xx; 400, as for every malformed request
                400,
                f"unsupported content type {content_type or '(none)'}: send the query as "
                "application/x-www-form-urlencoded (query=...) or as application/sparql-query",
            )
        return await self._dispatch(request, params)

    async def sparql_options(self) -> Response:
        """OPTIONS without CORS preflight headers (preflights are answered by the CORS middleware)."""
        return Response(status_code=204, headers={"Allow": ALLOW})

    async def sparql_write(self) -> Response:
        """Graph Store Protocol writes (PUT, DELETE, PATCH): the service is read-only."""
        return error(405, f"this endpoint is read-only: query it with GET or POST ({ALLOW})", {"Allow": ALLOW})

    async def healthz(self) -> Response:
        """Liveness: the process answers; plus the dataset's size and version, and the workers."""
        if self.backend is not None:
            return await self._backend_health()
        ready = self.pool.ready
        self.metrics.workers_ready.set(ready)
        body = {
            "status": "ok" if ready or self._inflight else "starting",
            "version": __version__,
            "build": self.build.id,
            "triples": self.triples,
            "graphs": len(self.graph_sizes),
            "workers": {
                "ready": ready,
                "busy": min(self._inflight, self.settings.concurrency),
                "size": self.settings.concurrency,
            },
        }
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    async def _backend_health(self) -> Response:
        """With --backend: ok when the store answers a query completely; 503 naming the store otherwise."""
        assert self.backend is not None
        problem = await self.backend.health()
        body = {
            "status": "ok" if problem is None else "backend unavailable",
            "version": __version__,
            "triples": self.triples,
            "graphs": len(self.graph_sizes),
            "backend": {
                "url": self.backend.url,
                "kind": self.backend.kind,
                "status": "ok" if problem is None else "down",
                **({"problem": problem} if problem else {}),
            },
            "queries": {"running": self._inflight, "concurrency": self.settings.concurrency},
        }
        return JSONResponse(body, status_code=200 if problem is None else 503)

    async def render_metrics(self) -> Response:
        """Prometheus text format."""
        self.metrics.workers_ready.set(self.pool.ready)
        self.metrics.workers_started.set(self.pool.started)
        return self.metrics.render()

    # -- the protocol ----------------------------------------------------------------------

    async def _dispatch(self, request: Request, params: list[tuple[str, str]]) -> Response:
        queries = [v for k, v in params if k == "query"]
        updates = [v for k, v in params if k == "update"]
        if queries and updates:
            return error(400, "send either query or update, not both")
        if updates:
            self.metrics.rejections.labels("update").inc()
            return error(
                403, "this endpoint is read-only: SPARQL Update (update=, application/sparql-update) is not accepted"
            )
        if len(queries) > 1:
            return error(400, f"send exactly one query parameter (got {len(queries)})")
        graphs = [v for k, v in params if k == "graph"]
        wants_default = any(k == "default" for k, _ in params)
        if not queries and (graphs or wants_default):
            if request.method == "POST":
                return error(
                    405,
                    "this endpoint is read-only: the Graph Store Protocol is served by GET only",
                    {"Allow": "GET, HEAD"},
                )
            return await self._graph_store(request, graphs, wants_default)
        if not queries:
            return self._describe_service(request)
        client = request.client.host if request.client else "?"
        wait = self.rate_limiter.check(client)
        if wait:
            self.metrics.rejections.labels("rate").inc()
            return error(
                429,
                f"too many queries from {client}: at most {self.settings.rate:g} per minute "
                f"(bursts of {self.settings.burst}); retry later",
                {"Retry-After": self.rate_limiter.retry_after(wait)},
            )
        query = queries[0]
        if not query.strip():
            return error(400, "the query parameter is empty: send a SPARQL query")
        if len(query.encode("utf-8")) > self.settings.body_cap:
            self.metrics.rejections.labels("too_large").inc()
            return error(413, f"the query is over {self.settings.body_cap} bytes: shorten it")
        # rdflib's Dataset(store=SPARQLStore(url)) names its default graph urn:x-rdflib:default:
        # that is this service's default graph (the union of the sources), so it means "no dataset given".
        default_graph = tuple(v for k, v in params if k == "default-graph-uri" and v != RDFLIB_DEFAULT_GRAPH)
        named_graphs = tuple(v for k, v in params if k == "named-graph-uri")
        dataset_given = bool(default_graph or named_graphs)
        # `format` picks a property-graph rendering of a CONSTRUCT/DESCRIBE answer. Other values
        # (SPARQLWrapper sends format=json for Virtuoso) are hints for other servers: Accept governs.
        formats = [v.lower() for k, v in params if k == "format" and v.lower() in PROPERTY_GRAPH_FORMAT_NAMES]
        return await self._query(
            request,
            query,
            default_graph if dataset_given else None,
            named_graphs if dataset_given else None,
            PROPERTY_GRAPH_FORMAT_NAMES[formats[-1]] if formats else None,
        )

    async def _query(
        self,
        request: Request,
        query: str,
        default_graph: tuple[str, ...] | None,
        named_graphs: tuple[str, ...] | None,
        property_graph: str | None = None,
    ) -> Response:
        started = time.monotonic()
        client = request.client.host if request.client else "?"
        form: str | None = None
        status, rows = 500, 0
        # Relative IRIs in the query resolve against the endpoint's URL (the W3C protocol tests send
        # `CONSTRUCT { <s> <p> 1 } WHERE {}`); behind a proxy, --public-url says what that URL is.
        base_iri = self.settings.public_url or str(request.url.replace(query=None, fragment=None))
        try:
            try:
                settings = self.settings
                info = inspect(query, settings.max_depth, settings.service_allow, settings.guard_margin, base_iri)
            except QueryRejectedError as exc:
                self.metrics.rejections.labels("guard").inc()
                status = exc.status
                return error(exc.status, exc.message)
            form = info.form
            if default_graph is None and len(set(info.from_graphs)) > 1:
                # Several FROM graphs: evaluate them as the protocol's dataset, whose default graph is
                # their RDF merge (see QueryStore._merged); the protocol and FROM name the same dataset.
                default_graph, named_graphs = info.from_graphs, info.from_named
            graph_form = form in ("CONSTRUCT", "DESCRIBE")
            if property_graph and not graph_form:
                status = 400
                return error(400, "format=graphml, gexf or cytoscape applies to CONSTRUCT and DESCRIBE queries only")
            offered = GRAPH_ANSWERS if graph_form else list(RESULT_FORMATS)
            accept = request.headers.get("accept")
            media = property_graph or negotiate(accept, offered)
            if media is None:
                status = 406
                canonical = [m for m in offered if m not in ALIASES]
                return error(406, f"cannot answer a {form or 'query'} in {accept}; offered: {', '.join(canonical)}")
            job = Job(query, default_graph, named_graphs, media, self.settings.row_cap, base_iri)
            response = await self._answer(request, job, client, form)
            status = response.status_code
            rows = int(response.headers.get("x-bordergraph-rows", 0))
            return response
        finally:
            self.metrics.query_seconds.labels(form or "unknown").observe(time.monotonic() - started)
            log_query(
                query=query, form=form, method=request.method, client=client, status=status, rows=rows, started=started
            )

    async def _answer(self, request: Request, job: Job, client: str, form: str | None = None) -> Response:
        """An answer from the HTTP caches when the request allows it, else from a worker.

        The ETag is known before evaluation (build id + request), so ``If-None-Match`` is answered
        304 without a worker, and a repeated query is answered from the in-process cache. Either is
        told to the fast path (``fastpath.CachedAnswers``), which answers the same request next time.
        """
        if self.backend is not None:
            # Not cached: the ETag names the front end's build, and the store can be republished under it.
            return await self._evaluate(request, job, client)
        key = (job.query, job.default_graph, job.named_graphs, job.media_type, job.row_cap, job.base_iri)
        tag = etag(self.build.id, key)
        cache_headers = {
            "ETag": tag,
            "Cache-Control": f"public, max-age={self.settings.cache_max_age}",
            "Vary": "Accept",
        }
        seen: Seen | None = request.scope.get(SEEN)
        if not_modified(request.headers.get("if-none-match"), tag):
            self.metrics.cache.labels("not_modified").inc()
            if seen is not None:
                seen.record("not_modified", key, tag, form, job.query, None)
            return Response(status_code=304, headers=cache_headers)
        kept = self.cache.get(key)
        if isinstance(kept, Answer):
            self.metrics.cache.labels("hit").inc()
            if seen is not None:
                seen.record("hit", key, tag, form, job.query, kept)
            return _Answered(job, kept, {**cache_headers, "X-Bordergraph-Cache": "hit"})
        self.metrics.cache.labels("miss").inc()
        response = await self._evaluate(request, job, client)
        if isinstance(response, _Answered):
            self.cache.put(key, response.answer, len(response.answer.body))
            response.headers.update({**cache_headers, "X-Bordergraph-Cache": "miss"})
        return response

    async def _evaluate(self, request: Request, job: Job, client: str) -> Response:
        """Evaluate on the backend store or a worker; the query is dropped if the client goes away."""
        settings = self.settings
        if self._inflight >= settings.concurrency + settings.queue:
            self.metrics.rejections.labels("saturated").inc()
            return error(
                503,
                "the endpoint is busy: every query worker is taken and the queue is full; retry shortly",
                {"Retry-After": "1"},
            )
        self._inflight += 1
        gone = asyncio.ensure_future(until_disconnected(request.receive))
        try:
            if self.backend is not None:
                answer = await self.backend.run(job, gone)
                if answer.status == 504:
                    self.metrics.timeouts.inc()
            else:
                answer = await self.pool.run(job, settings.timeout, settings.timeout, client, gone)
        except QueryCancelledError as exc:
            self.metrics.cancellations.labels("running" if exc.running else "waiting").inc()
            return error(CLIENT_GONE, "the client closed the connection before the answer: the query was stopped")
        except QueryQuarantinedError as exc:
            self.metrics.rejections.labels("quarantined").inc()
            return error(
                422,
                "this query crashed the query engine a moment ago, so it is refused for "
                f"{max(1, round(exc.remaining))} s more: simplify it (less nesting, shorter expressions, "
                "fewer patterns) rather than sending it again",
            )
        except ClientBusyError:
            self.metrics.rejections.labels("client_busy").inc()
            return error(
                429,
                f"too many queries at once from {client}: {self.pool.held_by(client)} running and "
                f"{settings.client_queue} waiting is the most one client may have; wait for answers "
                "before sending more",
                {"Retry-After": str(max(1, round(settings.timeout / 2)))},
            )
        except NoWorkerError:
            self.metrics.rejections.labels("saturated").inc()
            return error(
                503,
                "the endpoint is busy: no query worker became free in time; retry shortly",
                {"Retry-After": str(max(1, round(settings.timeout)))},
            )
        except QueryTimeoutError:
            self.metrics.timeouts.inc()
            return error(
                504,
                f"the query ran longer than {settings.timeout:g} s and was stopped: make it more "
                "selective (fewer unbound patterns, a LIMIT)",
            )
        except WorkerDiedError:
            self.metrics.worker_deaths.inc()
            return error(
                500,
                "the query engine crashed on this query and was restarted; simplify the query "
                "(less nesting, shorter expressions)",
            )
        finally:
            self._inflight -= 1
            gone.cancel()
        headers = {"Vary": "Accept", "X-Bordergraph-Row-Cap": str(job.row_cap)}
        if answer.status != 200:
            if answer.status == 422:
                self.metrics.rejections.labels("row_cap").inc()
            if answer.status == 400 and answer.message.startswith(SYNTAX_ERROR):
                problem = explain(job.query, answer.message[len(SYNTAX_ERROR) :])
                return error(400, problem.message, headers, problem.as_json())
            return error(answer.status, answer.message, headers)
        return _Answered(job, answer, headers)

    async def _graph_store(self, request: Request, graphs: list[str], wants_default: bool) -> Response:
        """Graph Store Protocol, read side: ``?graph=IRI`` or ``?default`` in the negotiated RDF format."""
        if len(graphs) + wants_default != 1:
            return error(400, "name one graph: ?graph=IRI or ?default")
        iri = graphs[0] if graphs else None
        if iri is not None and iri not in self.graph_sizes:
            return error(404, f"no graph <{iri}> in this dataset; its graphs are: {', '.join(self.graph_sizes)}")
        accept = request.headers.get("accept")
        media = negotiate(accept, list(GRAPH_FORMATS))
        if media is None:
            return error(406, f"cannot send a graph as {accept}; offered: {', '.join(list(GRAPH_FORMATS)[:6])}")
        body = await anyio.to_thread.run_sync(self.store.serialize_graph, iri, GRAPH_FORMATS[media])
        response = Response(body, media_type=media, headers={"Vary": "Accept"})
        return without_body(response) if request.method == "HEAD" else response

    # -- service description ---------------------------------------------------------------

    def serve_yasgui(self) -> Response:
        """The query UI: vendored YASGUI (no CDN), example tabs, the project prefixes."""
        return render_yasgui(self.paths, self.title, self.description, self.settings.service_allow)

    def _describe_service(self, request: Request) -> Response:
        """The service description, at the endpoint URL; a browser asking for HTML gets the query UI."""
        accept = request.headers.get("accept")
        media = negotiate(accept, [*SD_FORMATS, HTML])
        if media == HTML:
            return self.serve_yasgui()
        if media is None:
            return error(406, f"cannot describe the service in {accept}; offered: {', '.join(SD_FORMATS)}, {HTML}")
        endpoint = self.settings.public_url or str(request.url.replace(query=None, fragment=None))
        key = (endpoint, media)
        if key not in self._sd_cache:
            described = at_endpoint(self.service_description, endpoint)
            if len(self._sd_cache) > 64:
                self._sd_cache.clear()
            self._sd_cache[key] = described.serialize(format=SD_FORMATS[media], encoding="utf-8")
        response = Response(self._sd_cache[key], media_type=media, headers={"Vary": "Accept"})
        return without_body(response) if request.method == "HEAD" else response
