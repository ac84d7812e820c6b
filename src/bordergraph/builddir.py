"""The build directory: one validated build on disk, published atomically, reused while its inputs match.

::

    build/                                   the build root (``--out`` / ``--build-dir``)
    ├── current -> 20261129T172501Z-3fa2c4   symlink to the last good build, replaced atomically
    ├── 20261129T172501Z-3fa2c4/
    │   ├── store/                           Oxigraph (RocksDB): named graphs + their merge as the
    │   │                                    default graph; bulk-loaded, then optimised
    │   ├── bordergraph.nq                   the canonical N-Quads dump of the named graphs
    │   └── manifest.json                    inputs (sha256, size, mtime), validation summary,
    │                                        triples per graph, tool versions
    └── .lock                                held (flock) while a build writes

A build is written into a hidden ``.<id>.partial`` folder beside the old builds, renamed to
``<id>`` once complete, and only then does ``current`` point to it (``os.replace`` of a symlink is
atomic). A build that fails or is killed leaves ``current`` where it was; the next build removes its
leftovers. The build before the current one is kept, so a server still reading it keeps working.

Only ``manifest.json`` says whether a build validated: ``current()`` returns a build only when it
did, so nothing unvalidated is ever served (the benchmark's unvalidated builds are opened with
``validated_only=False``, explicitly).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import platform
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from bordergraph.problems import Report

MANIFEST = "manifest.json"
STORE = "store"
DUMP = "bordergraph.nq"
SEARCH = "search.sqlite"
CURRENT = "current"
IN_USE = ".in-use"
FORMAT = 1  # of the manifest; a build with another format is rebuilt
#: Distributions whose versions go into the manifest (a change of any of them means a rebuild).
TOOLS = ("bordergraph", "pyoxigraph", "rdflib", "pyshacl")
_PACKAGE = Path(__file__).resolve().parent


class BuildError(Exception):
    """The build directory cannot be written or read (the message says which path and why)."""


@dataclass(frozen=True)
class Inputs:
    """The files a build is made from, named relative to ``base`` in the manifest."""

    base: Path
    files: tuple[Path, ...]

    def names(self) -> dict[str, Path]:
        """Each file under its name in the manifest (a path relative to ``base`` where it can be)."""
        named = {}
        for path in self.files:
            try:
                name = path.resolve().relative_to(self.base.resolve()).as_posix()
            except ValueError:
                name = path.resolve().as_posix()
            named[name] = path
        return dict(sorted(named.items()))

    def fingerprint(self, known: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        """sha256, size and mtime of every input file.

        A file whose size and mtime equal those in ``known`` keeps the hash recorded there without
        being read again (git's index and make trust the same stat data): checking a large input
        costs a ``stat``, not a read.
        """
        known = known or {}
        prints: dict[str, dict[str, Any]] = {}
        for name, path in self.names().items():
            stat = path.stat()
            seen = known.get(name)
            if seen and seen.get("size") == stat.st_size and seen.get("mtime_ns") == stat.st_mtime_ns:
                prints[name] = dict(seen)
                continue
            prints[name] = {"sha256": sha256_file(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        return prints


def project_inputs(root: Path, record_files: Iterable[Path] | None = None) -> Inputs:
    """Every file a build of the project reads: ontology/, data/, queries/ (or the given record files)."""
    files: list[Path] = []
    for folder in ("ontology", "data", "queries"):
        files += [p for p in (root / folder).rglob("*") if p.is_file() and not _hidden(p, root)]
    if record_files is not None:
        records = root / "data" / "records"
        files = [p for p in files if records not in p.parents] + [Path(p) for p in record_files]
    return Inputs(base=root, files=tuple(sorted(set(files))))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tool_versions() -> dict[str, str]:
    """Python, the libraries that read, validate and store the data, and a digest of this package's code.

    A checkout is not reinstalled when its code changes (its version stays the same), so the
    digest of the package's own ``.py`` files stands for the validator's version.
    """
    versions = {"python": platform.python_version()}
    for name in TOOLS:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    versions["bordergraph code"] = digest.hexdigest()[:16]
    return versions


@dataclass(frozen=True)
class BuildDir:
    """A finished build: its folder and its manifest."""

    path: Path
    manifest: dict[str, Any]

    @property
    def id(self) -> str:
        """The build's name (UTC time and a digest of what it was made from)."""
        return str(self.manifest["id"])

    @property
    def store_path(self) -> Path:
        return self.path / STORE

    @property
    def dump_path(self) -> Path | None:
        """The canonical N-Quads dump, when the build has one."""
        dump = self.path / DUMP
        return dump if dump.is_file() else None

    @property
    def validated(self) -> bool:
        return self.manifest.get("validation", {}).get("ok") is True

    @property
    def graph_sizes(self) -> dict[str, int]:
        """Triples per named graph, as counted when the build was written."""
        return {str(k): int(v) for k, v in self.manifest["graphs"].items()}

    @property
    def default_size(self) -> int:
        return int(self.manifest["default_graph"])

    def hold(self) -> IO[str]:
        """Mark the build as in use for as long as the returned file stays open (a shared lock).

        Publishing keeps the current and the previous build and removes older ones, except those a
        running server holds: its workers must still be able to open the store when replaced.
        """
        handle = (self.path / IN_USE).open("a")
        fcntl.flock(handle, fcntl.LOCK_SH)
        return handle

    def open_store(self) -> ox.Store:
        """The store, read-only: any number of processes may open it at once (about 15 ms, 30 MB each)."""
        return ox.Store.read_only(str(self.store_path))

    def mismatch(self, inputs: Inputs) -> str | None:
        """Why this build is not a build of ``inputs`` with today's tools, or None when it is."""
        if self.manifest.get("format") != FORMAT:
            return "the build was written by another version of bordergraph"
        recorded: dict[str, dict[str, Any]] = self.manifest.get("inputs", {})
        names = inputs.names()
        if set(names) != set(recorded):
            changed = sorted(set(names) ^ set(recorded))
            return f"input files added or removed: {', '.join(changed[:5])}{' …' if len(changed) > 5 else ''}"
        now = inputs.fingerprint(recorded)
        changed = [name for name in names if now[name]["sha256"] != recorded[name].get("sha256")]
        if changed:
            return f"input files changed: {', '.join(changed[:5])}{' …' if len(changed) > 5 else ''}"
        tools = tool_versions()
        if self.manifest.get("tools") != tools:
            moved = sorted(k for k in tools if self.manifest.get("tools", {}).get(k) != tools[k])
            return f"tools changed since the build: {', '.join(moved)}"
        return None


def current(root: Path, validated_only: bool = True) -> BuildDir | None:
    """The build ``root/current`` points to, or None (no build yet, a broken one, or not validated)."""
    link = root / CURRENT
    try:
        target = link.resolve(strict=True)
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = BuildDir(target, manifest)
    if not (target / STORE).is_dir() or (validated_only and not found.validated):
        return None
    return found


def publish(
    root: Path,
    inputs: Inputs,
    fill: Callable[[Path], dict[str, Any]],
    validation: dict[str, Any] | None = None,
    prints: dict[str, dict[str, Any]] | None = None,
) -> BuildDir:
    """Write a new build beside the old ones and make it current, atomically.

    ``fill(folder)`` writes ``folder/store`` (and the dump) and returns the manifest's ``graphs``,
    ``default_graph`` and ``triples`` (``write_store`` counts them), and may return ``validation``;
    ``validation`` is the validation summary (``{"ok": True, ...}`` for a build that may be served).
    If ``fill`` raises, or the process dies, ``current`` is unchanged.

    Raises:
        BuildError: another build holds the lock, or the folder cannot be written.

    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the build folder {root}: {exc.strerror or exc}") from exc
    prints = prints if prints is not None else inputs.fingerprint()
    tools = tool_versions()
    with _locked(root):
        _remove_partials(root)
        digest = hashlib.sha256(json.dumps([prints, tools], sort_keys=True).encode()).hexdigest()[:12]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        build_id = f"{stamp}-{digest}"
        partial = root / f".{build_id}.partial"
        partial.mkdir()
        try:
            counts = fill(partial)
            manifest = {
                "format": FORMAT,
                "id": build_id,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "inputs": prints,
                "validation": validation or {"ok": False, "note": "no validation summary was given"},
                "tools": tools,
                "dump_sha256": sha256_file(partial / DUMP) if (partial / DUMP).is_file() else None,
                **counts,
            }
            _write_synced(partial / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))
            final = root / build_id
            os.rename(partial, final)
            _fsync_dir(root)
            _point(root, build_id)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        _prune(root, keep={build_id, *_previous(root, build_id)})
    return BuildDir(final, manifest)


def write_store(folder: Path, quads: Iterable[ox.Quad] | None = None, nquads: Path | None = None) -> dict[str, Any]:
    """Bulk-load ``quads`` (or an N-Quads file) into ``folder/store``, optimise it, and count it.

    The quads must already hold the default graph the store should serve (the merge of the named
    graphs). Returns the manifest's ``graphs`` (triples per named graph) and ``default_graph``.
    """
    store = ox.Store(str(folder / STORE))
    if nquads is not None:
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    if quads is not None:
        store.bulk_extend(quads)
    store.optimize()
    graphs: dict[str, int] = {}
    default = 0
    for quad in store.quads_for_pattern(None, None, None, None):
        if isinstance(quad.graph_name, ox.DefaultGraph):
            default += 1
        else:
            name = quad.graph_name.value
            graphs[name] = graphs.get(name, 0) + 1
    store.flush()
    del store  # closes RocksDB before the folder is renamed
    return {"graphs": dict(sorted(graphs.items())), "default_graph": default, "triples": sum(graphs.values())}


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One build at a time per root (the kernel drops the lock when a build dies)."""
    with (root / ".lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildError(f"another build is writing to {root}: wait for it to finish") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_partials(root: Path) -> None:
    for leftover in root.glob(".*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)


def _point(root: Path, build_id: str) -> None:
    """Point ``root/current`` at ``build_id`` in one step: a new symlink renamed over the old one."""
    temporary = root / f".current-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(build_id, target_is_directory=True)
    os.replace(temporary, root / CURRENT)
    _fsync_dir(root)


def _previous(root: Path, build_id: str) -> list[str]:
    """The newest finished build older than ``build_id`` (kept for servers still reading it)."""
    older = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name < build_id)
    return older[-1:]


def _prune(root: Path, keep: set[str]) -> None:
    for entry in root.iterdir():
        if entry.is_symlink() or entry.name.startswith(".") or entry.name in keep:
            continue
        if not (entry / MANIFEST).is_file():  # only folders that are builds
            continue
        with (entry / IN_USE).open("a") as marker:
            try:
                fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running server holds it (BuildDir.hold)
            shutil.rmtree(entry, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def validation_summary(report: Report) -> dict[str, Any]:
    """The manifest's record of a validation report (``ok`` is what serving checks)."""
    return {
        "ok": report.ok,
        "problems": len(report.problems),
        "shapes": report.shapes,
        "checks": report.checks,
        "quotes_verified": report.quotes_verified,
        "strings_verified": report.strings_verified,
        "summary": report.render().splitlines()[0],
    }
