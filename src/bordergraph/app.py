"""The web service: ``create_app(built)`` → a FastAPI app serving the validated dataset over SPARQL.

rdflib-endpoint stays the front door (its YASGUI page with example tabs and its service
description scaffolding). Its query handler cannot be reused: it is a closure inside
``SparqlRouter.__init__`` that always prepares queries with rdflib, so this module replaces
exactly the endpoint routes with a handler that evaluates every query with Oxigraph.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from rdflib_endpoint import SparqlRouter
from rdflib_endpoint.utils import SD
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from bordergraph import __version__
from bordergraph.build import Built
from bordergraph.queries import example_queries

log = logging.getLogger("bordergraph.app")

SPARQL_PATH = "/sparql"

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """Pick the offered media type the Accept header prefers (q-values, then order), or None.

    Written by hand because no maintained library does RFC 9110 matching with wildcards here.
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((q, index, media))
    best: tuple[float, int, int, str] | None = None
    for offered_index, media_type in enumerate(offered):
        major = media_type.split("/")[0]
        for q, _index, media in ranges:
            if q <= 0:
                continue
            specificity = 2 if media == media_type else 1 if media == f"{major}/*" else 0 if media == "*/*" else -1
            if specificity < 0:
                continue
            key = (q, specificity, -offered_index, media_type)
            if best is None or key[:3] > best[:3]:
                best = key
    return best[3] if best else None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"message": message})


class BordergraphRouter(SparqlRouter):
    """rdflib-endpoint's router, with its SPARQL routes answered by Oxigraph."""

    def __init__(self, built: Built, public_url: str, **kwargs: Any) -> None:
        self.built = built
        super().__init__(
            path=SPARQL_PATH,
            graph=built.loaded.dataset,
            title="bordergraph SPARQL endpoint",
            description="Canada–United States border-security cooperation, from public press releases, with a "
            "verbatim quote for every fact. Read-only.",
            version=__version__,
            public_url=public_url,
            example_queries=example_queries(built.loaded.paths),  # type: ignore[arg-type]
            enable_update=False,
            **kwargs,
        )
        # The service does not federate (SERVICE is refused), so do not advertise it.
        self.service_description.remove((None, SD.feature, SD.BasicFederatedQuery))
        replaced = {SPARQL_PATH, SPARQL_PATH + "/"}
        kept: list[BaseRoute] = [r for r in self.routes if getattr(r, "path", None) not in replaced]
        self.routes[:] = kept
        for path in sorted(replaced):
            self.add_api_route(path, self.sparql_get, methods=["GET"], include_in_schema=path == SPARQL_PATH)
            self.add_api_route(path, self.sparql_post, methods=["POST"], include_in_schema=path == SPARQL_PATH)

    async def sparql_get(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol query via GET."""
        return await self._dispatch(request, list(request.query_params.multi_items()))

    async def sparql_post(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol query via POST (form or direct body)."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
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
        elif raw:
            return _error(
                415,
                f"unsupported content type {content_type or '(none)'}: send application/sparql-query "
                "or application/x-www-form-urlencoded",
            )
        return await self._dispatch(request, params)

    async def _dispatch(self, request: Request, params: list[tuple[str, str]]) -> Response:
        queries = [v for k, v in params if k == "query"]
        if any(k == "update" for k, _ in params):
            return _error(403, "this endpoint is read-only: SPARQL Update is not accepted")
        if not queries:
            return self._describe_service(request)
        if len(queries) > 1:
            return _error(400, "send exactly one query parameter")
        default_graphs = [v for k, v in params if k == "default-graph-uri"]
        named_graphs = [v for k, v in params if k == "named-graph-uri"]
        accept = request.headers.get("accept")
        try:
            return await run_in_threadpool(self._evaluate, queries[0], default_graphs, named_graphs, accept)
        except SyntaxError as exc:
            return _error(400, f"query syntax error: {exc}")
        except Exception:
            log.exception("query failed")
            return _error(500, "the query could not be evaluated; the error was logged")

    def _evaluate(self, query: str, default_graphs: list[str], named_graphs: list[str], accept: str | None) -> Response:
        """Query and serialise on one worker thread: pyoxigraph results may not cross threads."""
        result = self.built.store.query(query, default_graphs, named_graphs)
        if isinstance(result, ox.QueryTriples):
            media = negotiate(accept, list(GRAPH_FORMATS))
            if media is None:
                return _error(406, f"cannot answer in {accept}; offered: {', '.join(GRAPH_FORMATS)}")
            return Response(result.serialize(format=GRAPH_FORMATS[media]), media_type=media)
        media = negotiate(accept, list(RESULT_FORMATS))
        if media is None:
            return _error(406, f"cannot answer in {accept}; offered: {', '.join(RESULT_FORMATS)}")
        return Response(result.serialize(format=RESULT_FORMATS[media]), media_type=media)

    def _describe_service(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if accept.startswith("text/html"):
            return self.serve_yasgui()
        formats = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
        media = negotiate(accept, list(formats)) or "text/turtle"
        return Response(self.service_description.serialize(format=formats[media]), media_type=media)


def create_app(built: Built, public_url: str = "http://127.0.0.1:8000/sparql") -> FastAPI:
    """Build the web app for a validated, indexed dataset."""
    app = FastAPI(title="bordergraph", version=__version__, docs_url="/api")
    app.include_router(BordergraphRouter(built, public_url))

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(SPARQL_PATH, status_code=303)

    return app
