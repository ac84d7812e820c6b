"""The web service: ``create_app(built)`` → a FastAPI app serving the validated dataset over SPARQL.

rdflib-endpoint stays the front door (its YASGUI page with example tabs and its service
description scaffolding). Its query handler cannot be reused: it is a closure inside
``SparqlRouter.__init__`` that always prepares queries with rdflib, ignores ``default-graph-uri``
and ``named-graph-uri``, has no TSV, never answers 406 or HEAD. So ``BordergraphRouter`` removes
exactly those routes after the parent has built them and answers the SPARQL 1.1 Protocol itself,
evaluating every query with Oxigraph in crash-isolated worker processes (``bordergraph.worker``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from rdflib import RDF, BNode, Dataset, Literal, URIRef
from rdflib_endpoint import SparqlRouter
from rdflib_endpoint.utils import FORMATS, SD
from starlette.routing import BaseRoute

from bordergraph import __version__
from bordergraph.build import Built
from bordergraph.export import PROPERTY_GRAPH_FORMAT_NAMES, PROPERTY_GRAPH_FORMATS
from bordergraph.guard import QueryRejectedError, inspect
from bordergraph.limits import RateLimiter
from bordergraph.metrics import Metrics, log_query
from bordergraph.queries import example_queries
from bordergraph.querystore import GRAPH_FORMATS, RESULT_FORMATS
from bordergraph.reconcile import reconcile_router
from bordergraph.settings import Settings
from bordergraph.worker import Job, NoWorkerError, QueryTimeoutError, WorkerDiedError, WorkerPool

log = logging.getLogger("bordergraph.app")

SPARQL_PATH = "/sparql"
VOID_TRIPLES = URIRef("http://rdfs.org/ns/void#triples")
SD_FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
HTML = "text/html"
ALLOW = "GET, POST, HEAD, OPTIONS"
#: Headers a browser client may read on a cross-origin answer.
EXPOSED_HEADERS = ["Retry-After", "X-Bordergraph-Row-Cap", "X-Bordergraph-Rows"]


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """Pick the offered media type the Accept header prefers, or None when nothing is acceptable.

    RFC 9110 §12.5.1: each offered type takes the q-value of the most specific range that matches
    it (``text/csv;q=0`` excludes CSV even when ``*/*`` is present); the highest q wins and ties
    go to the server's order. No header, or an empty one, means the first offered type. Written by
    hand because no maintained library does this matching (Starlette and FastAPI do not negotiate).
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
                break
        ranges[media] = max(q, ranges.get(media, 0.0)) if media in ranges else q
    best: tuple[float, int, str] | None = None
    for index, media_type in enumerate(offered):
        major = media_type.split("/")[0]
        q = next((ranges[r] for r in (media_type, f"{major}/*", "*/*") if r in ranges), 0.0)
        if q > 0 and (best is None or (q, -index) > best[:2]):
            best = (q, -index, media_type)
    return best[2] if best else None


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Every error: JSON with a message saying what to do (details go to the server log)."""
    return JSONResponse(status_code=status, content={"message": message}, headers=headers)


def _without_body(response: Response) -> Response:
    """HEAD: the same status and headers as GET, Content-Length included, and no body."""
    return Response(status_code=response.status_code, headers=dict(response.headers))


class BordergraphRouter(SparqlRouter):
    """rdflib-endpoint's router, with its SPARQL routes answered by Oxigraph workers.

    Also serves ``/healthz`` and ``/metrics``. Call ``install(app)`` once it is included: CORS
    and the request counter are app middleware.
    """

    def __init__(self, built: Built, settings: Settings, **kwargs: Any) -> None:
        self.built = built
        self.settings = settings
        self.metrics = Metrics()
        self.rate_limiter = RateLimiter(settings.rate, settings.burst)
        self.graph_sizes = built.store.graph_sizes()
        self.default_size = built.store.default_size
        self.triples = sum(self.graph_sizes.values())
        # rdflib-endpoint lists named graphs by querying its rdflib graph with rdflib; give it an
        # empty union dataset (so it declares sd:UnionDefaultGraph) and list them from Oxigraph.
        super().__init__(
            path=SPARQL_PATH,
            graph=Dataset(default_union=True),
            title="bordergraph SPARQL endpoint",
            description="Canada–United States border-security cooperation, from public press releases, with a "
            "verbatim quote for every fact. Read-only.",
            version=__version__,
            public_url=settings.public_url or "http://127.0.0.1:8000/sparql",
            example_queries=example_queries(built.loaded.paths),  # type: ignore[arg-type]
            enable_update=False,
            **kwargs,
        )
        self._complete_service_description()
        self._sd_cache: dict[tuple[str, str], bytes] = {}
        replaced = {SPARQL_PATH, SPARQL_PATH + "/"}
        kept: list[BaseRoute] = [r for r in self.routes if getattr(r, "path", None) not in replaced]
        self.routes[:] = kept
        for path in sorted(replaced):
            shown = path == SPARQL_PATH
            self.add_api_route(path, self.sparql_get, methods=["GET", "HEAD"], include_in_schema=shown)
            self.add_api_route(path, self.sparql_post, methods=["POST"], include_in_schema=shown)
            self.add_api_route(path, self.sparql_options, methods=["OPTIONS"], include_in_schema=False)
            self.add_api_route(path, self.sparql_write, methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
        self.add_api_route("/healthz", self.healthz, methods=["GET", "HEAD"], tags=["operations"])
        self.add_api_route("/metrics", self.render_metrics, methods=["GET"], tags=["operations"])
        self._workdir = Path(tempfile.mkdtemp(prefix="bordergraph-"))
        nquads = self._workdir / "dataset.nq"
        built.store.dump(nquads)
        self.pool = WorkerPool(nquads, settings.concurrency)
        self._inflight = 0
        self.on_startup.append(self._wait_for_workers)
        self.on_shutdown.append(self.close)

    # -- life cycle ------------------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        """Open CORS for reads (public endpoints are queried from browsers) and count requests."""
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=86400,
        )
        self.metrics.install(app)

    async def _wait_for_workers(self) -> None:
        await anyio.to_thread.run_sync(self.pool.wait_ready)

    def close(self) -> None:
        """Stop the workers and remove their copy of the dataset."""
        self.pool.close()
        shutil.rmtree(self._workdir, ignore_errors=True)

    # -- routes ----------------------------------------------------------------------------

    async def sparql_get(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol query via GET (HEAD answers the same without a body)."""
        if len(request.url.query.encode()) > self.settings.body_cap:
            self.metrics.rejections.labels("too_large").inc()
            return _error(413, f"the query string is over {self.settings.body_cap} bytes: shorten the query")
        response = await self._dispatch(request, list(request.query_params.multi_items()))
        return _without_body(response) if request.method == "HEAD" else response

    async def sparql_post(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol query via POST: URL-encoded form, or the query as the body."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.body_cap:
            self.metrics.rejections.labels("too_large").inc()
            return _error(413, f"the request body is over {self.settings.body_cap} bytes: shorten the query")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > self.settings.body_cap:
                self.metrics.rejections.labels("too_large").inc()
                return _error(413, f"the request body is over {self.settings.body_cap} bytes: shorten the query")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _error(400, "the request body is not UTF-8: encode the query as UTF-8")
        params = list(request.query_params.multi_items())
        if content_type == "application/sparql-query":
            params.append(("query", body))
        elif content_type == "application/sparql-update":
            params.append(("update", body))
        elif content_type == "application/x-www-form-urlencoded":
            params.extend(parse_qsl(body, keep_blank_values=True))
        elif raw or not params:
            return _error(  # the issue and the W3C tests ask for a 4xx; 400, as for every malformed request
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
        return _error(405, f"this endpoint is read-only: query it with GET or POST ({ALLOW})", {"Allow": ALLOW})

    async def healthz(self) -> Response:
        """Liveness: the process answers; plus the dataset's size and version, and the workers."""
        ready = self.pool.ready
        self.metrics.workers_ready.set(ready)
        body = {
            "status": "ok" if ready or self._inflight else "starting",
            "version": __version__,
            "triples": self.triples,
            "graphs": len(self.graph_sizes),
            "workers": {
                "ready": ready,
                "busy": min(self._inflight, self.settings.concurrency),
                "size": self.settings.concurrency,
            },
        }
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    async def render_metrics(self) -> Response:
        """Prometheus text format."""
        self.metrics.workers_ready.set(self.pool.ready)
        return self.metrics.render()

    # -- the protocol ----------------------------------------------------------------------

    async def _dispatch(self, request: Request, params: list[tuple[str, str]]) -> Response:
        queries = [v for k, v in params if k == "query"]
        updates = [v for k, v in params if k == "update"]
        if queries and updates:
            return _error(400, "send either query or update, not both")
        if updates:
            self.metrics.rejections.labels("update").inc()
            return _error(
                403, "this endpoint is read-only: SPARQL Update (update=, application/sparql-update) is not accepted"
            )
        if len(queries) > 1:
            return _error(400, f"send exactly one query parameter (got {len(queries)})")
        graphs = [v for k, v in params if k == "graph"]
        wants_default = any(k == "default" for k, _ in params)
        if not queries and (graphs or wants_default):
            if request.method == "POST":
                return _error(
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
            return _error(
                429,
                f"too many queries from {client}: at most {self.settings.rate:g} per minute "
                f"(bursts of {self.settings.burst}); retry later",
                {"Retry-After": self.rate_limiter.retry_after(wait)},
            )
        query = queries[0]
        if not query.strip():
            return _error(400, "the query parameter is empty: send a SPARQL query")
        if len(query.encode("utf-8")) > self.settings.body_cap:
            self.metrics.rejections.labels("too_large").inc()
            return _error(413, f"the query is over {self.settings.body_cap} bytes: shorten it")
        default_graph = tuple(v for k, v in params if k == "default-graph-uri")
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
        try:
            try:
                info = inspect(query, self.settings.max_depth, self.settings.service_allow)
            except QueryRejectedError as exc:
                self.metrics.rejections.labels("guard").inc()
                status = exc.status
                return _error(exc.status, exc.message)
            form = info.form
            if default_graph is None and len(set(info.from_graphs)) > 1:
                # Several FROM graphs: evaluate them as the protocol's dataset, whose default graph is
                # their RDF merge (see QueryStore._merged); the protocol and FROM name the same dataset.
                default_graph, named_graphs = info.from_graphs, info.from_named
            graph_form = form in ("CONSTRUCT", "DESCRIBE")
            if property_graph and not graph_form:
                status = 400
                return _error(400, "format=graphml, gexf or cytoscape applies to CONSTRUCT and DESCRIBE queries only")
            offered = [*GRAPH_FORMATS, *PROPERTY_GRAPH_FORMATS] if graph_form else list(RESULT_FORMATS)
            accept = request.headers.get("accept")
            media = property_graph or negotiate(accept, offered)
            if media is None:
                status = 406
                canonical = [
                    m
                    for m in offered
                    if m
                    not in ("application/json", "application/xml", "text/xml", "text/plain", "application/x-turtle")
                ]
                return _error(406, f"cannot answer a {form or 'query'} in {accept}; offered: {', '.join(canonical)}")
            response = await self._evaluate(Job(query, default_graph, named_graphs, media, self.settings.row_cap))
            status = response.status_code
            rows = int(response.headers.get("x-bordergraph-rows", 0))
            return response
        finally:
            self.metrics.query_seconds.labels(form or "unknown").observe(time.monotonic() - started)
            log_query(
                query=query, form=form, method=request.method, client=client, status=status, rows=rows, started=started
            )

    async def _evaluate(self, job: Job) -> Response:
        settings = self.settings
        if self._inflight >= settings.concurrency + settings.queue:
            self.metrics.rejections.labels("saturated").inc()
            return _error(
                503,
                "the endpoint is busy: every query worker is taken and the queue is full; retry shortly",
                {"Retry-After": "1"},
            )
        self._inflight += 1
        try:
            answer = await self.pool.run(job, settings.timeout, settings.timeout)
        except NoWorkerError:
            self.metrics.rejections.labels("saturated").inc()
            return _error(
                503,
                "the endpoint is busy: no query worker became free in time; retry shortly",
                {"Retry-After": str(max(1, round(settings.timeout)))},
            )
        except QueryTimeoutError:
            self.metrics.timeouts.inc()
            return _error(
                504,
                f"the query ran longer than {settings.timeout:g} s and was stopped: make it more "
                "selective (fewer unbound patterns, a LIMIT)",
            )
        except WorkerDiedError:
            self.metrics.worker_deaths.inc()
            return _error(
                500,
                "the query engine crashed on this query and was restarted; simplify the query "
                "(less nesting, shorter expressions)",
            )
        finally:
            self._inflight -= 1
        headers = {"Vary": "Accept", "X-Bordergraph-Row-Cap": str(job.row_cap)}
        if answer.status != 200:
            if answer.status == 422:
                self.metrics.rejections.labels("row_cap").inc()
            return _error(answer.status, answer.message, headers)
        headers["X-Bordergraph-Rows"] = str(answer.rows)
        return Response(answer.body, media_type=answer.media_type, headers=headers)

    async def _graph_store(self, request: Request, graphs: list[str], wants_default: bool) -> Response:
        """Graph Store Protocol, read side: ``?graph=IRI`` or ``?default`` in the negotiated RDF format."""
        if len(graphs) + wants_default != 1:
            return _error(400, "name one graph: ?graph=IRI or ?default")
        iri = graphs[0] if graphs else None
        if iri is not None and iri not in self.graph_sizes:
            return _error(404, f"no graph <{iri}> in this dataset; its graphs are: {', '.join(self.graph_sizes)}")
        accept = request.headers.get("accept")
        media = negotiate(accept, list(GRAPH_FORMATS))
        if media is None:
            return _error(406, f"cannot send a graph as {accept}; offered: {', '.join(list(GRAPH_FORMATS)[:6])}")
        body = await anyio.to_thread.run_sync(self.built.store.serialize_graph, iri, media)
        response = Response(body, media_type=media, headers={"Vary": "Accept"})
        return _without_body(response) if request.method == "HEAD" else response

    # -- service description ---------------------------------------------------------------

    def _complete_service_description(self) -> None:
        """Add what rdflib-endpoint's scaffolding cannot know: the graphs, formats and features served."""
        sd = self.service_description
        service = next(sd.subjects(RDF.type, SD.Service))
        if not self.settings.service_allow:  # SERVICE is refused: do not advertise federation
            sd.remove((None, SD.feature, SD.BasicFederatedQuery))
        sd.remove((service, SD.inputFormat, None))  # input formats are for updates; none are accepted
        for fmt in ("SPARQL_Results_XML", "SPARQL_Results_TSV", "N-Triples", "N-Quads", "TriG", "JSON-LD"):
            sd.add((service, SD.resultFormat, FORMATS[fmt]))
        dataset = next(sd.objects(service, SD.defaultDataset))
        default = next(sd.objects(dataset, SD.defaultGraph))
        sd.add((default, VOID_TRIPLES, Literal(self.default_size)))
        for name, size in self.graph_sizes.items():
            named, graph = BNode(), BNode()
            sd.add((dataset, SD.namedGraph, named))
            sd.add((named, RDF.type, SD.NamedGraph))
            sd.add((named, SD.name, URIRef(name)))
            sd.add((named, SD.graph, graph))
            sd.add((graph, RDF.type, SD.Graph))
            sd.add((graph, VOID_TRIPLES, Literal(size)))

    def serve_yasgui(self) -> Response:
        """The query UI: vendored YASGUI (no CDN), example tabs, the project prefixes."""
        from bordergraph.site import render_yasgui

        return render_yasgui(self.built.loaded.paths, self.title, self.description)

    def _describe_service(self, request: Request) -> Response:
        """The service description, at the endpoint URL; a browser asking for HTML gets the query UI."""
        accept = request.headers.get("accept")
        media = negotiate(accept, [*SD_FORMATS, HTML])
        if media == HTML:
            return self.serve_yasgui()
        if media is None:
            return _error(406, f"cannot describe the service in {accept}; offered: {', '.join(SD_FORMATS)}, {HTML}")
        endpoint = self.settings.public_url or str(request.url.replace(query=None, fragment=None))
        key = (endpoint, media)
        if key not in self._sd_cache:
            graph = self.service_description
            service = next(graph.subjects(RDF.type, SD.Service))
            described = graph.__class__()
            for prefix, namespace in graph.namespaces():
                described.bind(prefix, namespace)
            for triple in graph:
                if triple[1] != SD.endpoint:
                    described.add(triple)
            described.add((service, SD.endpoint, URIRef(endpoint)))
            if len(self._sd_cache) > 64:
                self._sd_cache.clear()
            self._sd_cache[key] = described.serialize(format=SD_FORMATS[media], encoding="utf-8")
        response = Response(self._sd_cache[key], media_type=media, headers={"Vary": "Accept"})
        return _without_body(response) if request.method == "HEAD" else response


def create_app(built: Built, public_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the web app for a validated, indexed dataset (``public_url`` overrides the settings')."""
    settings = settings or Settings()
    if public_url:
        settings = replace(settings, public_url=public_url)
    app = FastAPI(title="bordergraph", version=__version__, docs_url="/api")
    sparql = BordergraphRouter(built, settings)
    app.include_router(sparql)
    sparql.install(app)
    app.state.sparql = sparql
    app.include_router(reconcile_router(built.store))  # W3C Reconciliation API at /reconcile
    from bordergraph.site import mount_site  # the Linked Data pages; site imports this module

    mount_site(app, built, settings.public_url)  # /, /id/…, /ontology, /source/…, /static, 404 page
    return app
