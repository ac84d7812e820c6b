"""A W3C Reconciliation Service API v0.2 endpoint, so OpenRefine users can match their data to bordergraph.

Spec: https://www.w3.org/community/reports/reconciliation/CG-FINAL-specs-0.2-20230410/
Written by hand: no maintained FastAPI library implements the reconciliation protocol. It is a
small router over an in-memory index of the validated store's labelled records (rdfs:label and
skos:altLabel), built once when the app starts, and over the site's search index
(bordergraph.search): suggestions come from it, and among candidates equally similar to the
query it decides the order, so a person comes before the meetings named after them.

Identifiers are record slugs (``ralph-goodale``; ``identifierSpace`` + id is the record IRI);
types are compact IRIs with the project prefixes (``foaf:Person``, ``bg:GovernmentAgency``).
"""

from __future__ import annotations

import difflib
import html
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bordergraph import prefixes
from bordergraph.prefixes import PREFIXES, RDF_TYPE, compact
from bordergraph.querystore import QueryStore
from bordergraph.search import MAX_LIMIT as SEARCH_MAX
from bordergraph.search import SearchIndex
from bordergraph.version import __version__
from bordergraph.web.errors import error
from bordergraph.web.lazy import lazy

RECONCILE_PATH = "/reconcile"
ID_SPACE = PREFIXES["bgr"]
SCHEMA_SPACE = PREFIXES["bg"]
LABEL = PREFIXES["rdfs"] + "label"
ALT_LABEL = PREFIXES["skos"] + "altLabel"
DEFAULT_LIMIT, MAX_LIMIT = 5, 100
SUGGEST_PAGE = 10
MIN_SCORE = 55.0  # candidates less similar than this (out of 100) are not proposed

# Record kinds worth reconciling against; facts, annotations and quotes are not.
DEFAULT_TYPES = ["foaf:Person", "org:Organization", "org:Post", "bg:Place", "bg:Event", "bg:PolicyDocument",
                 "bg:Program", "bg:Bill"]  # fmt: skip
EXCLUDED_TYPES = ["bg:EvidencedFact", "oa:Annotation", "bg:SourceDocument"]
# The search index's kinds of those records (facts, quotes, claims, figures, sources and topics are not).
SUGGEST_KINDS = ["person", "organisation", "agreement", "program", "bill", "event", "post", "place", "other"]

_INDEX_QUERY = f"""
SELECT ?e ?p ?o WHERE {{
  ?e <{LABEL}> ?any .
  FILTER(isIRI(?e) && STRSTARTS(STR(?e), "{ID_SPACE}"))
  ?e ?p ?o .
}}"""
_CLASSES_QUERY = f"""
SELECT ?c ?super (SAMPLE(?l) AS ?label) WHERE {{
  ?c <{PREFIXES["rdfs"]}subClassOf>* ?super .
  FILTER(isIRI(?c) && isIRI(?super))
  OPTIONAL {{ ?c <{LABEL}> ?l . FILTER(LANG(?l) = "en" || LANG(?l) = "") }}
}} GROUP BY ?c ?super"""


