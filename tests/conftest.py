"""Shared fixtures: the real dataset, built once, and a real uvicorn server on a loopback port.

Test files never import this module: they ask for fixtures (``serve`` starts a server of their own).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bordergraph.build import Built, build
from bordergraph.paths import Paths, find_paths
from bordergraph.web.app import create_app
from bordergraph.web.reason import ReasonProtocol
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

#: What the ``serve`` fixture gives: ``serve(built, settings)`` → a context manager of (base URL, router).
Serve = Callable[..., AbstractContextManager[tuple[str, SparqlRouter]]]


def _source_graph_names() -> list[str]:
    """The local names of the source graphs, read from data/sources.trig (never a hard-coded list)."""
    from rdflib import Dataset

    from bordergraph.prefixes import BG

    dataset = Dataset(default_union=True)
    dataset.parse(find_paths().sources_file, format="trig")
    return sorted(str(g).rsplit("/", 1)[-1] for g in dataset.objects(None, BG.sourceGraph))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``source_graph`` runs once per source graph, so a new release is covered at once."""
    if "source_graph" in metafunc.fixturenames:
        metafunc.parametrize("source_graph", _source_graph_names())


@pytest.fixture(scope="session")
def source_graphs() -> list[str]:
    """The local names of every source graph (``bgg:<name>``), counted from data/sources.trig."""
    return _source_graph_names()


@pytest.fixture(scope="session")
def paths() -> Paths:
    return find_paths()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real dataset, validated once, with its canonical dump written (as ``bordergraph serve`` does)."""
    return build(dump_dir=tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def test_data() -> Path:
    """``tests/data``: small record files that must validate (valid/) or fail one rule each (invalid/)."""
    return Path(__file__).resolve().parent / "data"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: ``running``'s default public URL: the address the server listens on.
OWN_URL = "own"


@contextmanager
def running(
    built: Built, settings: Settings, public_url: str | None = OWN_URL, port: int | None = None
) -> Iterator[tuple[str, SparqlRouter]]:
    """Serve ``built`` with a real uvicorn (in a thread) on a loopback port: (base URL, SPARQL router).

    ``public_url`` is the endpoint's public URL: by default the address it listens on; ``None`` for the
    URL each client used. ``port``: a free one unless given. Waits until the query workers are ready,
    and stops the server and its workers afterwards.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    assert built.dump is not None, "serve a build made with dump_dir"
    public = f"{base}/sparql" if public_url == OWN_URL else public_url
    app = create_app(built.store, built.paths, built.dump, settings, public, built.search)
    sparql: SparqlRouter = app.state.sparql
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http=ReasonProtocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    if not sparql.pool.wait_ready(120):
        raise RuntimeError("the query workers did not start")
    try:
        yield base, sparql
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sparql.close()


@pytest.fixture(scope="session")
def serve() -> Serve:
    """Start a server of its own for a test (a context manager giving the base URL and the router)."""
    return running


@pytest.fixture(scope="session")
def port() -> Callable[[], int]:
    """A function giving a free loopback port (for servers a test starts itself)."""
    return free_port


@pytest.fixture(scope="session")
def server(built: Built) -> Iterator[str]:
    """Base URL of the server that most tests share."""
    # The whole suite queries this server from one address: no per-client rate limit here
    # (tests/web/test_safety.py checks the limit on a server of its own).
    with running(built, Settings(rate=0)) as (base, _):
        yield base


@pytest.fixture(scope="session")
def endpoint(server: str) -> str:
    return f"{server}/sparql"


# -- a real headless chromium (Debian chromium + chromedriver) ---------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

#: ``chromium(width, height)`` → a context manager giving a selenium driver with that window size.
Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]


@contextmanager
def _chromium(width: int, height: int) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail(
            "chromium and chromedriver are required: apt-get install -y chromium chromium-driver (make test does)"
        )
    profile = tempfile.mkdtemp(prefix="bordergraph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",  # nothing but loopback resolves
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    """Open a headless chromium with a given window size."""
    return _chromium


@pytest.fixture
def project_copy(tmp_path: Path, paths: Paths) -> Paths:
    """A copy of ontology/, data/ and queries/ in a temporary folder, for a test that changes them."""
    root = tmp_path / "project"
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(paths.root / folder, root / folder)
    return Paths(root)


@pytest.fixture
def break_a_quote() -> Callable[[Path], None]:
    """Make a project copy invalid: the first ``bg:quote`` of its first records file quotes words no source prints."""

    def broken(root: Path) -> None:
        record = sorted((root / "data" / "records").glob("*.trig"))[0]
        text = record.read_text(encoding="utf-8")
        changed = text.replace('bg:quote "', 'bg:quote "words no source prints ', 1)
        assert changed != text, "the records file has no bg:quote to break"
        record.write_text(changed, encoding="utf-8")

    return broken
