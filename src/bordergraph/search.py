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
"""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bordergraph.prefixes import BASE, PREFIXES, compact, expand, sparql_prologue

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


# --------------------------------------------------------------------------------------------
# Reading the store
# --------------------------------------------------------------------------------------------


def _as_store(store_or_quads: Any) -> ox.Store:
    """A pyoxigraph Store from a Store, an object holding one as ``.store``, or an iterable of quads."""
    if isinstance(store_or_quads, ox.Store):
        return store_or_quads
    inner = getattr(store_or_quads, "store", None)
    if isinstance(inner, ox.Store):
        return inner
    store = ox.Store()
    store.bulk_extend(q for q in store_or_quads if isinstance(q, ox.Quad))
    return store


def _select(store: ox.Store, query: str) -> list[dict[str, Any]]:
    """Every query reads named graphs only (GRAPH ?g), so a store with or without a merged default works."""
    result = store.query(sparql_prologue() + query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names} for row in result]


def _text(term: Any) -> str:
    return "" if term is None else str(term.value)


def _is_record(iri: str) -> bool:
    return iri.startswith(_RECORD_SPACES)


def _closure(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Every class → itself and all its superclasses (rdfs:subClassOf, transitively)."""
    direct: dict[str, set[str]] = defaultdict(set)
    for sub, sup in pairs:
        direct[sub].add(sup)
    supers: dict[str, set[str]] = {}

    def walk(cls: str) -> set[str]:
        if cls not in supers:
            supers[cls] = {cls}
            for sup in direct.get(cls, ()):
                supers[cls] |= walk(sup)
        return supers[cls]

    for cls in list(direct):
        walk(cls)
    return supers


@dataclass
class _Record:
    iri: str
    types: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    facets: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # facet → value → label
    kind: Kind = KINDS[-1]


