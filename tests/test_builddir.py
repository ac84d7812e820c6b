"""The build directory: atomic publication, the manifest, and when a build is reused or rebuilt."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from bordergraph.build import Built, build
from bordergraph.builddir import (
    DUMP,
    BuildDir,
    Inputs,
    current,
    project_inputs,
    publish,
    tool_versions,
    validation_summary,
    write_store,
)
from bordergraph.export.dumps import write_sorted_nquads
from bordergraph.paths import Paths


def publish_built(built: Built, root: Path, inputs: Inputs) -> BuildDir:
    """What `bordergraph build` publishes, less the dump (tested through the CLI below)."""
    quads = built.store.store.quads_for_pattern(None, None, None, None)
    return publish(root, inputs, lambda folder: write_store(folder, quads=quads), validation_summary(built.report))


@pytest.fixture
def checkout(project_copy: Paths) -> Path:
    """A copy of the curated folders that a test may change."""
    return project_copy.root


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, paths: Paths) -> BuildDir:
    """A build written by the real command, `bordergraph build --out DIR`."""
    root = tmp_path_factory.mktemp("builds")
    command = [sys.executable, "-m", "bordergraph", "build", "--root", str(paths.root), "--out", str(root)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found = current(root)
    assert found is not None
    assert f"wrote build {found.id}" in result.stdout and "OK:" in result.stderr
    return found


def test_a_build_holds_store_dump_and_manifest(published: BuildDir, built: Built, paths: Paths) -> None:
    manifest = json.loads((published.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["validation"]["ok"] is True and manifest["validation"]["problems"] == 0
    assert manifest["tools"] == tool_versions()
    inputs = project_inputs(paths.root).names()
    assert set(manifest["inputs"]) == set(inputs)
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"].values())
    assert manifest["graphs"] == built.store.graph_sizes()
    assert manifest["default_graph"] == built.store.default_size
    assert manifest["triples"] == len(built.store)
    store = published.open_store()
    assert set(published.graph_sizes) == set(built.store.graph_names())
    quads = sum(1 for _ in store.quads_for_pattern(None, None, None, None))
    assert quads == len(built.store) + manifest["default_graph"]
    with tempfile.TemporaryDirectory() as scratch:  # the build's dump is the canonical one, byte for byte
        write_sorted_nquads(built.store, Path(scratch) / "canonical.nq", Path(scratch))
        assert (published.path / DUMP).read_bytes() == (Path(scratch) / "canonical.nq").read_bytes()
    assert published.manifest["dump_sha256"] == hashlib.sha256((published.path / DUMP).read_bytes()).hexdigest()
    assert current(published.path.parent) == published


def test_read_only_store_answers_like_the_validated_one(published: BuildDir, built: Built) -> None:
    query = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type"
    answers = []
    for store in (published.open_store(), built.store.store):
        result = store.query(query)
        assert isinstance(result, ox.QuerySolutions)
        answers.append(result.serialize(format=ox.QueryResultsFormat.TSV) or b"")
    assert answers[0] == answers[1] and len(answers[0].splitlines()) > 5


def test_matching_inputs_reuse_the_build(checkout: Path, tmp_path: Path) -> None:
    built = build(checkout)
    root = tmp_path / "builds"
    first = publish_built(built, root, project_inputs(checkout))
    assert first.mismatch(project_inputs(checkout)) is None
    # touching a file without changing it is still a match (its hash is checked again)
    record = sorted((checkout / "data" / "records").glob("*.trig"))[0]
    record.write_bytes(record.read_bytes())
    assert first.mismatch(project_inputs(checkout)) is None


def test_changed_added_or_removed_input_is_a_mismatch(checkout: Path, tmp_path: Path) -> None:
    built = build(checkout)
    first = publish_built(built, tmp_path / "builds", project_inputs(checkout))
    record = sorted((checkout / "data" / "records").glob("*.trig"))[0]
    record.write_text(record.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    reason = first.mismatch(project_inputs(checkout))
    assert reason and "changed" in reason and record.name in reason
    extra = checkout / "queries" / "checks" / "new-violation.rq"
    extra.write_text("ASK {}", encoding="utf-8")
    reason = first.mismatch(project_inputs(checkout))
    assert reason and "added or removed" in reason and "new-violation.rq" in reason


def test_a_failed_build_leaves_the_last_good_one_current(published: BuildDir, paths: Paths) -> None:
    root = published.path.parent

    def half_way(folder: Path) -> dict[str, object]:
        (folder / "store").mkdir()
        raise OSError("disk full (simulated by the test)")

    with pytest.raises(OSError, match="disk full"):
        publish(root, project_inputs(paths.root), half_way, {"ok": True})
    assert current(root) == published
    assert not list(root.glob(".*.partial"))


def test_unvalidated_builds_are_never_current(tmp_path: Path, paths: Paths) -> None:
    nquads = tmp_path / "data.nq"
    nquads.write_text("<urn:s> <urn:p> <urn:o> <urn:g> .\n<urn:s> <urn:p> <urn:o> .\n", encoding="utf-8")
    root = tmp_path / "builds"
    made = publish(root, project_inputs(paths.root), lambda d: write_store(d, nquads=nquads), {"ok": False})
    assert made.manifest["graphs"] == {"urn:g": 1} and made.manifest["default_graph"] == 1
    assert current(root) is None
    assert current(root, validated_only=False) == made


def test_publishing_keeps_the_current_and_the_previous_build(tmp_path: Path, paths: Paths) -> None:
    nquads = tmp_path / "data.nq"
    nquads.write_text("<urn:s> <urn:p> <urn:o> <urn:g> .\n", encoding="utf-8")
    root = tmp_path / "builds"
    inputs = project_inputs(paths.root)
    made = [publish(root, inputs, lambda d: write_store(d, nquads=nquads), {"ok": True}) for _ in range(3)]
    assert current(root) == made[-1]
    kept = sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and p.name != "current")
    assert kept == sorted([made[-2].id, made[-1].id])


def test_a_build_a_server_holds_is_not_removed(tmp_path: Path, paths: Paths) -> None:
    nquads = tmp_path / "data.nq"
    nquads.write_text("<urn:s> <urn:p> <urn:o> <urn:g> .\n", encoding="utf-8")
    root = tmp_path / "builds"
    inputs = project_inputs(paths.root)
    served = publish(root, inputs, lambda d: write_store(d, nquads=nquads), {"ok": True})
    with served.hold():
        later = [publish(root, inputs, lambda d: write_store(d, nquads=nquads), {"ok": True}) for _ in range(3)]
        assert served.store_path.is_dir() and served.open_store() is not None
    publish(root, inputs, lambda d: write_store(d, nquads=nquads), {"ok": True})  # released: pruned now
    assert not served.path.exists() and not later[0].path.exists() and later[2].path.exists()


def test_build_refuses_data_that_does_not_validate(
    checkout: Path, tmp_path: Path, break_a_quote: Callable[[Path], None]
) -> None:
    break_a_quote(checkout)
    root = tmp_path / "builds"
    command = [sys.executable, "-m", "bordergraph", "build", "--root", str(checkout), "--out", str(root)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1 and "INVALID" in result.stderr
    assert current(root) is None and not list(root.glob("*/manifest.json"))
