"""Real triple stores for tests: ``oxigraph serve`` and Virtuoso (``virtuoso-t``) on loopback.

Each store runs in a temporary folder of its own, on free 127.0.0.1 ports, and is stopped by PID.
Nothing here mocks a store: the tests publish to and query the real servers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bordergraph.build import Built
from bordergraph.export.dumps import write_sorted_ntriples
from bordergraph.publish import Publisher
from bordergraph.publish.prepare import Prepared, prepare

OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))
VIRTUOSO = shutil.which("virtuoso-t")
#: Virtuoso's administrator on a new database (``dba``/``dba``); the tests pass it through the environment.
VIRTUOSO_USER = VIRTUOSO_PASSWORD = "dba"  # noqa: S105 (a throw-away database made by the test)


def free_port() -> int:
    """A TCP port nobody listens on now (bind port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Store:
    """A running store: its kind, URLs, PID and folder."""

    kind: str
    query_url: str
    gsp_url: str
    pid: int
    folder: Path
    user: str | None = None
    password: str | None = None

    def stop(self) -> None:
        """Stop the server by PID and wait until it has gone."""
        stop_pid(self.pid)


def stop_pid(pid: int, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns once the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: ask the kernel whether it exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return done == 0


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60, **params: str) -> None:
    """Poll ``url`` (GET with ``params``) until it answers 200; raise if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        if time.monotonic() > deadline:
            stop_pid(process.pid)
            raise RuntimeError(f"{url} did not answer within {seconds} s")
        time.sleep(0.2)


@contextmanager
def oxigraph(folder: Path, timeout_s: float | None = None, union_default_graph: bool = False) -> Iterator[Store]:
    """``oxigraph serve`` over a store in ``folder`` (``--timeout-s`` when given; ``--union-default-graph``)."""
    port = free_port()
    args = [OXIGRAPH, "serve", "--location", str(folder / "store"), "--bind", f"127.0.0.1:{port}"]
    if timeout_s is not None:
        args += ["--timeout-s", str(timeout_s)]
    if union_default_graph:
        args.append("--union-default-graph")
    log = (folder / "oxigraph.log").open("wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/query", process, 30, query="ASK {}")
        yield Store("oxigraph", f"{base}/query", f"{base}/store", process.pid, folder)
    finally:
        stop_pid(process.pid)
        log.close()


VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., {folder}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxQueryMem              = 512M
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 10
NumberOfBuffers          = 30000
MaxDirtyBuffers          = 20000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {folder}/vsp
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = {max_seconds}
DeferInferenceRulesInit    = 0
"""


@contextmanager
def virtuoso(folder: Path, max_rows: int = 1_000_000, max_seconds: int = 60) -> Iterator[Store]:
    """``virtuoso-t`` with its own ini and a new database in ``folder``.

    ``ResultSetMaxRows`` is raised above anything our queries return (Debian ships 10,000, which
    truncates silently); ``MaxQueryCostEstimationTime = 0`` stops refusals of fast queries on a
    cost estimate; ``MaxQueryExecutionTime`` is the one Virtuoso timeout that answers with an error.
    """
    if VIRTUOSO is None:
        pytest.fail("virtuoso-t is not installed: apt-get install -y virtuoso-opensource (make test does it as root)")
    (folder / "vsp").mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            folder=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows, max_seconds=max_seconds
        ),
        encoding="utf-8",
    )
    log = (folder / "stdout.log").open("wb")
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", str(ini)], stdout=log, stderr=subprocess.STDOUT, cwd=folder
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(f"{base}/sparql", process, 120, query="ASK {}")
        yield Store(
            "virtuoso",
            f"{base}/sparql",
            f"{base}/sparql-graph-crud-auth",
            process.pid,
            folder,
            VIRTUOSO_USER,
            VIRTUOSO_PASSWORD,
        )
    finally:
        stop_pid(process.pid, grace=30)
        log.close()


# -- fixtures shared by tests/test_publish.py and tests/test_remote.py (imported there by name) ----------


@pytest.fixture(scope="session")
def canonical_dump(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real build's canonical dump, as ``bordergraph export`` writes it: bordergraph.nq and bordergraph.nt."""
    assert built.dump is not None
    folder = tmp_path_factory.mktemp("dump")
    shutil.copyfile(built.dump, folder / "bordergraph.nq")
    write_sorted_ntriples(built.store, folder / "bordergraph.nt", tmp_path_factory.mktemp("sort"))
    return folder


@pytest.fixture(scope="session")
def prepared(canonical_dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return prepare(canonical_dump / "bordergraph.nq", canonical_dump / "bordergraph.nt", tmp_path_factory.mktemp("p"))


def publisher(store: Store) -> Publisher:
    """A Publisher for a test store (Virtuoso's password passed as the CLI would read it from the environment)."""
    return Publisher(store.gsp_url, store.kind, store.user, password=store.password)


def published(store: Store, prepared: Prepared) -> Store:
    """``store`` once ``prepared`` is published into it."""
    client = publisher(store)
    client.publish(prepared)
    client.close()
    return store


@pytest.fixture(scope="session")
def oxigraph_store(tmp_path_factory: pytest.TempPathFactory, prepared: Prepared) -> Iterator[Store]:
    """A running ``oxigraph serve`` holding the real build, published by bordergraph."""
    with oxigraph(tmp_path_factory.mktemp("oxigraph")) as store:
        yield published(store, prepared)


@pytest.fixture(scope="session")
def virtuoso_store(tmp_path_factory: pytest.TempPathFactory, prepared: Prepared) -> Iterator[Store]:
    """A running Virtuoso (own ini, raised row limit) holding the real build, published by bordergraph."""
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as store:
        yield published(store, prepared)


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def published_store(request: pytest.FixtureRequest) -> Store:
    """Each real store in turn, holding the published build."""
    store: Store = request.getfixturevalue(f"{request.param}_store")
    return store


# -- the generic kind: ``oxigraph serve`` driven only through the two standard protocols -------------


def as_generic(store: Store) -> Store:
    """``store`` seen as a ``generic`` store: its Graph Store and query endpoints given, nothing derived."""
    return Store("generic", store.query_url, store.gsp_url, store.pid, store.folder, store.user, store.password)


def generic_publisher(store: Store) -> Publisher:
    """A Publisher for a generic store, as the CLI makes one from ``--store-kind generic --query-url``."""
    return Publisher(store.gsp_url, "generic", store.user, query_url=store.query_url, password=store.password)


@pytest.fixture(scope="session")
def generic_store(tmp_path_factory: pytest.TempPathFactory, prepared: Prepared) -> Iterator[Store]:
    """A running ``oxigraph serve`` treated as a generic store, holding the real build published by bordergraph."""
    with oxigraph(tmp_path_factory.mktemp("generic")) as running:
        store = as_generic(running)
        client = generic_publisher(store)
        client.publish(prepared)
        client.close()
        yield store
