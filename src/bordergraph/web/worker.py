"""Crash-isolated, killable query evaluation: a pool of worker processes over one store on disk.

pyoxigraph cannot cancel a running query and can overflow its native stack on pathological
input (a segfault), so no query runs in the server process. Each worker opens the build's store
read-only (``Store.read_only``: about 15 ms and 6 MB; the files stay in the page cache that every
worker shares, while each fills a RocksDB block cache of its own, up to 32 MB, RocksDB's default,
which pyoxigraph does not let us set) and answers one query at a time over a pipe. Workers
are forked by a fork server that imported this module once, so a replacement is ready in tens of
milliseconds (spawning a fresh interpreter took about 250 ms here). A worker that overruns the
timeout is killed (its CPU is freed at once) and one that dies is replaced; either way only the
request it was serving gets an error. A query that killed its worker is remembered (by the hash
of its normalised text, ``guard.normalise``) and refused for a while, so that sending it again
cannot keep the pool restarting. A query whose client went away (``run``'s ``gone``) is dropped:
it leaves the queue, or its worker is killed and replaced as at the timeout, and it is not
quarantined.

Workers are shared fairly between clients (by address). A client holds at most ``per_client``
workers at once (by default all but one); the last free worker is kept for a client that holds
none, or for a query seen finishing within CHEAP_SECONDS, so however many clients flood slow
queries, once each holds a worker one stays free for the rest; a worker that comes free goes to
the waiting client that holds fewest; and a client may have at most ``client_queue`` queries
waiting (beyond: ClientBusyError, a 429). bench/fairness.py measured this against a per-client
cap alone, a fair queue alone and a lane for known-cheap queries alone (numbers in
bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import multiprocessing
import multiprocessing.context
import os
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bordergraph.querystore import QueryStore
from bordergraph.web.answer import Answer, Job, QueryCancelledError, evaluate
from bordergraph.web.guard import normalise

log = logging.getLogger("bordergraph.worker")

#: How long a new worker may take to open the store before it is given up on.
START_TIMEOUT = 120.0
#: Queries that killed a worker, remembered at most (the oldest is forgotten first).
QUARANTINE_SIZE = 1_000
#: With the cheap lane: a query that finished within this many seconds is known to be cheap.
CHEAP_SECONDS = 0.1


class QueryTimeoutError(Exception):
    """The query ran past the timeout; its worker was killed."""


class WorkerDiedError(Exception):
    """The worker evaluating the query died (for instance a native stack overflow)."""


class NoWorkerError(Exception):
    """No worker became free in time."""


class ClientBusyError(Exception):
    """The client already has as many queries running and waiting as it may."""


class QueryQuarantinedError(Exception):
    """The query killed a worker recently and is refused until ``remaining`` seconds have passed."""

    def __init__(self, remaining: float) -> None:
        super().__init__(f"refused for {remaining:.0f} s more")
        self.remaining = remaining


def fingerprint(query: str) -> str:
    """SHA-256 of the normalised query: the same for the same query however it is spaced or commented."""
    return hashlib.sha256(normalise(query).encode("utf-8")).hexdigest()


def _worker_main(conn: Connection, location: str) -> None:
    """Worker process: open the store read-only, then answer jobs until the pipe closes."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    store = QueryStore(ox.Store.read_only(location))
    conn.send("ready")
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        conn.send(
            evaluate(store, job.query, job.default_graph, job.named_graphs, job.media_type, job.row_cap, job.base_iri)
        )


def _watched(future: asyncio.Future[Any], gone: asyncio.Future[Any] | None) -> set[asyncio.Future[Any]]:
    """What to wait for: ``future``, and ``gone`` when the client's leaving is watched."""
    return {future} if gone is None else {future, gone}


@dataclass(eq=False)
class _Waiter:
    client: str
    future: asyncio.Future[_Worker]
    since: int = field(default=0)  # arrival order
    cheap: bool = False  # known to finish quickly (the cheap lane)