def normalize(text: str) -> str:
    """Fold case, accents and punctuation so "Nielsen", "NIELSEN" and "Niélsen" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[.'’]", "", plain)  # U.S. → us, People's → peoples
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def similarity(query: str, name: str) -> float:
    """0–100: 100 for equal normalized strings, else the best of three overlaps.

    Character overlap, word overlap, and (capped at 80) the share of the query's words that the
    name contains ("Goodale" in "Ralph Goodale").
    """
    if query == name:
        return 100.0
    chars = difflib.SequenceMatcher(None, query, name).ratio()
    q, n = set(query.split()), set(name.split())
    shared = len(q & n)
    words = 2 * shared / (len(q) + len(n)) if q and n else 0.0
    contained = 0.8 * shared / len(q) if q else 0.0
    return round(min(99.0, 100 * max(chars, words, contained)), 1)


def expand(ref: str) -> str:
    """``bg:Country`` or a full IRI → the IRI; a bare slug → the record IRI."""
    return prefixes.expand(ref) if ":" in ref else ID_SPACE + ref


@dataclass
class Entity:
    """One reconcilable record: its names and every property value (IRIs and literals)."""

    iri: str
    labels: list[str] = field(default_factory=list)
    alt_labels: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @property
    def id(self) -> str:
        return self.iri[len(ID_SPACE) :]

    @property
    def name(self) -> str:
        return sorted(self.labels, key=lambda s: (len(s), s))[0]

    @property
    def names(self) -> set[str]:
        return {normalize(n) for n in self.labels + self.alt_labels}


class Index:
    """Everything the service answers from, read once from the store (plain Python, thread-safe)."""

    def __init__(self, store: QueryStore) -> None:
        self.supers: dict[str, set[str]] = defaultdict(set)
        self.class_labels: dict[str, str] = {}
        for row in store.query(_CLASSES_QUERY):
            self.supers[row["c"].value].add(row["super"].value)
            if row["label"] is not None:
                self.class_labels[row["c"].value] = row["label"].value
        entities: dict[str, Entity] = {}
        for row in store.query(_INDEX_QUERY):
            subject, predicate, obj = row["e"].value, row["p"].value, row["o"]
            entity = entities.setdefault(subject, Entity(subject))
            value = obj.value
            if predicate == LABEL and value not in entity.labels:
                entity.labels.append(value)
            elif predicate == ALT_LABEL and value not in entity.alt_labels:
                entity.alt_labels.append(value)
            elif predicate == RDF_TYPE and value not in entity.types:
                entity.types.append(value)
            entity.values[predicate].add(value)
        excluded = {expand(t) for t in EXCLUDED_TYPES}
        event = expand("bg:Event")
        self.entities = {
            e.id: e
            for e in entities.values()
            if e.labels and not any(self.is_a(t, excluded) and not self.is_a(t, {event}) for t in e.types)
        }

    def is_a(self, cls: str, targets: set[str]) -> bool:
        return cls in targets or bool(self.supers.get(cls, set()) & targets)

    def type_name(self, cls: str) -> str:
        return self.class_labels.get(cls) or re.split(r"[/#]", cls)[-1]

    def type_ref(self, cls: str) -> dict[str, str]:
        return {"id": compact(cls), "name": self.type_name(cls)}

    def most_specific(self, entity: Entity) -> list[str]:
        """The entity's asserted types that no other asserted type narrows."""
        types = entity.types
        return [t for t in types if not any(o != t and t in self.supers.get(o, set()) for o in types)]

    def value_keys(self, value: str) -> set[str]:
        """Every spelling a query may use for a property value: IRI, compact IRI, slug, QID, names."""
        keys = {normalize(value), normalize(compact(value))}
        if value.startswith(ID_SPACE):
            keys.add(normalize(value[len(ID_SPACE) :]))
            target = self.entities.get(value[len(ID_SPACE) :])
            if target is not None:
                keys |= target.names
        if value.startswith(PREFIXES["wd"]):
            keys.add(normalize(value[len(PREFIXES["wd"]) :]))
        return keys


PropertyValue = str | float | bool | dict[str, Any]


class PropertyConstraint(BaseModel):
    """``{"pid": "org:holds", "v": "post-us-president"}``; ``v`` may be a list, and ``{"id": …}`` names a record."""

    pid: str = Field(min_length=1)
    v: PropertyValue | list[PropertyValue]

    def values(self) -> list[tuple[str, bool]]:
        """(value, is_identifier) pairs."""
        items = self.v if isinstance(self.v, list) else [self.v]
        out: list[tuple[str, bool]] = []
        for item in items:
            if isinstance(item, dict):
                if not isinstance(item.get("id"), str):
                    raise ValueError('an object property value needs a string "id"')
                out.append((item["id"], True))
            elif isinstance(item, bool):
                out.append(("true" if item else "false", False))
            elif isinstance(item, float) and item.is_integer():
                out.append((str(int(item)), False))
            else:
                out.append((str(item), False))
        return out


