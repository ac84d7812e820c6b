"""Browsing: the records of a kind with facets (lists, CSV/JSON downloads) and counts per kind and type."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bordergraph.prefixes import compact, expand
from bordergraph.search.common import (
    FACETS,
    KIND_BY_KEY,
    KINDS,
    NONE,
    Kind,
    SearchError,
    _check_kind,
    _check_limit,
    _connection,
)


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
