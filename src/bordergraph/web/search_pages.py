"""The search page (/search) and the list pages (/list, /list/{kind}) over the search index.

``/search?q=…`` answers HTML, or JSON by ``Accept: application/json`` or ``format=json``: the
records whose names, alternative names, descriptions or quotes hold the words, best first,
grouped by kind, the matching words highlighted. ``kind=`` keeps one kind; ``page=`` pages.

``/list/{kind}`` (``people``, ``organisations``, ``events``, …; ``/list`` for every record) lists
records with facets (type, source, year, country; kind on ``/list``), filtered by repeating
query parameters (``?country=…&year=2017``); every list is also CSV and JSON
(``/list/people.csv``, ``.json``, or ``format=`` / Accept), always whole, never one page.

``/labels?iri=…&iri=…`` answers JSON: the name of each given IRI of the dataset that has one (a
record's name as the index has it, rdfs:label first; else the IRI's rdfs:label or skos:prefLabel,
for annotations and ontology terms), so the query editor names a whole result page in one
request. IRIs without a name are left out of the answer; at most ``MAX_LABEL_IRIS`` a request.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from bordergraph.prefixes import BASE, PREFIXES
from bordergraph.querystore import QueryStore
from bordergraph.search import (
    CSV_COLUMNS,
    FACETS,
    KIND_BY_SLUG,
    KINDS,
    NONE,
    Hit,
    Kind,
    Listing,
    SearchError,
    SearchIndex,
)
from bordergraph.version import __version__
from bordergraph.web.conneg import negotiate
from bordergraph.web.lazy import lazy
from bordergraph.web.ui import LABELS_PATH, LIST_PATH, SEARCH_PATH, TEMPLATES

HTML, JSON, CSV = "text/html", "application/json", "text/csv"
FORMATS = {"html": HTML, "json": JSON, "csv": CSV}
SEARCH_PAGE = 50
LIST_PAGE = 100
MAX_LABEL_IRIS = 100  # a result page of the editor asks in batches of at most this many
MAX_IRI_CHARS = 2000
_RDFS_LABEL, _PREF_LABEL = PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "prefLabel"
_ABSOLUTE_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$')  # RFC 3987's IRI, loosely


def render(template: str, **context: Any) -> str:
    """A page of the site's templates (the search box in its header keeps the words searched for)."""
    return TEMPLATES.get_template(template).render(version=__version__, **context)


class BadParameterError(Exception):
    """A query parameter the client must fix; the message says how."""


def _href(path: str, params: list[tuple[str, str]]) -> str:
    return path + ("?" + urlencode(params, safe=":") if params else "")


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise BadParameterError(f"page must be a whole number from 1, not {raw!r}")
    return int(raw)


def _media(request: Request, offered: list[str], extension: str | None = None) -> str | None:
    """The answer's media type: a file extension, else ``format=``, else Accept (None: not acceptable)."""
    chosen = extension or request.query_params.get("format")
    if chosen:
        if chosen not in FORMATS or FORMATS[chosen] not in offered:
            names = ", ".join(k for k, v in FORMATS.items() if v in offered)
            raise BadParameterError(f"format must be one of {names}, not {chosen!r}")
        return FORMATS[chosen]
    return negotiate(request.headers.get("accept"), offered)


def _problem_media(request: Request, extension: str | None = None) -> str:
    """How to word a problem: HTML for pages asked for as such, else JSON."""
    chosen = extension or request.query_params.get("format")
    if chosen:
        return HTML if chosen == "html" else JSON
    return HTML if negotiate(request.headers.get("accept"), [HTML, JSON]) == HTML else JSON


def _problem(media: str | None, status: int, message: str) -> Response:
    if media == HTML:
        return HTMLResponse(render("search_problem.html", status=status, message=message), status_code=status)
    return JSONResponse({"message": message}, status_code=status)


def _label_iris(request: Request) -> list[str]:
    """The ``iri`` parameters of a /labels request, checked: 1 to MAX_LABEL_IRIS absolute IRIs."""
    iris = request.query_params.getlist("iri")
    unknown = sorted(set(request.query_params) - {"iri"})
    if unknown:
        raise BadParameterError(f"/labels takes only iri= parameters, not {unknown[0]!r}")
    if not iris:
        raise BadParameterError("give at least one IRI: /labels?iri=https://w3id.org/bordergraph/id/…&iri=…")
    if len(iris) > MAX_LABEL_IRIS:
        raise BadParameterError(f"at most {MAX_LABEL_IRIS} IRIs a request, not {len(iris)}: ask in batches")
    for iri in iris:
        if len(iri) > MAX_IRI_CHARS or not _ABSOLUTE_IRI.match(iri):
            shown = iri if len(iri) <= 80 else iri[:80] + "…"
            raise BadParameterError(f"{shown!r} is not an absolute IRI (scheme:rest, no spaces, <, > or quotes)")
    return iris


