"""The command line: exit codes as pySHACL (0 valid, 1 invalid, 2 error) and readable help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bordergraph.build import Built
from bordergraph.paths import Paths


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bordergraph", *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("build", "validate", "serve", "locate"):
        assert command in result.stdout


def test_validate_the_real_data_exits_0() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK:")


def test_unknown_root_exits_2(tmp_path: Path) -> None:
    result = run("validate", "--root", str(tmp_path))
    assert result.returncode == 2
    assert "not a bordergraph root" in result.stderr


def test_unknown_option_exits_2() -> None:
    assert run("validate", "--no-such-option").returncode == 2


def test_build_writes_the_canonical_dump_byte_for_byte_the_same_twice(tmp_path: Path, built: Built) -> None:
    """Two builds in two processes write the same bytes; it is the dump the tests' build wrote too."""
    for run_ in ("a", "b"):
        result = run("build", "--out", str(tmp_path / run_))
        assert result.returncode == 0, result.stderr
    a, b = ((tmp_path / run_ / "current").resolve() for run_ in ("a", "b"))
    assert f"wrote build {a.name}" in result.stdout or f"wrote build {b.name}" in result.stdout
    assert (a / "store").is_dir() and (a / "manifest.json").is_file()
    first = (a / "bordergraph.nq").read_bytes()
    assert first == (b / "bordergraph.nq").read_bytes()
    assert built.dump is not None and first == built.dump.read_bytes()
    lines = first.decode("utf-8").splitlines()
    keyed = [(line.rsplit(" ", 2)[-2], line) for line in lines]
    assert keyed == sorted(keyed) and len(lines) == len(built.store), "sorted by graph, then triple; every quad"
    # the search index beside it is byte-stable too (two processes, two hash seeds)
    assert (a / "search.sqlite").read_bytes() == (b / "search.sqlite").read_bytes()


def test_locate_prints_offsets_that_slice_back(paths: Paths) -> None:
    source = paths.sources_dir / "001_0b02a5d5ef36f43a.txt"
    words = "almost 13 million air passengers every year"
    result = run("locate", str(source), words)
    assert result.returncode == 0, result.stderr
    start, end = (int(x) for x in result.stdout.replace("oa:start", "").replace("oa:end", "").split(";"))
    assert source.read_text(encoding="utf-8")[start:end] == words


def test_locate_missing_words_exits_2(paths: Paths) -> None:
    result = run("locate", str(paths.sources_dir / "001_0b02a5d5ef36f43a.txt"), "no such words")
    assert result.returncode == 2
    assert "not found" in result.stderr