def _importable_in_children() -> None:
    """Make the fork server import this copy of bordergraph, not another one installed.

    The fork server is a new interpreter that imports its preloaded modules before it applies the
    parent's ``sys.path`` (CPython 3.11), so a checkout run with ``sys.path`` edits (the bench
    scripts) would get the installed copy. PYTHONPATH is the one setting it reads before that.
    """
    package_parent = str(Path(__file__).resolve().parents[2])
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if not current or current[0] != package_parent:
        os.environ["PYTHONPATH"] = os.pathsep.join([package_parent, *current])


def start_fork_server() -> multiprocessing.context.ForkServerContext:
    """Start the process that forks the workers, if it is not running yet; its context.

    fork is unsafe in a threaded server; the fork server is a single-threaded process that imports
    this module once and forks each worker from there. Call it early (the servers do, before
    importing the web framework) so that its imports run while the app's own are running.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    _importable_in_children()
    forkserver.ensure_running()
    return context


class _Worker:
    def __init__(self, process: ForkServerProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.busy = False  # evaluating a query
        self._stopping = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        """Kill at once: SIGKILL frees the CPU even inside native code.

        Once only, whichever thread comes first (the pool closing, a start-up thread, the event
        loop): closing the pipe twice could close a descriptor another worker's pipe now uses.
        """
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """A fixed number of worker processes, used from one event loop."""

    def __init__(
        self,
        location: Path,
        size: int,
        quarantine: float = 600.0,
        per_client: int | None = None,
        client_queue: int | None = None,
        fair: bool = True,
        lane: bool = False,
        reserve: bool = True,
    ) -> None:
        self.location = location
        self.size = size
        #: Workers one client may hold at once (default: all but one).
        self.per_client = per_client if per_client else max(1, size - 1)
        #: Queries one client may have waiting (None: no cap but the caller's).
        self.client_queue = client_queue
        #: Hand a free worker to the waiting client holding fewest (False: first come, first served).
        self.fair = fair
        #: Keep one worker for queries seen finishing under CHEAP_SECONDS (measured, not chosen: see
        #: bench/fairness.py; it only helps queries sent before, so the per-client cap is the default).
        self.lane = lane
        #: Keep the last free worker for a client that holds none, or a query known to be cheap:
        #: however many clients flood, once each holds a worker one stays free for the others.
        #: Off when one client may hold every worker (``per_client`` = ``size``).
        self.reserve = reserve and self.per_client < size
        self._cheap: dict[str, None] = {}  # fingerprints of queries that finished quickly (LRU)
        self._general = 0  # workers held by queries not known to be cheap
        self._holding: Counter[str] = Counter()  # workers held, by client
        self._waiters: list[_Waiter] = []
        self._arrivals = 0
        self.quarantine = quarantine  # seconds a query that killed a worker is refused
        self._crashed: dict[str, float] = {}  # fingerprint → monotonic time until which it is refused
        self._context = start_fork_server()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.started = 0  # workers started since the pool was made (replacements included)
        for _ in range(size):
            self._replace()

    def _replace(self) -> None:
        """Start a worker in the background; it joins the idle queue once its store is loaded."""
        threading.Thread(target=self._start, name="bordergraph-worker-start", daemon=True).start()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(child, str(self.location)), name="bordergraph-worker", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            if self._closed:
                worker.stop()
                return
            self._all.add(worker)
            self.started += 1
        try:
            ready = parent.poll(START_TIMEOUT) and parent.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._discard(worker)
            if self._closed:  # the pool was closed while this worker was starting
                return
            log.error("a query worker failed to start (exit code %s); starting another", process.exitcode)
            time.sleep(1)
            if not self._closed:
                self._replace()
            return
        self._idle.put(worker)
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._dispatch)

    def _discard(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)

    async def run(
        self, job: Job, timeout: float, wait: float, client: str = "", gone: asyncio.Future[Any] | None = None
    ) -> Answer:
        """Answer ``job`` on a free worker within ``timeout`` seconds of evaluation.

        The event loop watches the worker's pipe (``add_reader``) instead of parking a thread on
        it: no thread hop per query, and the timeout is an ordinary ``asyncio`` timeout.
        ``gone`` finishes when the client has gone away (the router watches the connection): the
        query then stops waiting, or its worker is killed as at the timeout, and no one is blamed
        (it is not quarantined, and its client holds no worker for it any more).

        Raises:
            QueryQuarantinedError: this query killed a worker less than ``quarantine`` seconds ago.
            ClientBusyError: ``client`` already has ``client_queue`` queries waiting.
            NoWorkerError: no worker was free within ``wait`` seconds.
            QueryTimeoutError: the query overran; its worker was killed and is being replaced.
            WorkerDiedError: the worker died while evaluating; it is being replaced.
            QueryCancelledError: ``gone`` finished first; a worker evaluating the query was killed.

        """
        if gone is not None and gone.done():
            raise QueryCancelledError(running=False)
        key = fingerprint(job.query)
        remaining = self._crashed.get(key, 0.0) - time.monotonic()
        if remaining > 0:
            raise QueryQuarantinedError(remaining)
        self._crashed.pop(key, None)
        loop = asyncio.get_running_loop()
        self._loop = loop
        cheap = (self.lane or self.reserve) and key in self._cheap
        worker = await self._acquire(loop, wait, client, cheap, gone)
        started = time.monotonic()
        try:
            answer = await self._evaluate(loop, worker, job, timeout, key, gone)
        finally:
            self._holding[client] -= 1
            if self._holding[client] <= 0:
                del self._holding[client]
            self._general -= not cheap
            self._dispatch()
        if (self.lane or self.reserve) and time.monotonic() - started < CHEAP_SECONDS:
            self._cheap[key] = None
            if len(self._cheap) > QUARANTINE_SIZE:
                del self._cheap[next(iter(self._cheap))]
        return answer

    async def _evaluate(
        self,
        loop: asyncio.AbstractEventLoop,
        worker: _Worker,
        job: Job,
        timeout: float,
        key: str,
        gone: asyncio.Future[Any] | None = None,
    ) -> Answer:
        readable: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def wake() -> None:
            if not readable.done():
                readable.set_result(None)

        worker.busy = True
        try:
            os.set_blocking(fd, True)  # uvloop leaves watched descriptors non-blocking
            worker.conn.send(job)
            loop.add_reader(fd, wake)
            try:
                # asyncio.wait, not wait_for: ``gone`` is the router's to cancel, never this wait's.
                await asyncio.wait(_watched(readable, gone), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                loop.remove_reader(fd)
            if not readable.done():  # an answer that came with the client's leaving is still taken
                if gone is not None and gone.done():
                    raise QueryCancelledError(running=True)
                raise TimeoutError
            os.set_blocking(fd, True)
            answer: Answer = worker.conn.recv()
        except TimeoutError:
            self._retire(worker)
            raise QueryTimeoutError from None
        except QueryCancelledError:  # as at the timeout: no one is blamed, and the CPU is freed at once
            self._retire(worker)
            log.info("the client went away: its query (sha256 %s) was stopped and its worker replaced", key[:16])
            raise
        except (EOFError, OSError):
            worker.process.join(timeout=1)  # reap it, so that the exit code (the signal) is known
            code = worker.process.exitcode
            self._retire(worker)
            self._remember(key)
            log.error(
                "a query worker died (exit code %s); the query (sha256 %s) is refused for %g s; it was: %s",
                code,
                key[:16],
                self.quarantine,
                job.query[:500],
            )
            raise WorkerDiedError from None
        except BaseException:  # cancelled mid-query: the worker's state is unknown
            self._retire(worker)
            raise
        worker.busy = False
        self._idle.put(worker)
        return answer

    def _may_take(self, client: str, cheap: bool) -> bool:
        """Whether ``client`` may take one more worker now (its cap; with the lane, one is kept back)."""
        if self._holding[client] >= self.per_client:
            return False
        if self.reserve and self._holding[client] and not cheap and self._idle.qsize() <= 1:
            return False
        return cheap or not self.lane or self._general < self.size - 1

    def _take(self, client: str, cheap: bool) -> None:
        self._holding[client] += 1
        self._general += not cheap

    async def _acquire(
        self,
        loop: asyncio.AbstractEventLoop,
        wait: float,
        client: str,
        cheap: bool,
        gone: asyncio.Future[Any] | None = None,
    ) -> _Worker:
        """A worker for ``client``, counted in what it holds; waits its turn for at most ``wait`` seconds.

        Raises:
            ClientBusyError: ``client`` already has ``client_queue`` queries waiting.
            NoWorkerError: no worker came its way within ``wait`` seconds.
            QueryCancelledError: ``gone`` finished first (a worker handed over meanwhile is given back).

        """
        if not self._waiters and self._may_take(client, cheap):
            with contextlib.suppress(queue.Empty):
                worker = self._live_idle()
                self._take(client, cheap)
                return worker
        if self.client_queue is not None and sum(w.client == client for w in self._waiters) >= self.client_queue:
            raise ClientBusyError
        self._arrivals += 1
        waiter = _Waiter(client, loop.create_future(), self._arrivals, cheap)
        self._waiters.append(waiter)
        self._dispatch()
        try:
            await asyncio.wait(_watched(waiter.future, gone), timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            if gone is not None and gone.done():
                raise QueryCancelledError(running=False)
            if not waiter.future.done():
                raise TimeoutError
        except BaseException as exc:  # timed out, gone or cancelled: give back a worker handed over meanwhile
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            if waiter.future.done() and not waiter.future.cancelled():
                self._holding[client] -= 1
                self._general -= not cheap
                self._idle.put(waiter.future.result())
                self._dispatch()
            waiter.future.cancel()
            if isinstance(exc, TimeoutError):
                raise NoWorkerError from None
            raise
        return waiter.future.result()

    def _dispatch(self) -> None:
        """Hand idle workers to waiting clients under their cap: fewest held first, then first come."""
        while self._waiters:
            eligible = [w for w in self._waiters if self._may_take(w.client, w.cheap)]
            if not eligible:
                return
            chosen = min(eligible, key=lambda w: (self._holding[w.client], w.since)) if self.fair else eligible[0]
            try:
                worker = self._live_idle()
            except queue.Empty:
                return
            self._waiters.remove(chosen)
            self._take(chosen.client, chosen.cheap)
            chosen.future.set_result(worker)

    def _live_idle(self) -> _Worker:
        """An idle worker that is still alive; one that died while idle is replaced, and no query is blamed.

        Raises:
            queue.Empty: no live worker is idle.

        """
        while True:
            worker = self._idle.get_nowait()
            if worker.process.is_alive():
                return worker
            log.error("an idle query worker died (exit code %s); starting another", worker.process.exitcode)
            self._retire(worker)

    def _remember(self, key: str) -> None:
        """Refuse the query with this fingerprint for ``quarantine`` seconds (logged once, by the caller)."""
        if self.quarantine <= 0:
            return
        now = time.monotonic()
        for old in [k for k, until in self._crashed.items() if until <= now]:
            del self._crashed[old]
        while len(self._crashed) >= QUARANTINE_SIZE:
            del self._crashed[next(iter(self._crashed))]
        self._crashed[key] = now + self.quarantine

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker that overran or died, and start its replacement."""
        self._discard(worker)
        self._replace()

    @property
    def ready(self) -> int:
        """Workers loaded and waiting for a query."""
        return self._idle.qsize()

    @property
    def waiting(self) -> int:
        """Queries waiting for a worker."""
        return len(self._waiters)

    def busy_pids(self) -> list[int]:
        """Process ids of the workers evaluating a query now."""
        with self._lock:
            return [w.process.pid for w in self._all if w.busy and w.process.pid is not None]

    def held_by(self, client: str) -> int:
        """Workers ``client`` holds now."""
        return self._holding.get(client, 0)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        """Block until every worker has loaded its store (start-up)."""
        deadline = time.monotonic() + timeout
        while self.ready < self.size:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