def record_labels(index: SearchIndex, iris: list[str]) -> dict[str, str]:
    """The name of each of ``iris`` that is a record with one (rdfs:label first, as the site shows it).

    A record without a name is stored under its path in ``records.name``: only records with a
    ``name`` entry are answered.
    """
    marks = ", ".join("?" for _ in iris)
    rows = index.db.execute(
        f"SELECT r.iri, r.name FROM records r WHERE r.iri IN ({marks}) "  # noqa: S608 (only "?" placeholders go in)
        "AND EXISTS (SELECT 1 FROM entries e WHERE e.record = r.id AND e.field = 'name')",
        iris,
    )
    return {iri: name for iri, name in rows}


def namespace_labels(store: QueryStore) -> dict[str, str]:
    """The label of every IRI of the namespace that has one: rdfs:label, else skos:prefLabel (English or none).

    Covers what the search index leaves out: annotations and the ontology's classes and properties.
    """
    rows = store.query(
        f"SELECT ?s ?p ?l WHERE {{ VALUES ?p {{ <{_RDFS_LABEL}> <{_PREF_LABEL}> }} ?s ?p ?l "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}") && LANG(?l) IN ("en", "")) }}'
    )
    found = sorted((row["s"].value, row["p"].value != _RDFS_LABEL, row["l"].value) for row in rows)
    labels: dict[str, str] = {}
    for iri, _, label in found:
        labels.setdefault(iri, label)
    return labels


def labels_router(index: SearchIndex, store: QueryStore) -> APIRouter:
    """``/labels``: the names of records (as the search index has them) and of the namespace's other IRIs."""
    router = APIRouter(include_in_schema=True, tags=["search"])
    others = lazy(lambda: namespace_labels(store))  # read on the first request, not at start-up

    @router.get(LABELS_PATH, summary=f"The names of IRIs of this dataset (up to {MAX_LABEL_IRIS} a request)")
    def labels(request: Request) -> Response:
        try:
            iris = list(dict.fromkeys(_label_iris(request)))
        except BadParameterError as exc:
            return _problem(JSON, 400, str(exc))
        names = record_labels(index, iris)
        found = {iri: names.get(iri) or others.get(iri) for iri in iris}
        return JSONResponse({"labels": {iri: name for iri, name in found.items() if name}})

    return router


def _quote_href(hit: Hit) -> str:
    """The quoted words in the archived source's page (its anchor is the annotation's name)."""
    assert hit.quote is not None
    return f"/source/{hit.quote.source.rsplit('/', 1)[-1]}#{hit.quote.annotation.rsplit('/', 1)[-1]}"


