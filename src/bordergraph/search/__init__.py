"""Full-text search and browsing over the validated store: one SQLite file built with the build.

The index holds every record of the dataset (``bgr:`` records and ``bgt:`` topics, but not the
annotations themselves) with its kind (person, organisation, meeting or event, agreement, …), and
one *entry* per thing a reader may type:

- ``name``: rdfs:label, foaf:name, skos:prefLabel;
- ``alternative name``: skos:altLabel, dcterms:title, bg:asPrinted (names as the source prints them);
- ``description``: dcterms:description, bg:measure;
- ``quote``: the verbatim words (oa:exact) of every annotation, attached to each record the
  annotation supports (its oa:hasBody), with the source and the code-point offsets.

Entries are indexed with SQLite FTS5 (standard library; bench/bench_search.py measures it against
the scans it replaces). A record's score is the BM25 score of its best entry times a field weight
and a kind weight, so a person outranks the meetings named after them, and names outrank quotes.
User input never reaches FTS5's query language: it is cut into words (letters and digits), each
word or "quoted phrase" becomes an FTS5 string, so any input gives results or none, never a
syntax error.

Browsing lists the records of one kind (or all) with facets computed at build time: kind, type
(the most specific class), source (the source documents whose graphs describe the record), year
(the year of the record's own date: bg:date, dcterms:issued or bg:attestedOn, never guessed from
its sources) and country (a country the record links to, its location's country, or for a person
the country of the government of a post they hold). A record without a value for a facet is
counted under an explicit "not stated" value, so undated stays visibly undated.

Written by hand: no maintained library builds a faceted full-text index from RDF; the ranking,
tokenising and faceting are small and specific to this dataset's vocabulary.

The package: ``common`` (kinds, facets, limits, opening the file), ``index`` (building it),
``query`` (search, suggest), ``browse`` (lists with facets, counts); every public name is here.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from bordergraph.search.browse import CSV_COLUMNS, FacetValue, Listing, Row, browse, kind_counts, type_counts
from bordergraph.search.common import (
    FACETS,
    FIELDS,
    FORMAT_VERSION,
    KIND_BY_KEY,
    KIND_BY_SLUG,
    KINDS,
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    NONE,
    Kind,
    SearchError,
    open_index,
)
from bordergraph.search.index import IndexStats, build_index
from bordergraph.search.query import Hit, QuoteRef, SearchResults, match_expression, search, suggest, terms

__all__ = [
    "CSV_COLUMNS",
    "FACETS",
    "FIELDS",
    "FORMAT_VERSION",
    "KINDS",
    "KIND_BY_KEY",
    "KIND_BY_SLUG",
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "NONE",
    "FacetValue",
    "Hit",
    "IndexStats",
    "Kind",
    "Listing",
    "QuoteRef",
    "Row",
    "SearchError",
    "SearchIndex",
    "SearchResults",
    "browse",
    "build_index",
    "kind_counts",
    "match_expression",
    "open_index",
    "search",
    "suggest",
    "terms",
    "type_counts",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _on_index(func: Callable[Concatenate[sqlite3.Connection, _P], _R]) -> Callable[Concatenate[SearchIndex, _P], _R]:
    """A function of an index connection as a method of :class:`SearchIndex` (its connection for this thread)."""

    @functools.wraps(func)
    def method(self: SearchIndex, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return func(self.db, *args, **kwargs)

    method.__doc__ = f"See :func:`{func.__name__}`."
    return method


class SearchIndex:
    """An index file opened once per thread; search, suggest and browse without reopening."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        open_index(self.path).close()  # fail now, not on the first request
        self._local = threading.local()

    @property
    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_index(self.path)
        return db

    search = _on_index(search)
    suggest = _on_index(suggest)
    browse = _on_index(browse)
    kind_counts = _on_index(kind_counts)
    type_counts = _on_index(type_counts)
