"""Search and suggest: safe tokenising of user input, FTS5 matching, ranking and highlights."""

from __future__ import annotations

import html
import json
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bordergraph.search.common import (
    _MARK_CLOSE,
    _MARK_OPEN,
    _PHRASE,
    _WORD,
    KIND_BY_KEY,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    Kind,
    _check_kind,
    _check_limit,
    _connection,
)


@dataclass(frozen=True)
class QuoteRef:
    """Where matched words are quoted: the annotation, its source and the code-point offsets."""

    annotation: str
    source: str
    source_name: str
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Hit:
    """One record found: what it is, where it is served, and the words that matched."""

    iri: str
    path: str  # the record's page on this site
    name: str
    kind: str
    kind_label: str
    types: list[str]  # labels of its most specific classes
    score: float  # higher is better; comparable within one answer only
    matched: str  # the field of the best entry: name, alternative name, description or quote
    snippet: str  # plain text of the best entry (cut to the matched words for long quotes)
    highlights: list[tuple[int, int]]  # code-point spans of the matched words in ``snippet``
    quote: QuoteRef | None = None
    all_terms: bool = True  # False: the record has some of the terms searched for, not all

    @property
    def snippet_html(self) -> str:
        """The snippet HTML-escaped, with the matched words in ``<mark>``."""
        out, at = [], 0
        for start, end in self.highlights:
            out += [html.escape(self.snippet[at:start]), "<mark>", html.escape(self.snippet[start:end]), "</mark>"]
            at = end
        out.append(html.escape(self.snippet[at:]))
        return "".join(out)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``snippet_html`` included)."""
        data = asdict(self)
        data["highlights"] = [list(h) for h in self.highlights]
        data["snippet_html"] = self.snippet_html
        return data


@dataclass(frozen=True)
class SearchResults:
    """The answer to one search: hits best first, with the number of records per kind."""

    query: str
    terms: list[str]  # the words and phrases searched for, as understood
    mode: str  # "all": the first hits hold every term; "any": no record holds them all
    total: int
    kind: str | None
    counts: dict[str, int]  # records found per kind (before the kind filter and limit)
    hits: list[Hit]
    offset: int = 0

    def groups(self) -> list[tuple[Kind, list[Hit]]]:
        """The hits grouped by kind, kinds in the order of their best hit."""
        grouped: dict[str, list[Hit]] = {}
        for hit in self.hits:
            grouped.setdefault(hit.kind, []).append(hit)
        return [(KIND_BY_KEY[k], hits) for k, hits in grouped.items()]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the query as understood, counts, and hits grouped by kind."""
        return {
            "query": self.query,
            "terms": self.terms,
            "mode": self.mode,
            "kind": self.kind,
            "total": self.total,
            "offset": self.offset,
            "counts": self.counts,
            "results": [h.to_json() for h in self.hits],
            "groups": [{"kind": k.key, "label": k.plural, "results": [h.iri for h in hits]}
                       for k, hits in self.groups()],
        }  # fmt: skip


def terms(q: str) -> list[list[str]]:
    """User input → terms, each a list of words: a "quoted phrase" is one term, any other word one term.

    Words are runs of letters and digits (how FTS5's unicode61 tokenizer cuts text), so no
    character of the input can act as FTS5 syntax; an unclosed quote is ignored.
    """
    text = unicodedata.normalize("NFC", q[:MAX_QUERY_CHARS])
    found: list[list[str]] = []
    at = 0
    for match in _PHRASE.finditer(text):
        found += [[w] for w in _WORD.findall(text[at : match.start()])]
        words = _WORD.findall(match.group(1))
        if words:
            found.append(words)
        at = match.end()
    found += [[w] for w in _WORD.findall(text[at:])]
    unique: list[list[str]] = []
    for term in found:
        if [w.casefold() for w in term] not in [[w.casefold() for w in t] for t in unique]:
            unique.append(term)
    return unique[:MAX_TERMS]


