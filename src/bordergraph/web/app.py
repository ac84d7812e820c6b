"""The web app: ``create_app(store, paths, settings)`` wires the routers and starts and stops the workers.

It receives the validated store and the checkout's paths, never the build result: what is served
is what was validated, and the web knows nothing about how it was built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI

from bordergraph.builddir import BuildDir
from bordergraph.paths import Paths
from bordergraph.querystore import QueryStore
from bordergraph.version import __version__
from bordergraph.web.reconcile import reconcile_router
from bordergraph.web.settings import Settings
from bordergraph.web.site import mount_site
from bordergraph.web.sparql import SparqlRouter


def create_app(
    store: QueryStore,
    paths: Paths,
    settings: Settings | None = None,
    public_url: str | None = None,
    build: BuildDir | None = None,
) -> FastAPI:
    """Build the web app for a validated, indexed dataset (``public_url`` overrides the settings').

    ``build`` is the build directory whose store the workers open read-only (``store`` is that store,
    opened read-only too); without it, ``store`` is first written to a temporary build directory.
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

    app = FastAPI(title="bordergraph", version=__version__, docs_url="/api", lifespan=lifespan)
    app.include_router(sparql)
    sparql.install(app)
    app.state.sparql = sparql
    app.include_router(reconcile_router(store))  # W3C Reconciliation API at /reconcile
    mount_site(app, store, paths, settings.public_url)  # /, /id/…, /ontology, /source/…, /static, 404 page
    return app