def _words(local_name: str) -> str:
    """``NewsArticle`` → ``news article``: a class without a label, named like the labelled ones."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local_name).lower()


def _year(value: str) -> str | None:
    match = re.match(r"^(\d{4})(?:-|$)", value)
    return match.group(1) if match else None


_Entry = tuple[str, str, str, str, str, int | None, int | None]  # record, field, text, annotation, source, start, end


def _collect(store: ox.Store) -> tuple[dict[str, _Record], list[_Entry]]:
    """Records with kinds and facets, and entries (record, field, text, annotation, source, start, end)."""
    supers = _closure(
        (_text(r["c"]), _text(r["s"]))
        for r in _select(store, "SELECT DISTINCT ?c ?s WHERE { GRAPH ?g { ?c rdfs:subClassOf ?s } "
                                "FILTER(isIRI(?c) && isIRI(?s)) }")
    )  # fmt: skip
    class_labels: dict[str, str] = {}
    for r in _select(store, "SELECT ?c ?l WHERE { GRAPH ?g { ?c a owl:Class ; rdfs:label ?l } "
                            "FILTER(LANG(?l) IN ('en', '')) } ORDER BY ?c ?l"):  # fmt: skip
        class_labels.setdefault(_text(r["c"]), _text(r["l"]))

    records: dict[str, _Record] = {}
    for r in _select(store, "SELECT DISTINCT ?x ?t WHERE { GRAPH ?g { ?x a ?t } FILTER(isIRI(?x) && isIRI(?t)) }"):
        iri = _text(r["x"])
        if _is_record(iri):
            records.setdefault(iri, _Record(iri)).types.add(_text(r["t"]))
    for record in records.values():
        every = set().union(*(supers.get(t, {t}) for t in record.types)) if record.types else set()
        record.kind = next((k for k in KINDS if every & set(k.classes)), KINDS[-1])
        # The most specific classes: asserted types no other asserted type narrows.
        specific = [t for t in record.types if not any(o != t and t in supers.get(o, ()) for o in record.types)]
        for t in specific:
            record.facets["type"][compact(t)] = class_labels.get(t) or _words(re.split(r"[/#]", t)[-1])
        record.facets["kind"][record.kind.key] = record.kind.plural
    # Annotations are evidence, not records: their words are entries of the records they support.
    records = {iri: r for iri, r in records.items() if _OA + "Annotation" not in r.types}

    entries: list[_Entry] = []
    seen: set[tuple[str, str, str]] = set()
    values = " ".join(f"<{p}>" for p in _FIELD_PREDICATES)
    rows = _select(
        store,
        f"SELECT DISTINCT ?x ?p ?l WHERE {{ VALUES ?p {{ {values} }} GRAPH ?g {{ ?x ?p ?l }} "
        "FILTER(isIRI(?x) && isLiteral(?l) && LANG(?l) IN ('en', '')) }",
    )
    # Names first, so a text that is both a label and an alias is entered once, as a name.
    # Within names, rdfs:label first: the label is the record's name on the site.
    order = list(_FIELD_PREDICATES)
    rows.sort(key=lambda r: (_text(r["x"]), list(FIELDS).index(_FIELD_PREDICATES[_text(r["p"])]),
                             order.index(_text(r["p"])), _text(r["l"])))  # fmt: skip
    for r in rows:
        iri, fld, text = _text(r["x"]), _FIELD_PREDICATES[_text(r["p"])], _text(r["l"]).strip()
        if iri not in records or not text:
            continue
        key = (iri, "names" if fld in ("name", "alternative name") else fld, text)
        if key in seen:
            continue
        seen.add(key)
        if fld == "name":
            records[iri].names.append(text)
        entries.append((iri, fld, text, "", "", None, None))

    for r in _select(store, """
        SELECT DISTINCT ?a ?body ?exact ?src ?start ?end WHERE { GRAPH ?g {
          ?a a oa:Annotation ; oa:hasBody ?body ; oa:hasTarget ?t .
          ?t oa:hasSource ?src ; oa:hasSelector ?sel . ?sel oa:exact ?exact .
          OPTIONAL { ?t oa:hasSelector ?pos . ?pos oa:start ?start ; oa:end ?end } } }
        ORDER BY ?body ?src ?start ?a"""):  # fmt: skip
        body = _text(r["body"])
        if body not in records:
            continue
        key = (body, "quote", _text(r["a"]))
        if key in seen:
            continue
        seen.add(key)
        start = int(_text(r["start"])) if r["start"] is not None else None
        end = int(_text(r["end"])) if r["end"] is not None else None
        entries.append((body, "quote", _text(r["exact"]), _text(r["a"]), _text(r["src"]), start, end))

    names = {iri: r.names[0] for iri, r in records.items() if r.names}
    # Sources: the source documents whose graphs describe the record.
    graph_source = {
        _text(r["g"]): _text(r["s"]) for r in _select(store, "SELECT ?s ?g WHERE { GRAPH ?h { ?s bg:sourceGraph ?g } }")
    }
    for r in _select(store, "SELECT DISTINCT ?x ?g WHERE { GRAPH ?g { ?x ?p ?o } FILTER(isIRI(?x)) }"):
        iri, source = _text(r["x"]), graph_source.get(_text(r["g"]))
        if iri in records and source:
            records[iri].facets["source"][compact(source)] = names.get(source, source)
    for iri, record in records.items():
        if record.kind.key == "source":
            record.facets["source"][compact(iri)] = names.get(iri, iri)

    dates = " ".join(f"<{p}>" for p in _DATE_PREDICATES)
    for r in _select(store, f"SELECT DISTINCT ?x ?d WHERE {{ VALUES ?p {{ {dates} }} GRAPH ?g {{ ?x ?p ?d }} }}"):
        iri, year = _text(r["x"]), _year(_text(r["d"]))
        if iri in records and year:
            records[iri].facets["year"][year] = year

    countries = {iri for iri, r in records.items() if _COUNTRY in r.types}
    links: dict[str, set[tuple[str, str]]] = defaultdict(set)
    links_query = (
        "SELECT DISTINCT ?x ?p ?o WHERE { GRAPH ?g { ?x ?p ?o } "
        "FILTER(isIRI(?x) && isIRI(?o) && ?p != rdf:type && STRSTARTS(STR(?o), STR(bgr:))) }"
    )
    for r in _select(store, links_query):
        links[_text(r["x"])].add((_text(r["p"]), _text(r["o"])))

    def direct(iri: str) -> set[str]:
        own = {iri} if iri in countries else set()
        return own | {o for p, o in links.get(iri, ()) if o in countries and p.startswith((_BG, _ORG))}

    for iri, record in records.items():
        found = direct(iri)
        for p, o in links.get(iri, ()):
            if p == _BG + "location":  # a city or place: its country
                found |= direct(o)
            if p == _ORG + "holds":  # a post: its own country, or its government's
                found |= direct(o)
                for p2, gov in links.get(o, ()):
                    if p2 == _ORG + "postIn":
                        found |= direct(gov)
        for country in found:
            record.facets["country"][compact(country)] = names.get(country, country)

    for record in records.values():
        for facet, (_, none_label) in FACETS.items():
            if not record.facets[facet]:
                record.facets[facet][NONE] = none_label
    return records, entries


# --------------------------------------------------------------------------------------------
# Building the index
# --------------------------------------------------------------------------------------------

_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kinds(kind TEXT PRIMARY KEY, position INTEGER NOT NULL, label TEXT NOT NULL, plural TEXT NOT NULL,
                   slug TEXT NOT NULL, weight REAL NOT NULL);
CREATE TABLE fields(field TEXT PRIMARY KEY, weight REAL NOT NULL);
CREATE TABLE records(id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, path TEXT NOT NULL, name TEXT NOT NULL,
                     kind TEXT NOT NULL REFERENCES kinds, sort_key TEXT NOT NULL);
CREATE INDEX records_kind ON records(kind, sort_key);
CREATE TABLE facets(facet TEXT NOT NULL, value TEXT NOT NULL, record INTEGER NOT NULL REFERENCES records,
                    label TEXT NOT NULL, PRIMARY KEY(facet, value, record)) WITHOUT ROWID;
CREATE INDEX facets_record ON facets(record, facet);
CREATE TABLE entries(id INTEGER PRIMARY KEY, record INTEGER NOT NULL REFERENCES records,
                     field TEXT NOT NULL REFERENCES fields, text TEXT NOT NULL,
                     annotation TEXT, source TEXT, start INTEGER, "end" INTEGER);
CREATE INDEX entries_record ON entries(record);
CREATE VIRTUAL TABLE entries_fts USING fts5(text, content='entries', content_rowid='id',
                                            tokenize='{_TOKENIZE_SEARCH}');
CREATE VIRTUAL TABLE names_fts USING fts5(text, content='entries', content_rowid='id',
                                          tokenize='{_TOKENIZE_NAMES}');
"""


