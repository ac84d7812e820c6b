"""Find the curated files, in a checkout first and inside an installed wheel second.

Editable installs do not see the wheel's ``_resources`` copy, so the checkout must win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class _Under:
    """A path below the root, read as an attribute (``paths.sources_dir``)."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __get__(self, paths: Paths, owner: type | None = None) -> Path:
        return paths.root.joinpath(*self.parts)


@dataclass(frozen=True)
class Paths:
    """Where one copy of the project's curated folders lives."""

    root: Path

    ontology_dir = _Under("ontology")
    shapes_file = _Under("ontology", "shapes.ttl")
    data_dir = _Under("data")
    sources_dir = _Under("data", "sources")
    sources_file = _Under("data", "sources.trig")
    queries_dir = _Under("queries")
    checks_dir = _Under("queries", "checks")
    examples_dir = _Under("queries", "examples")

    @property
    def ontology_files(self) -> list[Path]:
        """The vocabulary: the OWL ontology and the SKOS topic scheme (shapes are not data)."""
        return [self.ontology_dir / "bordergraph.ttl", self.ontology_dir / "topics.ttl"]

    @property
    def record_files(self) -> list[Path]:
        return sorted((self.data_dir / "records").glob("*.trig"))

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
