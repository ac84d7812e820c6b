"""Example queries as data: ``queries/examples/NN-slug.rq`` with ``#+ key: value`` headers (grlc style)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bordergraph.paths import Paths


@dataclass(frozen=True)
class Example:
    """One example query and its header fields."""

    path: Path
    text: str
    meta: dict[str, str]

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def summary(self) -> str:
        return self.meta.get("summary", self.slug)


def read_example(path: Path) -> Example:
    """Parse the ``#+ key: value`` header lines of a query file."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#+"):
            continue
        key, _, value = line[2:].partition(":")
        meta[key.strip()] = value.strip()
    return Example(path=path, text=text, meta=meta)


def examples(paths: Paths) -> list[Example]:
    """All example queries, in file-name order."""
    return [read_example(p) for p in sorted(paths.examples_dir.glob("*.rq"))]