@dataclass(frozen=True)
class IndexStats:
    """What ``build_index`` wrote."""

    path: Path
    records: int
    entries: int
    bytes: int


def _local_path(iri: str) -> str:
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else iri


def _sort_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.sub(r"^[^\w]+", "", plain)


def build_index(store_or_quads: Any, path: Path | str) -> IndexStats:
    """Build the search index of a store (or an iterable of quads) into the SQLite file ``path``.

    The file is written beside ``path`` and moved into place when complete, so a reader never
    sees a half-built index. Raises ValueError if the data holds the private-use characters the
    index uses to mark highlights.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    records, entries = _collect(_as_store(store_or_quads))
    for _, _, text, *_ in entries:
        if _MARK_OPEN in text or _MARK_CLOSE in text:
            raise ValueError(f"a searchable text holds U+E000 or U+E001, which the index reserves: {text[:80]!r}")
    fd, scratch = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        db = sqlite3.connect(scratch)
        try:
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT_VERSION)])
            db.executemany(
                "INSERT INTO kinds VALUES (?, ?, ?, ?, ?, ?)",
                [(k.key, i, k.label, k.plural, k.slug, k.weight) for i, k in enumerate(KINDS)],
            )
            db.executemany("INSERT INTO fields VALUES (?, ?)", list(FIELDS.items()))
            ids: dict[str, int] = {}
            ordered = sorted(records.values(), key=lambda r: r.iri)
            for number, record in enumerate(ordered, start=1):
                ids[record.iri] = number
                name = record.names[0] if record.names else _local_path(record.iri)
                db.execute(
                    "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)",
                    (number, record.iri, _local_path(record.iri), name, record.kind.key, _sort_key(name)),
                )
                db.executemany(
                    "INSERT INTO facets VALUES (?, ?, ?, ?)",
                    [
                        (facet, value, number, label)
                        for facet, values in sorted(record.facets.items())
                        for value, label in sorted(values.items())
                    ],
                )
            db.executemany(
                'INSERT INTO entries(record, field, text, annotation, source, start, "end") '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(ids[iri], fld, text, ann or None, src or None, start, end)
                 for iri, fld, text, ann, src, start, end in entries],
            )  # fmt: skip
            db.execute("INSERT INTO entries_fts(rowid, text) SELECT id, text FROM entries")
            db.execute(
                "INSERT INTO names_fts(rowid, text) SELECT id, text FROM entries "
                "WHERE field IN ('name', 'alternative name')"
            )
            db.execute("INSERT INTO entries_fts(entries_fts) VALUES ('optimize')")
            db.execute("INSERT INTO names_fts(names_fts) VALUES ('optimize')")
            db.commit()
            db.execute("ANALYZE")  # statistics, so the planner looks facets up by record, not by facet
            db.execute("VACUUM")
        finally:
            db.close()
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return IndexStats(target, len(records), len(entries), target.stat().st_size)


# --------------------------------------------------------------------------------------------
# Querying
# --------------------------------------------------------------------------------------------


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

    def search(self, q: str, kind: str | None = None, limit: int = 20, offset: int = 0) -> SearchResults:
        """See :func:`search`."""
        return search(self.db, q, kind, limit, offset)

    def suggest(self, prefix: str, kind: str | Sequence[str] | None = None, limit: int = 10) -> list[Hit]:
        """See :func:`suggest`."""
        return suggest(self.db, prefix, kind, limit)

    def browse(
        self,
        kind: str | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        limit: int | None = 50,
        offset: int = 0,
        sort: str = "name",
    ) -> Listing:
        """See :func:`browse`."""
        return browse(self.db, kind, filters, limit, offset, sort)

    def kind_counts(self) -> list[tuple[Kind, int]]:
        """See :func:`kind_counts`."""
        return kind_counts(self.db)

    def type_counts(self) -> list[tuple[Kind, str, str, int]]:
        """See :func:`type_counts`."""
        return type_counts(self.db)


def _connection(path_or_conn: Path | str | sqlite3.Connection) -> tuple[sqlite3.Connection, bool]:
    if isinstance(path_or_conn, sqlite3.Connection):
        return path_or_conn, False
    return open_index(path_or_conn), True


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


# --------------------------------------------------------------------------------------------
# Browsing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: how many records of the listing (other facets applied) have it."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Row:
    """One record of a listing, with its facet values (label lists, by facet)."""

    iri: str
    path: str
    name: str
    kind: str
    values: dict[str, list[tuple[str, str]]]  # facet → [(value, label)]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: facets as lists of ``{"id", "label"}`` (``none`` values left out)."""
        data: dict[str, Any] = {"iri": self.iri, "path": self.path, "name": self.name, "kind": self.kind}
        for facet, pairs in self.values.items():
            if facet == "kind":  # the kind is a field of its own
                continue
            data[facet] = [{"id": expand(v), "label": lbl} for v, lbl in pairs if v != NONE]
        return data

    def to_csv(self) -> dict[str, str]:
        """One CSV row: several values of a facet joined by " | " (labels, then IRIs or values)."""
        data = {"iri": self.iri, "path": self.path, "name": self.name, "kind": self.kind}
        for facet, pairs in self.values.items():
            if facet == "kind":
                continue
            kept = [(v, lbl) for v, lbl in pairs if v != NONE]
            data[facet] = " | ".join(lbl for _, lbl in kept)
            if facet in ("type", "source", "country"):
                data[f"{facet}_id"] = " | ".join(expand(v) for v, _ in kept)
        return data


