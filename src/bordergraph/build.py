"""The one pipeline: files → validated dataset → query store (+ the canonical N-Quads dump and the search index).

Serving and exporting start here, so what is served is exactly what was validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bordergraph.export.dumps import write_canonical_dump
from bordergraph.loader import Loaded, load
from bordergraph.paths import Paths, find_paths
from bordergraph.problems import Report
from bordergraph.querystore import QueryStore
from bordergraph.search import build_index
from bordergraph.validate import validate


class InvalidDataError(Exception):
    """The dataset does not validate; ``report`` lists every problem."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.render())
        self.report = report


@dataclass
class Built:
    """A validated dataset and the store that serves it."""

    loaded: Loaded
    store: QueryStore
    report: Report
    #: The canonical N-Quads dump (``export.dumps.write_canonical_dump``), when ``build`` was asked for one.
    dump: Path | None = None
    #: The search index beside the dump (``search.build_index``), when ``build`` was given a ``dump_dir``.
    search: Path | None = None

    @property
    def paths(self) -> Paths:
        """Where the validated files are (the web and the exports take these and the store)."""
        return self.loaded.paths


def build(
    root: Path | str | None = None, record_files: list[Path] | None = None, dump_dir: Path | None = None
) -> Built:
    """Load, validate and index the dataset, or raise with the full report.

    With ``dump_dir``, also write the canonical dump there (``dump_dir/bordergraph.nq``), once, and
    the search index beside it (``dump_dir/search.sqlite``, SQLite FTS5; see bordergraph.search).

    Raises:
        LoadError: a file does not parse.
        InvalidDataError: the data breaks the contract.

    """
    paths: Paths = find_paths(root)
    loaded = load(paths, record_files)
    store = QueryStore.from_dataset(loaded.dataset)
    report = validate(loaded, store)
    if not report.ok:
        raise InvalidDataError(report)
    dump = write_canonical_dump(store, dump_dir) if dump_dir is not None else None
    search = build_index(store, dump_dir / "search.sqlite").path if dump_dir is not None else None
    return Built(loaded=loaded, store=store, report=report, dump=dump, search=search)