class ReconQuery(BaseModel):
    """One query of a batch (spec §4.2): a name, optional type filter, limit and property constraints."""

    model_config = ConfigDict(extra="ignore")

    query: str | None = None
    type: str | list[str] | None = None
    limit: int | None = Field(default=None, ge=1)
    properties: list[PropertyConstraint] = Field(default_factory=list)
    type_strict: str | None = None

    @field_validator("type_strict")
    @classmethod
    def _strict(cls, value: str | None) -> str | None:
        if value is not None and value not in {"any", "should", "all"}:
            raise ValueError('type_strict must be "any", "should" or "all"')
        return value


class BadRequestError(Exception):
    """Input the client must fix; the message says how."""


def parse_batch(raw: str) -> dict[str, ReconQuery]:
    """The ``queries`` parameter → validated queries, or BadRequestError naming the fault."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            f"queries is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(data, dict) or not data:
        raise BadRequestError('queries must be a non-empty JSON object such as {"q0": {"query": "Ralph Goodale"}}')
    batch: dict[str, ReconQuery] = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            raise BadRequestError(f'queries["{key}"] must be an object such as {{"query": "Ralph Goodale"}}')
        try:
            query = ReconQuery.model_validate(value)
            for constraint in query.properties:
                constraint.values()
        except (ValidationError, ValueError) as exc:
            errors = exc.errors() if isinstance(exc, ValidationError) else [{"loc": (), "msg": str(exc)}]
            detail = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in errors)
            raise BadRequestError(f'queries["{key}"] is not a valid reconciliation query: {detail}') from exc
        if not (query.query or "").strip() and not query.properties:
            raise BadRequestError(f'queries["{key}"] needs a non-empty "query" or at least one entry in "properties"')
        batch[key] = query
    return batch


class Reconciler:
    """Answers queries from the index: score, type filter, property constraints, match flag."""

    def __init__(self, index: Index, search: SearchIndex) -> None:
        self.index = index
        self.search = search

    def _search_order(self, text: str) -> dict[str, int]:
        """Each record's position in the search index's answer for ``text`` (kind-weighted BM25)."""
        if not text.strip():
            return {}
        hits = self.search.search(text, limit=SEARCH_MAX).hits
        return {hit.iri: position for position, hit in enumerate(hits)}

    def _types_ok(self, entity: Entity, wanted: list[str]) -> bool:
        targets = {expand(t) for t in wanted}
        return any(self.index.is_a(t, targets) for t in entity.types)

    def _property_ok(self, entity: Entity, constraint: PropertyConstraint) -> bool:
        have: set[str] = set()
        for value in entity.values.get(expand(constraint.pid), ()):
            have |= self.index.value_keys(value)
        # A value may be spelled as a name, a slug, a compact or full IRI, or a QID: try it as each.
        wanted = {normalize(s) for v, _ in constraint.values() for s in (v, compact(expand(v)))}
        return bool(wanted & have)

    def candidates(self, query: ReconQuery) -> list[dict[str, Any]]:
        text = normalize(query.query or "")
        types = [query.type] if isinstance(query.type, str) else list(query.type or [])
        scored: list[tuple[float, bool, Entity]] = []
        for entity in self.index.entities.values():
            if types and not self._types_ok(entity, types):
                continue
            name_score = max(similarity(text, n) for n in entity.names) if text else 100.0
            if query.properties:
                met = sum(self._property_ok(entity, c) for c in query.properties)
                fraction = met / len(query.properties)
                score = round(name_score * (0.6 + 0.4 * fraction), 1)
            else:
                fraction, score = 1.0, name_score
            if score < MIN_SCORE or (not text and fraction == 0):
                continue
            scored.append((score, bool(text) and text in entity.names and fraction == 1.0, entity))
        exact = [s for s in scored if s[1]]
        # Equal similarity (``Goodale`` is as contained in "Ralph Goodale" as in "Meeting of Goodale
        # and Kelly"): the search index's order decides, which puts people before their meetings.
        order = self._search_order(query.query or "")
        scored.sort(key=lambda s: (-s[0], order.get(s[2].iri, len(order)), s[2].name))
        limit = min(query.limit or DEFAULT_LIMIT, MAX_LIMIT)
        return [
            {
                "id": entity.id,
                "name": entity.name,
                "description": self.describe(entity),
                "type": [self.index.type_ref(t) for t in self.index.most_specific(entity)],
                "score": score,
                # A certain match only for the one record whose label or alias equals the query.
                "match": is_exact and len(exact) == 1,
            }
            for score, is_exact, entity in scored[:limit]
        ]

    def describe(self, entity: Entity) -> str:
        kinds = ", ".join(self.index.type_name(t) for t in self.index.most_specific(entity))
        aliases = [a for a in entity.alt_labels if a != entity.name]
        return kinds + (f"; also: {', '.join(sorted(aliases))}" if aliases else "")

    def suggest_entities(self, prefix: str, cursor: int) -> list[dict[str, Any]]:
        """Records with a name or alias whose words start with what was typed, in the search index's order."""
        limit = min(cursor + SUGGEST_PAGE, SEARCH_MAX)
        found = self.search.suggest(prefix, kind=SUGGEST_KINDS, limit=limit) if cursor < SEARCH_MAX else []
        by_iri = {e.iri: e for e in self.index.entities.values()}
        hits = [by_iri[h.iri] for h in found if h.iri in by_iri]
        return [
            {
                "id": e.id,
                "name": e.name,
                "description": self.describe(e),
                "notable": [self.index.type_ref(t) for t in self.index.most_specific(e)],
            }
            for e in hits[cursor : cursor + SUGGEST_PAGE]
        ]

    def all_types(self) -> list[str]:
        used = {t for e in self.index.entities.values() for t in e.types}
        defaults = {expand(t) for t in DEFAULT_TYPES}
        return sorted(used | defaults, key=compact)

    def suggest_types(self, prefix: str, cursor: int) -> list[dict[str, Any]]:
        wanted = normalize(prefix)
        hits = [
            t
            for t in self.all_types()
            if normalize(self.index.type_name(t)).startswith(wanted)
            or normalize(compact(t)).startswith(wanted)
            or f" {wanted}" in f" {normalize(self.index.type_name(t))}"
        ]
        return [self.index.type_ref(t) for t in hits[cursor : cursor + SUGGEST_PAGE]]

    def preview(self, entity: Entity, base: str) -> str:
        esc = html.escape
        wikidata = sorted(v for v in entity.values.get(PREFIXES["skos"] + "exactMatch", ()) if "wikidata" in v)
        rows = [f"<p>{esc(self.describe(entity))}</p>"]
        if wikidata:
            links = ", ".join(f'<a href="{esc(w)}" target="_blank">{esc(compact(w))}</a>' for w in wikidata)
            rows.append(f"<p>Wikidata: {links}</p>")
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc(entity.name)}</title>"
            "<style>body{font:14px/1.4 sans-serif;margin:8px}h1{font-size:16px;margin:0 0 4px}"
            "p{margin:2px 0}code{font-size:12px}</style></head><body>"
            f'<h1><a href="{esc(base)}/id/{esc(entity.id)}" target="_blank">{esc(entity.name)}</a></h1>'
            + "".join(rows)
            + f"<p><code>{esc(entity.iri)}</code></p></body></html>"
        )


