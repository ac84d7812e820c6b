"""The build directory: atomic publication, the manifest, and when a build is reused or rebuilt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from bordergraph.build import Built, build
from bordergraph.builddir import (
    DUMP,
    BuildDir,
    BuildError,
    current,
    project_inputs,
    publish,
    publish_built,
    tool_versions,
    write_store,
)
from bordergraph.paths import Paths


@pytest.fixture
def checkout(tmp_path: Path, paths: Paths) -> Path:
    """A copy of the curated folders that a test may change."""
    root = tmp_path / "checkout"
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(paths.root / folder, root / folder)
    return root


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, built: Built, paths: Paths) -> BuildDir:
    root = tmp_path_factory.mktemp("builds")
    return publish_built(built, root, project_inputs(paths.root))


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
    quads = sum(1 for _ in store.quads_for_pattern(None, None, None, None))
    assert quads == len(built.store) + manifest["default_graph"]
    dump = (published.path / DUMP).read_text(encoding="utf-8").splitlines()
    assert dump == sorted(dump) and len(dump) == len(built.store)
    assert current(published.path.parent) == published


def test_read_only_store_answers_like_the_validated_one(published: BuildDir, built: Built) -> None:
    query = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type"
    on_disk = published.open_store().query(query).serialize(format=ox.QueryResultsFormat.TSV)
    in_memory = built.store.store.query(query).serialize(format=ox.QueryResultsFormat.TSV)
    assert on_disk == in_memory and on_disk and len(on_disk.splitlines()) > 5


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


def test_refuses_to_publish_data_that_did_not_validate(built: Built, tmp_path: Path, paths: Paths) -> None:
    from bordergraph.loader import Problem
    from bordergraph.validate import Report

    invalid = Built(loaded=built.loaded, store=built.store, report=Report(problems=[Problem("r", "f", "x", "bad")]))
    with pytest.raises(BuildError, match="did not validate"):
        publish_built(invalid, tmp_path / "builds", project_inputs(paths.root))
    assert not (tmp_path / "builds").exists() or current(tmp_path / "builds") is None