def search_router(index: SearchIndex) -> APIRouter:
    """The routes of the search and list pages, answered from ``index``."""
    router = APIRouter(include_in_schema=True, tags=["search"])

    @router.get(SEARCH_PATH, summary="Search names, alternative names and quotes")
    def search_page(request: Request) -> Response:
        media: str | None = _problem_media(request)
        try:
            media = _media(request, [HTML, JSON])
            if media is None:
                return _problem(JSON, 406, "/search answers text/html or application/json")
            q = request.query_params.get("q", "")
            kind = request.query_params.get("kind") or None
            page = _page(request)
            results = index.search(q, kind=kind, limit=SEARCH_PAGE, offset=(page - 1) * SEARCH_PAGE)
        except (BadParameterError, SearchError) as exc:
            return _problem(media, 400, str(exc))
        if media == JSON:
            data = results.to_json()
            for hit, item in zip(results.hits, data["results"], strict=True):
                item["quote_href"] = _quote_href(hit) if hit.quote else None
            return JSONResponse(data, headers={"Vary": "Accept"})
        base = [("q", q)] if q else []
        kind_links = [("All kinds", sum(results.counts.values()), _href(SEARCH_PATH, base), kind is None)] + [
            (k.plural.capitalize(), results.counts[k.key], _href(SEARCH_PATH, [*base, ("kind", k.key)]),
             results.kind == k.key)
            for k in KINDS if results.counts.get(k.key)
        ]  # fmt: skip
        groups = [
            (k, hits, results.counts[k.key], _href(SEARCH_PATH, [*base, ("kind", k.key)]))
            for k, hits in results.groups()
        ]
        params = [*base, *([("kind", results.kind)] if results.kind else [])]
        pages = {
            "previous": _href(SEARCH_PATH, [*params, ("page", str(page - 1))]) if page > 1 else None,
            "next": _href(SEARCH_PATH, [*params, ("page", str(page + 1))])
            if page * SEARCH_PAGE < results.total
            else None,
        }
        page_html = render(
            "search.html",
            q=q,
            results=results if results.terms else None,
            kind_links=kind_links,
            groups=groups,
            pages=pages,
            first=(page - 1) * SEARCH_PAGE + 1,
            quote_href=_quote_href,
            kinds=index.kind_counts(),
            json_href=_href(SEARCH_PATH, [*params, ("page", str(page)), ("format", "json")]),
        )
        return HTMLResponse(page_html, headers={"Vary": "Accept"})

    def listing_response(request: Request, kind: Kind | None, extension: str | None) -> Response:
        media: str | None = _problem_media(request, extension)
        try:
            media = _media(request, [HTML, JSON, CSV], extension)
            if media is None:
                return _problem(JSON, 406, "lists answer text/html, application/json or text/csv")
            filters = {f: request.query_params.getlist(f) for f in FACETS if request.query_params.getlist(f)}
            sort = request.query_params.get("sort", "name")
            page = _page(request)
            whole = media != HTML
            listing = index.browse(
                kind.key if kind else None,
                filters,
                limit=None if whole else LIST_PAGE,
                offset=0 if whole else (page - 1) * LIST_PAGE,
                sort=sort,
            )
        except (BadParameterError, SearchError) as exc:
            return _problem(media, 400, str(exc))
        name = kind.slug if kind else "records"
        path = f"{LIST_PATH}/{kind.slug}" if kind else LIST_PATH
        if media == JSON:
            return JSONResponse(listing.to_json(), headers={"Vary": "Accept"})
        if media == CSV:
            return Response(
                _csv(listing),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="bordergraph-{name}.csv"', "Vary": "Accept"},
            )
        chosen = [(f, v) for f, values in sorted(listing.filters.items()) for v in values]
        keep = [*chosen, *([("sort", sort)] if sort != "name" else [])]
        facets = []
        for facet, values in listing.facets.items():
            views = []
            for value in values:
                pair = (facet, value.value)
                toggled = [p for p in keep if p != pair] if value.selected else [*keep, pair]
                views.append((value.label, value.count, value.selected, _href(path, toggled)))
            facets.append((facet, FACETS[facet][0], views))
        labels = {(f, v.value): v.label for f, values in listing.facets.items() for v in values}
        active = [
            (FACETS[f][0], labels.get((f, v), v), _href(path, [p for p in keep if p != (f, v)])) for f, v in chosen
        ]
        pages = {
            "previous": _href(path, [*keep, ("page", str(page - 1))]) if page > 1 else None,
            "next": _href(path, [*keep, ("page", str(page + 1))]) if page * LIST_PAGE < listing.total else None,
        }
        sorts = [
            (s, s == sort, _href(path, [*chosen, *([("sort", s)] if s != "name" else [])])) for s in ("name", "year")
        ]
        page_html = render(
            "list.html",
            kind=kind,
            listing=listing,
            facets=facets,
            active=active,
            pages=pages,
            first=(page - 1) * LIST_PAGE + 1,
            none_value=NONE,
            sorts=sorts,
            downloads=[(ext.upper(), _href(f"{path}.{ext}", keep)) for ext in ("csv", "json")],
            kinds=index.kind_counts(),
        )
        return HTMLResponse(page_html, headers={"Vary": "Accept"})

    @router.get(LIST_PATH, summary="Every record, with facets")
    def list_all(request: Request) -> Response:
        return listing_response(request, None, None)

    @router.get(LIST_PATH + ".{ext}", summary="Every record as CSV or JSON")
    def list_all_file(request: Request, ext: str) -> Response:
        return listing_response(request, None, ext)

    @router.get(LIST_PATH + "/{name}", summary="The records of one kind, with facets")
    def list_kind(request: Request, name: str) -> Response:
        slug, dot, ext = name.partition(".")
        kind = KIND_BY_SLUG.get(slug)
        if kind is None:
            lists = ", ".join(k.slug for k, _ in index.kind_counts())
            return _problem(
                _problem_media(request, ext if dot else None),
                404,
                f"there is no list named {slug!r}: the lists are {lists}",
            )
        return listing_response(request, kind, ext if dot else None)

    return router


def _csv(listing: Listing) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="raise", lineterminator="\r\n")
    writer.writeheader()
    for row in listing.rows:
        writer.writerow(row.to_csv())
    return out.getvalue().encode("utf-8")
