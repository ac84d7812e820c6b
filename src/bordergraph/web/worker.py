"""Crash-isolated, killable query evaluation: a pool of worker processes over one store on disk.

pyoxigraph cannot cancel a running query and can overflow its native stack on pathological
input (a segfault), so no query runs in the server process. Each worker opens the build's store
read-only (``Store.read_only``: about 15 ms and 30 MB whatever the data size; the data stays in
the page cache that every worker shares) and answers one query at a time over a pipe. Workers
are forked by a fork server that imported this module once, so a replacement is ready in tens of
milliseconds (spawning a fresh interpreter took about 250 ms here). A worker that overruns the
timeout is killed (its CPU is freed at once) and one that dies is replaced; either way only the
request it was serving gets an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from pathlib import Path

import pyoxigraph as ox

from bordergraph.querystore import QueryStore
from bordergraph.web.answer import Answer, evaluate

log = logging.getLogger("bordergraph.worker")

#: How long a new worker may take to open the store before it is given up on.
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Job:
    """One query for a worker (plain data: it crosses a process boundary)."""

    query: str
    default_graph: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    media_type: str
    row_cap: int


class QueryTimeoutError(Exception):
    """The query ran past the timeout; its worker was killed."""


class WorkerDiedError(Exception):
    """The worker evaluating the query died (for instance a native stack overflow)."""


class NoWorkerError(Exception):
    """No worker became free in time."""


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
        conn.send(evaluate(store, job.query, job.default_graph, job.named_graphs, job.media_type, job.row_cap))


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

    def stop(self) -> None:
        """Kill at once: SIGKILL frees the CPU even inside native code."""
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """A fixed number of worker processes, used from one event loop."""

    def __init__(self, location: Path, size: int) -> None:
        self.location = location
        self.size = size
        self._context = start_fork_server()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._available = asyncio.Event()  # set when a worker returns to the idle queue
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
            log.error("a query worker failed to start (exit code %s); starting another", process.exitcode)
            self._discard(worker)
            time.sleep(1)
            if not self._closed:
                self._replace()
            return
        self._idle.put(worker)
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._available.set)

    def _discard(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)

    async def run(self, job: Job, timeout: float, wait: float) -> Answer:
        """Answer ``job`` on a free worker within ``timeout`` seconds of evaluation.

        The event loop watches the worker's pipe (``add_reader``) instead of parking a thread on
        it: no thread hop per query, and the timeout is an ordinary ``asyncio`` timeout.

        Raises:
            NoWorkerError: no worker was free within ``wait`` seconds.
            QueryTimeoutError: the query overran; its worker was killed and is being replaced.
            WorkerDiedError: the worker died while evaluating; it is being replaced.

        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        worker = await self._acquire(loop, wait)
        readable: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def wake() -> None:
            if not readable.done():
                readable.set_result(None)

        try:
            os.set_blocking(fd, True)  # uvloop leaves watched descriptors non-blocking
            worker.conn.send(job)
            loop.add_reader(fd, wake)
            try:
                await asyncio.wait_for(readable, timeout)
            finally:
                loop.remove_reader(fd)
            os.set_blocking(fd, True)
            answer: Answer = worker.conn.recv()
        except TimeoutError:
            self._retire(worker)
            raise QueryTimeoutError from None
        except (EOFError, OSError):
            code = worker.process.exitcode
            self._retire(worker)
            log.error("a query worker died (exit code %s) on: %s", code, job.query[:500])
            raise WorkerDiedError from None
        except BaseException:  # cancelled mid-query: the worker's state is unknown
            self._retire(worker)
            raise
        self._idle.put(worker)
        self._available.set()
        return answer

    async def _acquire(self, loop: asyncio.AbstractEventLoop, wait: float) -> _Worker:
        deadline = loop.time() + wait
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise NoWorkerError
            self._available.clear()
            with contextlib.suppress(TimeoutError):  # also poll: a worker may come from a start-up thread
                await asyncio.wait_for(self._available.wait(), min(remaining, 0.05))

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker that overran or died, and start its replacement."""
        self._discard(worker)
        self._replace()

    @property
    def ready(self) -> int:
        """Workers loaded and waiting for a query."""
        return self._idle.qsize()

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
