"""Queries evaluated by a remote store (``serve --backend``) instead of the local workers.

Everything in front stays the same (protocol checks, guard, limits, negotiation, the row cap,
metrics); only the evaluation moves: ``bordergraph.remote.RemoteStore`` asks the store for SPARQL
JSON results (N-Triples for graphs), reads and checks the whole answer, and ``answer.render``
writes it with the same serialisers as local answers. A partial answer is never relayed: every
``BackendError`` becomes an error status with the store's problem in the message.

A query whose client goes away (``run``'s ``gone``) is stopped: still waiting for one of the
``--concurrency`` slots, it leaves the queue; running, its request to the store is shut down
(``remote.Call``), and its slot is given back only once the thread that ran it has ended, so the
store never has more than ``--concurrency`` requests from this front end at once.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import anyio

from bordergraph.web.answer import Answer, Job, QueryCancelledError, render
from bordergraph.web.settings import Settings

if TYPE_CHECKING:
    from bordergraph.remote import Call


class Backend:
    """A remote store as the query engine, at most ``settings.concurrency`` queries at once."""

    def __init__(self, settings: Settings) -> None:
        # The HTTP client (bordergraph.remote, httpx) is imported when a backend is made: a server on
        # its own workers never loads it (about 4.5 MB, bench/README.md).
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
            keep_alive=False,  # a new connection per query, so that a Call can shut it down
        )
        self.limiter = anyio.CapacityLimiter(settings.concurrency)

    async def run(self, job: Job, gone: asyncio.Future[Any] | None = None) -> Answer:
        """Evaluate a query on the store (in a thread: the HTTP client blocks) and serialise it.

        ``gone`` finishes when the client has gone away (the router watches the connection).

        Raises:
            QueryCancelledError: ``gone`` finished first; a running query's request to the store was shut down.

        """
        from bordergraph.remote import Call  # loaded with RemoteStore in __init__: no cost here

        call = Call()
        running = False

        async def in_a_slot() -> Answer:
            nonlocal running
            async with self.limiter:  # waiting here can be cancelled: nothing has been sent
                running = True
                thread = asyncio.ensure_future(anyio.to_thread.run_sync(self._run, job, call))
                await _ended(thread, call)
                return thread.result()

        work = asyncio.ensure_future(in_a_slot())
        try:
            await asyncio.wait({work} if gone is None else {work, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            left = not work.done()
            if left:  # the client went away (or this request is cancelled): stop the query
                call.cancel()
                work.cancel()
                await _ended(work, call)
        if left:
            if not work.cancelled():
                work.exception()  # finished meanwhile: its answer (or error) goes nowhere
            raise QueryCancelledError(running=running)
        return work.result()

    def _run(self, job: Job, call: Call) -> Answer:
        from bordergraph.remote import BackendError  # loaded with RemoteStore in __init__

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
            result = self.store.query(query, default_graph, named_graphs, call=call)
        except BackendError as exc:
            return Answer(exc.status, message=f"the backend store could not answer: {exc.message}")
        return render(result, job.media_type, job.row_cap)

    async def health(self) -> str | None:
        """None when the store answers ``ASK {}`` completely; otherwise what is wrong."""
        return await anyio.to_thread.run_sync(self.store.health)

    def close(self) -> None:
        """Close the connections to the store."""
        self.store.close()


async def _ended(future: asyncio.Future[Any], call: Call) -> None:
    """Wait until ``future`` is done, even if cancelled meanwhile (then stop ``call`` and re-raise at the end).

    anyio's ``to_thread.run_sync`` returns at once when its task is cancelled by asyncio, while its thread
    runs on; waiting here keeps the slot (``Backend.limiter``) held until the thread has really ended.
    """
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait({future})
        except asyncio.CancelledError:
            cancelled = True
            call.cancel()
    if cancelled:
        raise asyncio.CancelledError
