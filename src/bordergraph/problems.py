"""The one report model: every check (loading, mappings, shapes, SPARQL checks, quotes) writes ``Problem`` s.

Ground floor: nothing in the package below this module, so the loader, the mappings and the
validator can all report without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, said so that a curator can fix it."""

    rule: str
    file: str
    record: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.record}]" if self.record else "")
        return f"{where}: {self.rule}: {self.message}"


class LoadError(Exception):
    """The files could not be read into a dataset; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Report:
    """Everything wrong with a dataset, plus what was checked."""

    problems: list[Problem] = field(default_factory=list)
    shapes: int = 0
    checks: int = 0
    quotes_verified: int = 0
    strings_verified: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        """A report a curator can act on, one line per problem."""
        head = (
            f"{self.shapes} SHACL shapes, {self.checks} SPARQL checks, "
            f"{self.quotes_verified} quotes and {self.strings_verified} printed strings verified against the sources"
        )
        if self.ok:
            return f"OK: {head}; no problems."
        lines = [f"INVALID: {len(self.problems)} problem(s) ({head})"]
        lines += [f"  - {p}" for p in sorted(self.problems, key=lambda p: (p.file, p.record, p.rule))]
        return "\n".join(lines)
