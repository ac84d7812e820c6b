"""Find the curated files, in a checkout first and inside an installed wheel second.

Editable installs do not see the wheel's ``_resources`` copy, so the checkout must win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Where one copy of the project's curated folders lives."""

    root: Path

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def ontology_files(self) -> list[Path]:
        """The vocabulary: the OWL ontology and the SKOS topic scheme (shapes are not data)."""
        return [self.ontology_dir / "bordergraph.ttl", self.ontology_dir / "topics.ttl"]

    @property
    def shapes_file(self) -> Path:
        return self.ontology_dir / "shapes.ttl"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def sources_file(self) -> Path:
        return self.data_dir / "sources.trig"

    @property
    def record_files(self) -> list[Path]:
        return sorted((self.data_dir / "records").glob("*.trig"))

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def checks_dir(self) -> Path:
        return self.queries_dir / "checks"

    @property
    def examples_dir(self) -> Path:
        return self.queries_dir / "examples"

    def relative(self, path: Path) -> str:
        """Show a path relative to the root when it is inside it (for reports)."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def _is_root(candidate: Path) -> bool:
    return (candidate / "ontology" / "bordergraph.ttl").is_file() and (candidate / "data").is_dir()


def find_paths(root: Path | str | None = None) -> Paths:
    """Return the project paths: an explicit root, else $BORDERGRAPH_ROOT, else the checkout, else the packaged copy.

    The variable is the one the CLI's ``--root`` reads, so the test suite can run on a copy of the
    project (tests/test_recipe.py does, for a new release).
    """
    if root is None and os.environ.get("BORDERGRAPH_ROOT"):
        root = os.environ["BORDERGRAPH_ROOT"]
    if root is not None:
        root = Path(root)
        if not _is_root(root):
            raise FileNotFoundError(f"{root} has no ontology/bordergraph.ttl and data/: not a bordergraph root")
        return Paths(root)
    checkout = Path(__file__).resolve().parents[2]
    if _is_root(checkout):
        return Paths(checkout)
    packaged = Path(__file__).resolve().parent / "_resources"
    if _is_root(packaged):
        return Paths(packaged)
    raise FileNotFoundError("cannot find the bordergraph ontology/ and data/ folders")
