"""Building the search index: records, kinds, facets and entries read from the store into one SQLite FTS5 file."""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bordergraph.prefixes import BASE, compact, sparql_prologue
from bordergraph.search.common import (
    _BG,
    _COUNTRY,
    _DATE_PREDICATES,
    _FIELD_PREDICATES,
    _MARK_CLOSE,
    _MARK_OPEN,
    _OA,
    _ORG,
    _RECORD_SPACES,
    _TOKENIZE_NAMES,
    _TOKENIZE_SEARCH,
    FACETS,
    FIELDS,
    FORMAT_VERSION,
    KINDS,
    NONE,
    Kind,
)

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
