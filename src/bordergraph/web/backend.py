"""Queries evaluated by a remote store (``serve --backend``) instead of the local workers.

Everything in front stays the same (protocol checks, guard, limits, negotiation, the row cap,
metrics); only the evaluation moves: ``bordergraph.remote.RemoteStore`` asks the store for SPARQL
JSON results (N-Triples for graphs), reads and checks the whole answer, and ``answer.render``
writes it with the same serialisers as local answers. A partial answer is never relayed: every
``BackendError`` becomes an error status with the store's problem in the message. The HTTP client
(``bordergraph.remote``, httpx) is imported when a backend is made: a server on its own workers
never loads it (about 4.5 MB).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import anyio

from bordergraph.web.answer import Answer, Job, render

if TYPE_CHECKING:
    from bordergraph.web.settings import Settings


class Backend:
    """A remote store as the query engine, at most ``settings.concurrency`` queries at once."""

    def __init__(self, settings: Settings) -> None:
        from bordergraph.remote import RemoteStore

        assert settings.backend is not None
        self.url = settings.backend
        self.kind = settings.backend_kind
        self.store = RemoteStore(
            settings.backend,
            kind=settings.backend_kind,
            timeout=settings.timeout,
            # Virtuoso stops work at its own `timeout` (its partial answer, flagged S1TAT, is refused).
            store_timeout=settings.timeout if settings.backend_kind == "virtuoso" else None,
        )
        self.limiter = anyio.CapacityLimiter(settings.concurrency)

    async def run(self, job: Job) -> Answer:
        """Evaluate a query on the store (in a thread: the HTTP client blocks) and serialise it."""
        return await anyio.to_thread.run_sync(self._run, job, limiter=self.limiter)

    def _run(self, job: Job) -> Answer:
        from bordergraph.remote import BackendError  # imported with RemoteStore in __init__: no cost here

        query, default_graph, named_graphs = job.query, job.default_graph, job.named_graphs
        if default_graph is not None and len(set(default_graph)) > 1:
            # Oxigraph evaluates several default graphs as a multiset union, not the RDF merge SPARQL asks
            # for (the embedded engine merges them itself, QueryStore.merged): refuse rather than answer wrong.
            return Answer(
                400,
                message="with a backend store, name at most one default graph (FROM or default-graph-uri): "
                "the store would union several as a multiset, not merge them",
            )
        if job.base_iri and not re.match(r"\s*BASE\b", query, re.IGNORECASE):
            query = f"BASE <{job.base_iri}>\n{query}"  # relative IRIs resolve against our endpoint, not the store's
        try:
            result = self.store.query(query, default_graph, named_graphs)
        except BackendError as exc:
            return Answer(exc.status, message=f"the backend store could not answer: {exc.message}")
        return render(result, job.media_type, job.row_cap)

    async def health(self) -> str | None:
        """None when the store answers ``ASK {}`` completely; otherwise what is wrong."""
        return await anyio.to_thread.run_sync(self.store.health)

    def close(self) -> None:
        """Close the connections to the store."""
        self.store.close()