@dataclass(frozen=True)
class Listing:
    """A page of records of one kind (or all), with facets and the total."""

    kind: Kind | None
    filters: dict[str, list[str]]
    total: int
    offset: int
    limit: int | None
    rows: list[Row]
    facets: dict[str, list[FacetValue]]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the listing: kind, filters, total, rows and facet counts."""
        return {
            "kind": self.kind.key if self.kind else None,
            "filters": self.filters,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "rows": [r.to_json() for r in self.rows],
            "facets": {f: [asdict(v) for v in values] for f, values in self.facets.items()},
        }


CSV_COLUMNS = ["iri", "path", "name", "kind", "type", "type_id", "source", "source_id", "year", "country",
               "country_id"]  # fmt: skip


def _filtered(kind: str | None, filters: Mapping[str, Sequence[str]], skip: str | None) -> tuple[str, list[Any]]:
    """SQL selecting record ids of ``kind`` with every filter but ``skip`` (values of one facet: any)."""
    sql, params = ["SELECT id FROM records WHERE 1"], []
    if kind:
        sql.append("AND kind = ?")
        params.append(kind)
    for facet, values in sorted(filters.items()):
        if facet == skip or not values:
            continue
        sql.append(
            "AND id IN (SELECT record FROM facets WHERE facet = ? AND value IN (SELECT value FROM json_each(?)))"
        )
        params += [facet, json.dumps(list(values))]
    return " ".join(sql), params


def browse(
    path_or_conn: Path | str | sqlite3.Connection,
    kind: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    limit: int | None = 50,
    offset: int = 0,
    sort: str = "name",
) -> Listing:
    """The records of ``kind`` (a key or list slug; None for all) that pass ``filters``, with facets.

    ``filters`` maps a facet (kind, type, source, year, country) to the values wanted (compact
    IRIs such as ``bgr:canada`` as listed in the facets, or full IRIs): a record
    passes if it has any of a facet's values, and every facet filtered. Each facet's counts apply
    every filter but its own, so the other values stay visible. ``limit=None`` lists every row
    (for CSV/JSON downloads). ``sort`` is ``name`` or ``year`` (undated last).

    Raises:
        SearchError: an unknown kind, facet or sort, or a limit/offset out of range.

    """
    kinds = _check_kind(kind)
    _check_limit(limit, offset)
    # Values as listed (bgr:canada) or as full IRIs: both name the same value.
    wanted = {f: [compact(v) for v in dict.fromkeys(vals) if v] for f, vals in (filters or {}).items()}
    unknown = [f for f in wanted if f not in FACETS]
    if unknown:
        raise SearchError(f"unknown facet {unknown[0]!r}: use one of {', '.join(FACETS)}")
    if sort not in ("name", "year"):
        raise SearchError(f"unknown sort {sort!r}: use name or year")
    wanted = {f: v for f, v in wanted.items() if v}
    key = kinds[0] if kinds else None
    db, owned = _connection(path_or_conn)
    try:
        ids_sql, params = _filtered(key, wanted, None)
        total = db.execute(f"SELECT COUNT(*) FROM ({ids_sql})", params).fetchone()[0]  # noqa: S608
        order = "r.sort_key, r.id"
        if sort == "year":
            order = f"(SELECT MIN(CASE value WHEN '{NONE}' THEN '9999' ELSE value END) FROM facets "  # noqa: S608
            order += "WHERE record = r.id AND facet = 'year'), r.sort_key, r.id"
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        records = db.execute(
            f"SELECT r.id, r.iri, r.path, r.name, r.kind FROM records r WHERE r.id IN ({ids_sql}) "  # noqa: S608
            f"ORDER BY {order}{page}",
            params,
        ).fetchall()
        values: dict[int, dict[str, list[tuple[str, str]]]] = {r[0]: {f: [] for f in FACETS} for r in records}
        if records:
            marks = ", ".join("?" * len(records))
            for record, facet, value, label in db.execute(
                f"SELECT record, facet, value, label FROM facets WHERE record IN ({marks}) "  # noqa: S608
                "ORDER BY record, facet, label, value",
                [r[0] for r in records],
            ):
                values[record][facet].append((value, label))
        facets: dict[str, list[FacetValue]] = {}
        for facet in FACETS:
            if facet == "kind" and key:
                continue
            sub_sql, sub_params = _filtered(key, wanted, facet)
            counted = db.execute(
                f"SELECT value, label, COUNT(*) AS n FROM facets WHERE facet = ? AND record IN ({sub_sql}) "  # noqa: S608
                "GROUP BY value, label ORDER BY value = 'none', n DESC, label",
                [facet, *sub_params],
            ).fetchall()
            chosen = set(wanted.get(facet, ()))
            facets[facet] = [FacetValue(v, lbl, n, v in chosen) for v, lbl, n in counted]
            if facet == "year":  # years read best in order
                facets[facet].sort(key=lambda fv: (fv.value == NONE, fv.value))
        rows = [Row(iri, path, name, k, values[rid]) for rid, iri, path, name, k in records]
        return Listing(KIND_BY_KEY[key] if key else None, wanted, total, offset, limit, rows, facets)
    finally:
        if owned:
            db.close()


def kind_counts(path_or_conn: Path | str | sqlite3.Connection) -> list[tuple[Kind, int]]:
    """Records per kind, in the kinds' display order, kinds without records left out."""
    db, owned = _connection(path_or_conn)
    try:
        counts = dict(db.execute("SELECT kind, COUNT(*) FROM records GROUP BY kind").fetchall())
        return [(k, counts[k.key]) for k in KINDS if counts.get(k.key)]
    finally:
        if owned:
            db.close()


def type_counts(path_or_conn: Path | str | sqlite3.Connection) -> list[tuple[Kind, str, str, int]]:
    """(kind, class as a compact IRI, class label, records) for every most specific class, by kind then count."""
    db, owned = _connection(path_or_conn)
    try:
        rows = db.execute(
            "SELECT r.kind, f.value, f.label, COUNT(*) AS n FROM facets f JOIN records r ON r.id = f.record "
            "WHERE f.facet = 'type' AND f.value != ? GROUP BY r.kind, f.value, f.label",
            [NONE],
        ).fetchall()
        order = {k.key: i for i, k in enumerate(KINDS)}
        rows.sort(key=lambda r: (order[r[0]], -r[3], r[2]))
        return [(KIND_BY_KEY[kind], value, label, n) for kind, value, label, n in rows]
    finally:
        if owned:
            db.close()