CORS = {"Access-Control-Allow-Origin": "*"}  # the spec requires CORS so browser clients can call the service


def _cursor(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if not value.isdigit():
        raise BadRequestError("cursor must be a non-negative integer (the number of results to skip)")
    return int(value)


def reconcile_router(store: QueryStore, search: SearchIndex) -> APIRouter:
    """The router: mount it with ``app.include_router(reconcile_router(store, search_index))``."""
    reconciler = lazy(lambda: Reconciler(Index(store), search))  # the index scans the store: made on first use
    router = APIRouter(prefix=RECONCILE_PATH, tags=["reconciliation"])

    def base_of(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def manifest(request: Request) -> dict[str, Any]:
        base = base_of(request)
        return {
            "versions": ["0.2"],
            "name": "bordergraph: Canada–US border-security cooperation",
            "identifierSpace": ID_SPACE,
            "schemaSpace": SCHEMA_SPACE,
            "serviceVersion": __version__,
            "defaultTypes": [reconciler.index.type_ref(expand(t)) for t in DEFAULT_TYPES],
            "view": {"url": f"{base}/id/{{{{id}}}}"},
            "preview": {"url": f"{base}{RECONCILE_PATH}/preview?id={{{{id}}}}", "width": 430, "height": 220},
            "suggest": {
                "entity": {"service_url": base, "service_path": f"{RECONCILE_PATH}/suggest/entity"},
                "type": {"service_url": base, "service_path": f"{RECONCILE_PATH}/suggest/type"},
            },
        }

    def answer(request: Request, raw: str | None) -> Response:
        if raw is None:
            return JSONResponse(manifest(request), headers=CORS)
        try:
            batch = parse_batch(raw)
        except BadRequestError as exc:
            return error(400, str(exc), CORS)
        return JSONResponse({key: {"result": reconciler.candidates(q)} for key, q in batch.items()}, headers=CORS)

    @router.get("", summary="Service manifest, or a batch of queries with ?queries=")
    async def reconcile_get(request: Request) -> Response:
        return answer(request, request.query_params.get("queries"))

    @router.post("", summary="A batch of queries as the form field queries=")
    async def reconcile_post(request: Request) -> Response:
        raw = await request.body()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return error(400, "the request body is not UTF-8: encode the form as UTF-8", CORS)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body and content_type not in {"application/x-www-form-urlencoded", ""}:
            return error(
                415, f"send queries as application/x-www-form-urlencoded (queries=...), not {content_type}", CORS
            )
        form = dict(parse_qsl(body, keep_blank_values=True))
        raw_queries = form.get("queries", request.query_params.get("queries"))
        if raw_queries is None:
            return error(400, "POST needs a form field queries= holding the JSON batch of queries", CORS)
        return answer(request, raw_queries)

    def suggested(find: Callable[[str, int], list[dict[str, Any]]], prefix: str | None, cursor: str | None) -> Response:
        if prefix is None:
            return error(400, "suggest needs ?prefix=, the text typed so far", CORS)
        try:
            return JSONResponse({"result": find(prefix, _cursor(cursor))}, headers=CORS)
        except BadRequestError as exc:
            return error(400, str(exc), CORS)

    @router.get("/suggest/entity", summary="Auto-complete record names")
    async def suggest_entity(request: Request, prefix: str | None = None, cursor: str | None = None) -> Response:
        return suggested(reconciler.suggest_entities, prefix, cursor)

    @router.get("/suggest/type", summary="Auto-complete type names")
    async def suggest_type(request: Request, prefix: str | None = None, cursor: str | None = None) -> Response:
        return suggested(reconciler.suggest_types, prefix, cursor)

    @router.get("/preview", summary="A small HTML card for one record")
    async def preview(request: Request, id: str | None = None) -> Response:
        if not id:
            return error(400, "preview needs ?id=, a record id such as ralph-goodale", CORS)
        entity = reconciler.index.entities.get(id)
        if entity is None:
            return error(404, f"no record with id {id!r}: use an id from a reconciliation result", CORS)
        return HTMLResponse(reconciler.preview(entity, base_of(request)), headers=CORS)

    return router
