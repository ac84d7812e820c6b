"""Query syntax errors in words: line and column, the line itself, and a hint for the common mistakes.

Oxigraph reports ``error at L:C: expected one of …`` with the parser's token list (for an
undeclared prefix, a list of Unicode ranges). This turns that into a message a person can act
on: a misspelt keyword gets "did you mean LIMIT?", an undeclared prefix gets the project's
``PREFIX`` line. Written by hand: no library explains Oxigraph's (or any SPARQL) parse errors.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bordergraph.prefixes import PREFIXES

#: SPARQL 1.1 keywords a misspelling is compared with (the grammar's reserved words).
KEYWORDS = sorted(
    """BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED FROM NAMED WHERE GRAPH OPTIONAL UNION
    MINUS FILTER BIND VALUES SERVICE SILENT ORDER BY ASC DESC LIMIT OFFSET GROUP HAVING AS UNDEF EXISTS NOT
    IN COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE
    RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE
    STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512
    COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE TRUE
    FALSE""".split()  # noqa: SIM905 (a word list reads better than 100 quoted strings)
)
_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.S)
_PNAME = re.compile(r"(?<![\w?$<:\"'])([A-Za-z][\w.-]*)?:(?=[\w%\\])")
_WORD = re.compile(r"(?<![\w?$:<\"'@^])[A-Za-z_]+(?![\w:(])")
_STRINGS_IRIS_COMMENTS = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#[^\n]*")


@dataclass(frozen=True)
class SyntaxProblem:
    """A parse error explained: where it is, what is wrong, and what to do."""

    line: int | None
    column: int | None
    problem: str
    hint: str
    excerpt: str

    @property
    def message(self) -> str:
        where = f" at line {self.line}, column {self.column}" if self.line else ""
        text = f"query syntax error{where}: {self.problem}"
        return f"{text}. {self.hint}" if self.hint else text

    def as_json(self) -> dict[str, object]:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "excerpt": self.excerpt,
        }


def _blank_out(query: str) -> str:
    """The query with IRIs, strings and comments replaced by spaces (positions kept)."""
    return _STRINGS_IRIS_COMMENTS.sub(lambda m: " " * len(m.group(0)), query)


def undeclared_prefixes(query: str) -> dict[str, int]:
    """Prefixes used in prefixed names but never declared with PREFIX, with the offset of their first use."""
    code = _blank_out(query)
    declared = {m.group(1) or "" for m in re.finditer(r"(?i)PREFIX\s+([\w.-]*):", code)}
    used: dict[str, int] = {}
    for m in _PNAME.finditer(code):
        prefix = m.group(1) or ""
        if prefix not in declared and prefix not in used and not re.search(r"(?i)PREFIX\s*$", code[: m.start()]):
            used[prefix] = m.start()
    return used


def position(query: str, offset: int) -> tuple[int, int]:
    """(line, column), both counted from 1, of a character offset."""
    before = query[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def misspelt_keyword(query: str, line: int | None, column: int | None) -> tuple[str, str, int] | None:
    """(word, keyword, offset) for a bare word close to a SPARQL keyword, nearest before the error position."""
    code = _blank_out(query)
    limit = len(code)
    if line is not None and column is not None:
        lines = code.split("\n")
        limit = sum(len(x) + 1 for x in lines[: line - 1]) + column + 1
    best: tuple[str, str, int] | None = None
    for m in _WORD.finditer(code):
        if m.start() > limit:
            break
        word = m.group(0)
        if word.upper() in KEYWORDS or word in ("a",):
            continue
        close = difflib.get_close_matches(word.upper(), KEYWORDS, n=1, cutoff=0.75)
        if close:
            best = (word, close[0], m.start())
    return best


def explain(query: str, raw: str) -> SyntaxProblem:
    """Turn Oxigraph's ``error at L:C: expected …`` about ``query`` into a message with a hint."""
    m = _POSITION.search(raw)
    line = int(m.group(1)) if m else None
    column = int(m.group(2)) if m else None
    detail = (m.group(3) if m else raw).strip()

    def excerpt(line: int | None, column: int | None) -> str:
        lines = query.split("\n")
        if line is None or column is None or not 0 < line <= len(lines):
            return ""
        return f"{line:>4} | {lines[line - 1]}\n     | {' ' * max(column - 1, 0)}^"

    # Oxigraph's position is where its parser gave up, often well after the mistake: for the two
    # mistakes recognised here, the position of the word itself is given instead.
    missing = undeclared_prefixes(query)
    if missing:
        line, column = position(query, min(missing.values()))
        known = [p for p in missing if p in PREFIXES]
        lines_to_add = " ".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in known)
        unknown = [p for p in missing if p not in PREFIXES]
        hint = f"Add the project's line: {lines_to_add}" if known else ""
        if unknown:
            hint += ("; " if hint else "") + " ".join(
                f"Declare {p or '(empty)'}: with PREFIX {p}: <…>" for p in unknown
            )
        names = ", ".join(f"{p}:" for p in missing)
        return SyntaxProblem(line, column, f"the prefix {names} is not declared", hint, excerpt(line, column))
    typo = misspelt_keyword(query, line, column)
    if typo:
        word, keyword, offset = typo
        line, column = position(query, offset)
        return SyntaxProblem(line, column, f"unexpected word {word}", f"Did you mean {keyword}?", excerpt(line, column))
    expected = re.sub(r"^expected (one of )?", "", detail)
    tokens = [t.strip() for t in expected.split(",")]
    if detail.startswith("expected") and len(tokens) <= 6 and all(re.fullmatch(r"[A-Za-z_]+", t) for t in tokens):
        problem = "expected " + (tokens[0] if len(tokens) == 1 else "one of " + ", ".join(tokens))
    else:
        problem = "the query cannot be read here"
    return SyntaxProblem(
        line, column, problem, "Check the brackets, dots and keywords just before this point", excerpt(line, column)
    )
