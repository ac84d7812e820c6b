"""The web app: ``create_app(store, paths, settings)`` wires the routers and starts and stops the workers.

It receives the validated store and the checkout's paths, never the build result: what is served
is what was validated, and the web knows nothing about how it was built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

from bordergraph.builddir import BuildDir
from bordergraph.paths import Paths
from bordergraph.querystore import QueryStore
from bordergraph.search import SearchIndex, build_index
from bordergraph.version import __version__
from bordergraph.web.reconcile import reconcile_router
from bordergraph.web.search_pages import labels_router, search_router
from bordergraph.web.settings import Settings
from bordergraph.web.site import mount_site
from bordergraph.web.sparql import SparqlRouter


def create_app(
    store: QueryStore,
    paths: Paths,
    dump: Path,
    settings: Settings | None = None,
    public_url: str | None = None,
    search_index: Path | None = None,
    build: BuildDir | None = None,
) -> FastAPI:
    """Build the web app for a validated store, its checkout's paths and its canonical dump.

    ``dump`` is the build's ``bordergraph.nq`` (``build(dump_dir=...)``), served as the download.
    ``search_index`` is the build's search index (``search.sqlite`` beside the dump); without one
    it is built from the store in a scratch folder at start-up and removed with it.
    ``build`` is the build directory whose store the workers open read-only (``store`` is that store,
    opened read-only too); without it, ``store`` is first written to a temporary build directory.
    ``public_url`` overrides the settings'.
    """
    settings = settings or Settings()
    if public_url:
        settings = replace(settings, public_url=public_url)
    sparql = SparqlRouter(store, paths, settings, build)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await sparql.wait_for_workers()
        try:
            yield
        finally:
            sparql.close()

    app = FastAPI(title="bordergraph", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    mount_api_docs(app)  # /api: Swagger UI from the swagger-ui-bundle package, no CDN
    app.add_middleware(HeadAsGet)  # HEAD answers like GET on every route
    app.include_router(sparql)
    sparql.install(app)
    app.state.sparql = sparql
    search = SearchIndex(search_index or build_index(store, sparql.workdir / "search.sqlite").path)
    app.state.search = search
    app.include_router(search_router(search))  # /search, /list, /list/{kind} (before the site's catch-alls)
    app.include_router(reconcile_router(store, search))  # W3C Reconciliation API at /reconcile
    app.include_router(labels_router(search, store))  # /labels: names by IRI, for the query editor
    mount_site(app, store, paths, dump, settings.public_url, search)  # /, /id/…, /ontology, /source/…, 404 page
    return app


def mount_api_docs(app: FastAPI) -> None:
    """The OpenAPI page at ``/api``, with Swagger UI served from this server (works offline)."""
    app.mount("/api/static", StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @app.get("/api", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="bordergraph API",
            swagger_js_url="/api/static/swagger-ui-bundle.js",
            swagger_css_url="/api/static/swagger-ui.css",
            swagger_favicon_url="data:,",
        )


class HeadAsGet:
    """HEAD is GET without the body, on every route (RFC 9110 §9.3.2), in one place.

    The request is routed as GET; the status and headers (Content-Length included) go out as they
    are and the body is dropped (uvicorn sends none for HEAD either).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
