"""`bordergraph build` and `bordergraph serve` as real processes: the last good build is what is served.

Each test works on a copy of the curated folders and its own build root, and starts the real CLI
(`python -m bordergraph`) on a free loopback port, stopped by PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from bordergraph.builddir import current
from bordergraph.paths import Paths

CLI = [sys.executable, "-m", "bordergraph"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def checkout(project_copy: Paths) -> Path:
    """A copy of the curated folders that a test may change."""
    return project_copy.root


def build(checkout: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "build", "--root", str(checkout), "--out", str(out)], capture_output=True, text=True)


@contextmanager
def serving(checkout: Path, builds: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`bordergraph serve` on a free port until /healthz says ok: (base URL, process)."""
    port = free_port()
    command = [*CLI, "serve", "--root", str(checkout), "--build-dir", str(builds), "--port", str(port)]
    command += ["--concurrency", "2"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                break  # the caller looks at the exit code and the log
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    if json.load(response)["status"] == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve did not come up; log:\n{log.read_text()}")
            time.sleep(0.1)
        yield base, process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def health(base: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        return dict(json.load(response))


def test_serve_reuses_the_last_good_build_without_validating(checkout: Path, tmp_path: Path) -> None:
    builds = tmp_path / "builds"
    made = build(checkout, builds)
    assert made.returncode == 0, made.stderr
    first = current(builds)
    assert first is not None
    log = tmp_path / "serve.log"
    with serving(checkout, builds, log) as (base, process):
        assert process.poll() is None, log.read_text()
        assert health(base)["build"] == first.id
    text = log.read_text()
    assert f"serving build {first.id}" in text and "not validated again" in text
    assert "SHACL shapes" not in text  # no validation report: nothing was validated
    assert current(builds) == first


def test_serve_builds_first_when_an_input_changed(checkout: Path, tmp_path: Path) -> None:
    builds = tmp_path / "builds"
    assert build(checkout, builds).returncode == 0
    first = current(builds)
    assert first is not None
    record = sorted((checkout / "data" / "records").glob("*.trig"))[0]
    record.write_text(record.read_text(encoding="utf-8") + "\n# a comment changes the file\n", encoding="utf-8")
    log = tmp_path / "serve.log"
    with serving(checkout, builds, log) as (base, process):
        assert process.poll() is None, log.read_text()
        now = current(builds)
        assert now is not None and now.id != first.id and health(base)["build"] == now.id
    text = log.read_text()
    assert f"input files changed: data/records/{record.name}" in text and "OK:" in text


def test_serve_refuses_inputs_that_do_not_validate(
    checkout: Path, tmp_path: Path, break_a_quote: Callable[[Path], None]
) -> None:
    builds = tmp_path / "builds"
    assert build(checkout, builds).returncode == 0
    first = current(builds)
    break_a_quote(checkout)
    log = tmp_path / "serve.log"
    with serving(checkout, builds, log) as (_, process):
        assert process.wait(timeout=120) == 1
    assert "INVALID" in log.read_text()
    assert current(builds) == first  # the last good build stays; nothing invalid was published


def test_a_killed_build_never_replaces_the_last_good_one(checkout: Path, tmp_path: Path) -> None:
    builds = tmp_path / "builds"
    assert build(checkout, builds).returncode == 0
    good = current(builds)
    assert good is not None
    killed_half_way = False
    for _ in range(8):  # kill as soon as the new build's folder appears; retry if the build won the race
        process = subprocess.Popen(
            [*CLI, "build", "--root", str(checkout), "--out", str(builds)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while process.poll() is None and time.monotonic() < deadline:
            if any(builds.glob(".*.partial/store")):
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        process.wait(timeout=30)
        if process.returncode == -signal.SIGKILL:
            killed_half_way = True
            break
        good = current(builds)  # the build finished first: it is the new last good build
    assert killed_half_way, "every build finished before it could be killed"
    assert list(builds.glob(".*.partial")), "the killed build's partial folder should be left behind"
    assert current(builds) == good
    log = tmp_path / "serve.log"
    with serving(checkout, builds, log) as (base, process):
        assert process.poll() is None, log.read_text()
        assert good is not None and health(base)["build"] == good.id
        query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        request = urllib.request.Request(f"{base}/sparql?{query}", headers={"Accept": "text/csv"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert int(response.read().decode().splitlines()[1]) == good.default_size
    assert build(checkout, builds).returncode == 0  # the next build clears the leftovers
    assert not list(builds.glob(".*.partial"))