def _fts_string(words: Sequence[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def match_expression(found: Sequence[Sequence[str]], mode: str = "all", prefix: bool = False) -> str:
    """Terms → an FTS5 query of quoted strings (AND for "all", OR for "any"); ``prefix`` stars the last."""
    parts = [_fts_string(t) for t in found]
    if prefix and parts:
        parts[-1] += "*"
    return (" OR " if mode == "any" else " ").join(parts)


def _spans(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Text with highlight markers → plain text and the code-point spans that were marked."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    start = None
    length = 0
    for char in marked:
        if char == _MARK_OPEN:
            start = length
        elif char == _MARK_CLOSE and start is not None:
            if spans and spans[-1][1] == start:  # FTS5 marks each phrase token: join adjacent spans
                spans[-1] = (spans[-1][0], length)
            else:
                spans.append((start, length))
            start = None
        else:
            plain.append(char)
            length += 1
    return "".join(plain), spans


_RANKED = """
WITH m AS (
  SELECT e.record AS record, e.id AS entry, bm25({fts}) * f.weight * k.weight AS score
  FROM {fts} JOIN entries e ON e.id = {fts}.rowid JOIN records r ON r.id = e.record
  JOIN kinds k ON k.kind = r.kind JOIN fields f ON f.field = e.field
  WHERE {fts} MATCH :match {where}
), best AS (
  SELECT record, entry, score, ROW_NUMBER() OVER (PARTITION BY record ORDER BY score, entry) AS n FROM m
)
SELECT best.record, best.entry, best.score, r.kind FROM best JOIN records r ON r.id = best.record
WHERE n = 1 ORDER BY best.score, r.sort_key, r.id
"""


def _hits(
    db: sqlite3.Connection,
    fts: str,
    match: str,
    ranked: Sequence[tuple[int, int, float, str]],
    tokens: int,
    partial: frozenset[int] = frozenset(),
) -> list[Hit]:
    if not ranked:
        return []
    entry_ids = [row[1] for row in ranked]
    marks = ", ".join("?" * len(entry_ids))
    snippets = dict(
        db.execute(
            f"SELECT rowid, snippet({fts}, 0, '{_MARK_OPEN}', '{_MARK_CLOSE}', '…', {tokens}) FROM {fts} "  # noqa: S608
            f"WHERE {fts} MATCH ? AND rowid IN ({marks})",
            [match, *entry_ids],
        ).fetchall()
    )
    rows = {
        row[0]: row
        for row in db.execute(
            'SELECT e.id, r.iri, r.path, r.name, r.kind, e.field, e.annotation, e.source, e.start, e."end", '  # noqa: S608
            f"(SELECT json_group_array(label) FROM facets WHERE record = r.id AND facet = 'type' AND value != 'none'), "
            "(SELECT name FROM records WHERE iri = e.source) "
            f"FROM entries e JOIN records r ON r.id = e.record WHERE e.id IN ({marks})",
            entry_ids,
        )
    }
    hits = []
    for record, entry, score, kind in ranked:
        _, iri, path, name, _, fld, annotation, source, start, end, types, source_name = rows[entry]
        snippet, spans = _spans(snippets.get(entry, ""))
        quote = QuoteRef(annotation, source, source_name or source, start, end) if annotation else None
        hits.append(
            Hit(iri, path, name, kind, KIND_BY_KEY[kind].label, json.loads(types), round(-score, 6), fld, snippet,
                spans, quote, record not in partial)
        )  # fmt: skip
    return hits


def search(
    path_or_conn: Path | str | sqlite3.Connection,
    q: str,
    kind: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Records whose names, alternative names, descriptions or quotes hold the words of ``q``, best first.

    Records holding every term (in one name, description or quote) come first, then records
    holding some of them (``Hit.all_terms`` is False; ``mode`` is "any" when no record holds
    them all). ``kind`` (a kind key such as ``person`` or a list slug such as
    ``people``) keeps one kind; ``counts`` still gives every kind's count. Any text is a valid
    ``q``: one without letters or digits finds nothing.

    Raises:
        SearchError: ``kind`` is unknown or ``limit``/``offset`` are out of range.

    """
    kinds = _check_kind(kind)
    _check_limit(limit, offset)
    found = terms(q)
    db, owned = _connection(path_or_conn)
    try:

        def ranked_for(mode: str) -> list[tuple[int, int, float, str]]:
            match = match_expression(found, mode)
            return db.execute(_RANKED.format(fts="entries_fts", where=""), {"match": match}).fetchall()

        ranked = ranked_for("all") if found else []
        mode, partial = "all" if ranked else "any", frozenset[int]()
        if len(found) > 1:
            complete = {row[0] for row in ranked}
            more = [row for row in ranked_for("any") if row[0] not in complete]
            ranked += more
            partial = frozenset(row[0] for row in more)
        counts: dict[str, int] = {}
        for row in ranked:
            counts[row[3]] = counts.get(row[3], 0) + 1
        selected = [row for row in ranked if not kinds or row[3] in kinds]
        page = selected[offset : offset + limit]
        # Snippets mark every term found, so the any-terms expression serves both parts.
        hits = _hits(db, "entries_fts", match_expression(found, "any"), page, 24, partial)
        return SearchResults(q, [" ".join(t) for t in found], mode, len(selected), kinds[0] if kinds else None,
                             counts, hits, offset)  # fmt: skip
    finally:
        if owned:
            db.close()


def suggest(
    path_or_conn: Path | str | sqlite3.Connection,
    prefix: str,
    kind: str | Sequence[str] | None = None,
    limit: int = 10,
) -> list[Hit]:
    """Records whose names or alternative names start words with what was typed, best first.

    The last word is a prefix ("good" finds Goodale); earlier words must match whole. Ranked like
    :func:`search` (a person before the meetings named after them). ``kind`` keeps those kinds.
    """
    kinds = _check_kind(kind)
    _check_limit(limit, 0)
    found = terms(prefix)
    if not found:
        return []
    db, owned = _connection(path_or_conn)
    try:
        match = match_expression(found, "all", prefix=not prefix.rstrip().endswith('"'))
        where = "AND r.kind IN (SELECT value FROM json_each(:kinds))" if kinds else ""
        params = {"match": match, "kinds": json.dumps(kinds), "limit": limit}
        ranked = db.execute(_RANKED.format(fts="names_fts", where=where) + " LIMIT :limit", params).fetchall()
        return _hits(db, "names_fts", match, ranked, 64)
    finally:
        if owned:
            db.close()
