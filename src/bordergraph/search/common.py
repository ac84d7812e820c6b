"""What every part of the search index shares: kinds, fields, facets, limits, and opening the file."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bordergraph.prefixes import PREFIXES

#: Bumped whenever the file layout changes; ``open_index`` refuses other versions.
FORMAT_VERSION = "1"

_BG, _RDFS, _SKOS, _FOAF = PREFIXES["bg"], PREFIXES["rdfs"], PREFIXES["skos"], PREFIXES["foaf"]
_ORG, _DCT, _OA, _OWL = PREFIXES["org"], PREFIXES["dcterms"], PREFIXES["oa"], PREFIXES["owl"]
_RECORD_SPACES = (PREFIXES["bgr"], PREFIXES["bgt"])


@dataclass(frozen=True)
class Kind:
    """A kind of record as readers know it: what classes it covers and how much a match on it weighs."""

    key: str
    label: str
    plural: str
    slug: str  # the list page's name in URLs
    classes: tuple[str, ...]  # these classes and all their subclasses
    weight: float  # multiplies the BM25 score: people and organisations before the facts about them


#: In order of precedence (a record takes the first kind whose classes it has) and of display.
KINDS: tuple[Kind, ...] = (
    Kind("person", "person", "people", "people", (_FOAF + "Person",), 3.0),
    Kind("organisation", "organisation", "organisations", "organisations",
         (_ORG + "Organization", _ORG + "FormalOrganization"), 2.2),
    Kind("agreement", "agreement or policy document", "agreements and policy documents", "agreements",
         (_BG + "PolicyDocument",), 2.0),
    Kind("program", "program", "programs", "programs", (_BG + "Program",), 2.0),
    Kind("bill", "bill", "bills", "bills", (_BG + "Bill",), 2.0),
    Kind("event", "meeting or event", "meetings and events", "events", (_BG + "Event",), 1.4),
    Kind("post", "post", "posts", "posts", (_ORG + "Post",), 1.6),
    Kind("place", "place", "places", "places", (_BG + "Place",), 1.6),
    Kind("figure", "figure", "figures", "figures", (_BG + "Figure",), 1.2),
    Kind("quotation", "quotation", "quotations", "quotations", (_BG + "Quotation",), 1.1),
    Kind("claim", "claim", "claims", "claims", (_BG + "Claim",), 1.0),
    Kind("source", "source", "sources", "sources", (_BG + "SourceDocument",), 1.3),
    Kind("topic", "topic", "topics", "topics", (_SKOS + "Concept",), 1.0),
    Kind("fact", "other fact", "other facts", "facts", (_BG + "EvidencedFact",), 0.6),
    Kind("other", "other record", "other records", "other", (), 0.5),
)  # fmt: skip
KIND_BY_KEY = {k.key: k for k in KINDS}
KIND_BY_SLUG = {k.slug: k for k in KINDS}

#: Entry fields and their weights (a name match counts more than the same words in a quote).
FIELDS: dict[str, float] = {"name": 1.0, "alternative name": 0.8, "description": 0.45, "quote": 0.35}
_FIELD_PREDICATES = {
    _RDFS + "label": "name",
    _FOAF + "name": "name",
    _SKOS + "prefLabel": "name",
    _SKOS + "altLabel": "alternative name",
    _DCT + "title": "alternative name",
    _BG + "asPrinted": "alternative name",
    _DCT + "description": "description",
    _BG + "measure": "description",
}
_DATE_PREDICATES = (_BG + "date", _DCT + "issued", _BG + "attestedOn")
_COUNTRY = _BG + "Country"

#: Facets of the list pages, in display order, with the label of "no value".
FACETS: dict[str, tuple[str, str]] = {
    "kind": ("Kind", "no kind"),
    "type": ("Type", "no type"),
    "source": ("Source", "no source document (vocabulary)"),
    "year": ("Year", "no date stated"),
    "country": ("Country", "no country recorded"),
}
NONE = "none"  # the facet value of records without one

MAX_QUERY_CHARS = 500
MAX_TERMS = 24
MAX_LIMIT = 1000
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use code points: never in the data (checked at build)
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 tokenizer cuts words
_PHRASE = re.compile(r'"([^"]*)"')
_TOKENIZE_SEARCH = "porter unicode61 remove_diacritics 2"
_TOKENIZE_NAMES = "unicode61 remove_diacritics 2"  # no stemming: prefixes of what is typed must match


class SearchError(ValueError):
    """Input the caller must fix (an unknown kind or facet); the message says what is allowed."""


def open_index(path: Path | str) -> sqlite3.Connection:
    """A read-only connection to an index file (usable from any thread, one thread at a time).

    Raises:
        FileNotFoundError: there is no index at ``path``.
        ValueError: the file is not a bordergraph search index of this version (rebuild it).

    """
    target = Path(path).resolve()
    if not target.is_file():
        raise FileNotFoundError(f"no search index at {target}: build it (bordergraph.search.build_index)")
    db = sqlite3.connect(target.as_uri() + "?mode=ro&immutable=1", uri=True, check_same_thread=False)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError as exc:
        db.close()
        raise ValueError(f"{target} is not a bordergraph search index ({exc}): rebuild it") from exc
    if row is None or row[0] != FORMAT_VERSION:
        db.close()
        raise ValueError(f"{target} is a search index of another format ({row}): rebuild it")
    return db


def _connection(path_or_conn: Path | str | sqlite3.Connection) -> tuple[sqlite3.Connection, bool]:
    if isinstance(path_or_conn, sqlite3.Connection):
        return path_or_conn, False
    return open_index(path_or_conn), True


def _check_kind(kind: str | Sequence[str] | None) -> list[str]:
    wanted = [kind] if isinstance(kind, str) else list(kind or [])
    wanted = [KIND_BY_SLUG[k].key if k in KIND_BY_SLUG else k for k in wanted]
    unknown = [k for k in wanted if k not in KIND_BY_KEY]
    if unknown:
        raise SearchError(f"unknown kind {unknown[0]!r}: use one of {', '.join(KIND_BY_KEY)}")
    return wanted


def _check_limit(limit: int | None, offset: int) -> None:
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise SearchError(f"offset must be 0 or more, not {offset}")
