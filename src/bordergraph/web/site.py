"""The Linked Data site: every IRI of the namespace resolves, and pages show the evidence.

``https://w3id.org/bordergraph/{path}`` is served at ``{site}/{path}``. Things (records, topics,
the ontology, named graphs, the dataset and its partitions) answer ``303 See Other`` to a
document chosen by Accept (``.html``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``), the Cool URIs
recipe for slash IRIs; documents (``/.well-known/void``, source texts, dumps) answer ``200``
directly. Pages are rendered on the server with jinja2 (autoescaped) and read without
JavaScript; the network drawings (vendored cytoscape.js) come with a table of the same links.
Everything is computed once from the validated store, never from the files again, except the
archived source texts that the graph only points to (``bg:localPath``).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bordergraph.describe import (
    DATASET,
    DEFAULT,
    LICENCE,
    Triples,
    count,
    downloads,
    graph_triples,
    schema_org,
    serialize,
)
from bordergraph.examples import examples
from bordergraph.paths import Paths
from bordergraph.prefixes import BASE, ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES, RDF_TYPE, curie
from bordergraph.querystore import QueryStore
from bordergraph.search import SearchIndex
from bordergraph.version import __version__
from bordergraph.web.conneg import DOCUMENT_TYPES, GRAPH_FORMATS, HTML, negotiate
from bordergraph.web.errors import not_acceptable
from bordergraph.web.lazy import lazy
from bordergraph.web.ui import COUNTRY_COLOURS, KIND_COLOURS, LIST_PATH, STATIC, TEMPLATES, local_href, query_link
from bordergraph.web.viewmodel import EXACT_MATCH, SiteData, Source, Term, Urls

#: Every path of a thing in the namespace (records, topics, graphs, mapping sets, ontology, dataset).
THING_ROUTES = [
    "/id/{name}",
    "/topic/{name}",
    "/graph/{name}",
    "/mappings/{name}",
    "/ontology",
    "/ontology.{ext}",
    "/ontology/{version}",
    "/dataset",
    "/dataset.{ext}",
    "/dataset/{rest:path}",
]
OFFERED = [HTML, *DOCUMENT_TYPES.values()]
EXTENSION = {media: ext for ext, media in DOCUMENT_TYPES.items()} | {HTML: "html"}


class Site(SiteData):
    """The pages, rendered from the view models (and cached when they depend only on the build)."""

    def __init__(
        self, store: QueryStore, paths: Paths, dump: Path, public_url: str | None, search: SearchIndex
    ) -> None:
        super().__init__(store, paths, dump, public_url)
        self.search = search

    def record_kinds(self) -> list[dict[str, Any]]:
        """The home page's records by kind: each kind's count and list, and its classes' counts and lists."""
        types: dict[str, list[tuple[str, int, str]]] = {}
        for kind, value, label, n in self.search.type_counts():
            href = f"{LIST_PATH}/{kind.slug}?{urlencode({'type': value}, safe=':')}"
            types.setdefault(kind.key, []).append((label, n, href))
        return [
            {"kind": k, "count": n, "href": f"{LIST_PATH}/{k.slug}", "types": types.get(k.key, [])}
            for k, n in self.search.kind_counts()
        ]

    # -- pages --------------------------------------------------------------------------

    def render(self, template: str, **context: Any) -> str:
        return TEMPLATES.get_template(template).render(
            version=__version__,
            kind_colours=KIND_COLOURS,
            country_colours=COUNTRY_COLOURS,
            labels=self.labels,
            **context,
        )

    def entity_page(self, iri: str, urls: Urls) -> str:
        triples = self.triples_for(iri, urls)
        node = ox.NamedNode(iri)
        outgoing = [t for t in triples if t.subject == node]
        types = [self.term(t.object) for t in outgoing if t.predicate.value == RDF_TYPE]
        shown = [t for t in outgoing if t.predicate.value != RDF_TYPE and t.predicate.value not in EXACT_MATCH]
        matches = [self.term(t.object) for t in outgoing if t.predicate.value in EXACT_MATCH]
        incoming = [
            t for t in triples if t.object == node and isinstance(t.subject, ox.NamedNode) and t.subject != node
        ]
        groups: dict[str, list[Term]] = defaultdict(list)
        for t in incoming:
            groups[t.predicate.value].append(self.term(t.subject))
        incoming_rows = sorted(
            ((self.term(ox.NamedNode(p)), sorted(v, key=lambda x: x.text)) for p, v in groups.items()),
            key=lambda row: row[0].text.lower(),
        )
        source = self.sources.get(iri)
        return self.render(
            "entity.html",
            iri=iri,
            label=self.labels.get(iri) or curie(iri) or iri,
            types=types,
            properties=self.grouped(shown, triples),
            incoming=incoming_rows,
            matches=matches,
            evidence=self.evidence(iri, triples) if not iri.startswith(DATASET) else [],
            described_in=self.described_in(iri),
            source=source,
            drawing=self.neighbourhood(iri) if not iri.startswith(DATASET) else None,
            doc=local_href(iri),
            describe_link=query_link(f"DESCRIBE <{iri}>"),
        )

    def source_page(self, source: Source) -> str:
        cited, solid, covered, total = source.coverage
        return self.render(
            "source.html",
            source=source,
            segments=source.segments(),
            cited=cited,
            solid=solid,
            covered=covered,
            total=total,
            fact_term=lambda f: self.term(ox.NamedNode(f)),
        )

    def graph_page(self, iri: str) -> str:
        triples = graph_triples(self.ox, iri)
        subjects = sorted(
            {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)},
            key=lambda s: (self.kind(s), self.labels.get(s, s)),
        )
        source = next((s for s in self.sources.values() if s.graph == iri), None)
        return self.render(
            "graph.html",
            iri=iri,
            label=iri.rsplit("/", 1)[-1],
            size=len(triples),
            subjects=[(self.term(ox.NamedNode(s)), self.kind(s)) for s in subjects],
            source=source,
            doc=local_href(iri),
        )

    def ontology_page(self) -> str:
        c = count(self.qs)
        onto = f"<{ONTOLOGY_GRAPH}>"
        meta = self.select(f"SELECT ?p ?o WHERE {{ GRAPH {onto} {{ <{ONTOLOGY_IRI}> ?p ?o }} }} ORDER BY ?p ?o")

        def terms(kind_filter: str) -> list[dict[str, Any]]:
            rows = self.select(
                f"SELECT ?t (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?def) "
                f"(GROUP_CONCAT(DISTINCT STR(?kind); SEPARATOR=' ') AS ?kinds) "
                f"(GROUP_CONCAT(DISTINCT STR(?sup); SEPARATOR=' ') AS ?sups) "
                f"(GROUP_CONCAT(DISTINCT STR(?dom); SEPARATOR=' ') AS ?doms) "
                f"(GROUP_CONCAT(DISTINCT STR(?rng); SEPARATOR=' ') AS ?rngs) WHERE {{ GRAPH {onto} {{ "
                f"?t a ?kind FILTER({kind_filter}) FILTER(STRSTARTS(STR(?t), STR(bg:))) "
                f"OPTIONAL {{ ?t rdfs:label|skos:prefLabel ?l }} OPTIONAL {{ ?t skos:definition ?d }} "
                f"OPTIONAL {{ ?t rdfs:subClassOf|rdfs:subPropertyOf|skos:inScheme ?sup }} "
                f"OPTIONAL {{ ?t rdfs:domain ?dom }} OPTIONAL {{ ?t rdfs:range ?rng }} }} }} "
                f"GROUP BY ?t ORDER BY ?t"
            )

            def iris(value: Any) -> list[Term]:
                return [self.term(ox.NamedNode(i)) for i in (value.value.split() if value else [])]

            out = []
            for r in rows:
                t = r["t"].value
                used = c.classes.get(t, 0) + c.properties.get(t, 0)
                if not used:
                    used = sum(1 for _ in self.ox.quads_for_pattern(None, None, ox.NamedNode(t), DEFAULT))
                out.append(
                    {
                        "iri": t,
                        "anchor": t.rsplit("#", 1)[-1],
                        "label": r["label"].value if r["label"] else t.rsplit("#", 1)[-1],
                        "definition": r["def"].value if r["def"] else "",
                        "kinds": iris(r["kinds"]),
                        "parents": iris(r["sups"]),
                        "domain": iris(r["doms"]),
                        "range": iris(r["rngs"]),
                        "used": used,
                    }
                )
            return out

        return self.render(
            "ontology.html",
            iri=ONTOLOGY_IRI,
            meta=self.grouped([ox.Triple(ox.NamedNode(ONTOLOGY_IRI), r["p"], r["o"]) for r in meta], []),
            classes=terms("?kind = owl:Class"),
            properties=terms("?kind IN (owl:ObjectProperty, owl:DatatypeProperty)"),
            schemes=terms("?kind = skos:ConceptScheme"),
            concepts=terms("?kind = skos:Concept"),
        )

    def timeline(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Events and agreements with a year, in date order; and the rest (no year stated)."""
        rows = self.select(
            "SELECT ?x (SAMPLE(?d) AS ?date) (SAMPLE(?as) AS ?asStated) (SAMPLE(?src) AS ?source) WHERE { "
            "{ ?x a/rdfs:subClassOf* bg:Event } UNION { ?x a/rdfs:subClassOf* bg:Agreement } "
            "OPTIONAL { ?x bg:date ?d } OPTIONAL { ?x bg:dateAsStated ?as } OPTIONAL { ?x prov:wasDerivedFrom ?src } "
            "} GROUP BY ?x"
        )
        dated: list[dict[str, Any]] = []
        undated: list[dict[str, Any]] = []
        for r in rows:
            iri = r["x"].value
            date = r["date"].value if r["date"] is not None else ""
            item = {
                "term": self.term(ox.NamedNode(iri)),
                "date": date,
                "as_stated": r["asStated"].value if r["asStated"] is not None else "",
                "kind": self.kind(iri),
                "types": [self.term(ox.NamedNode(t)) for t in self.types.get(iri, []) if t.startswith(PREFIXES["bg"])],
                "source": self.sources.get(r["source"].value) if r["source"] is not None else None,
            }
            (dated if date and not date.startswith("--") else undated).append(item)
        dated.sort(key=lambda i: (i["date"], i["term"].text))
        undated.sort(key=lambda i: i["term"].text)
        return dated, undated

    def landing_page(self, urls: Urls) -> str:
        c = count(self.qs)
        facts_per_graph = {
            r["g"].value: int(r["n"].value)
            for r in self.select(
                "SELECT ?g (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?g { ?f prov:wasDerivedFrom ?s } } GROUP BY ?g"
            )
        }
        dated, undated = self.timeline()
        return self.render(
            "landing.html",
            counts=c,
            record_kinds=self.record_kinds(),
            sources=list(self.sources.values()),
            facts_per_graph=facts_per_graph,
            examples=[(e, query_link(e.text)) for e in examples(self.paths)],
            downloads=downloads(urls.site),
            dated=dated,
            undated=undated,
            drawing=self.actor_network,
            schema_org=schema_org(self.qs, urls.site, urls.endpoint),
            licence=LICENCE,
            endpoint=urls.endpoint,
        )

    def void_page(self, urls: Urls) -> str:
        triples, store = self.described(urls)
        node = ox.NamedNode(DATASET)
        outgoing = [t for t in triples if t.subject == node]
        return self.render(
            "void.html",
            properties=self.grouped(
                [t for t in outgoing if not t.predicate.value.endswith(("Partition", "subset"))], triples
            ),
            subsets=self._parts(store, "subset", "triples"),
            class_parts=self._parts(store, "classPartition", "entities"),
            property_parts=self._parts(store, "propertyPartition", "triples"),
        )

    def _parts(self, store: ox.Store, link: str, measure: str) -> list[tuple[Term, Term, int]]:
        out = []
        for q in store.quads_for_pattern(ox.NamedNode(DATASET), ox.NamedNode(PREFIXES["void"] + link), None, DEFAULT):
            part = q.object
            if not isinstance(part, ox.NamedNode):
                continue
            what: Any = next(
                (
                    p.object
                    for p in store.quads_for_pattern(part, None, None, DEFAULT)
                    if p.predicate.value
                    in (PREFIXES["void"] + "class", PREFIXES["void"] + "property", PREFIXES["sd"] + "name")
                ),
                part,
            )
            n: Any = next(store.quads_for_pattern(part, ox.NamedNode(PREFIXES["void"] + measure), None, DEFAULT)).object
            out.append((self.term(part), self.term(what), int(n.value)))
        return sorted(out, key=lambda row: row[1].text.lower())

    def cached(self, key: str, urls: Urls, make: Any) -> str:
        """Pages that depend only on the build (and the URLs) are rendered once."""
        if (key, urls) not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key, urls] = make()
        return self._cache[key, urls]

    # -- dumps ----------------------------------------------------------------------------


def document(triples: Triples, ext: str, headers: dict[str, str]) -> Response:
    """An RDF document of the site in the format its extension names."""
    media = DOCUMENT_TYPES[ext]
    return Response(serialize(triples, GRAPH_FORMATS[media]), media_type=media, headers=headers)


def _split(name: str) -> tuple[str, str | None]:
    """``foo.ttl`` → (``foo``, ``ttl``); names without a known extension keep no extension."""
    stem, dot, ext = name.rpartition(".")
    if dot and ext in EXTENSION.values():
        return stem, ext
    return name, None


def site_router(site: Site) -> APIRouter:
    """The routes of the site; the SPARQL endpoint is the other router of the app."""
    router = APIRouter(include_in_schema=False)

    def resolve(request: Request, path: str) -> Response:
        """Dereference ``BASE + path``: 303 to a document by Accept, or serve the document itself."""
        doc, ext = _split(path)
        iri = BASE + doc
        urls = site.urls(request)
        if iri not in site.known:
            raise HTTPException(404, f"nothing in bordergraph has the IRI <{iri}>")
        if ext is None:
            accept = request.headers.get("accept")
            media = negotiate(accept, OFFERED)
            if media is None:
                return not_acceptable(accept, OFFERED)
            return RedirectResponse(f"/{doc}.{EXTENSION[media]}", status_code=303, headers={"Vary": "Accept"})
        links = {"Link": f'<{iri}>; rel="describes"'}
        if ext != "html":
            return document(site.triples_for(iri, urls), ext, links)
        if iri == ONTOLOGY_IRI or iri == site.version_iri:
            page = site.cached("ontology", urls, site.ontology_page)
        elif iri == DATASET:
            page = site.cached("void", urls, lambda: site.void_page(urls))
        elif iri.startswith(PREFIXES["bgg"]):
            page = site.graph_page(iri)
        else:
            page = site.entity_page(iri, urls)
        return HTMLResponse(page, headers=links)

    @router.get("/")
    def landing(request: Request) -> HTMLResponse:
        urls = site.urls(request)
        return HTMLResponse(site.cached("landing", urls, lambda: site.landing_page(urls)))

    def thing(request: Request) -> Response:
        return resolve(request, request.scope["path"].lstrip("/"))

    for pattern in THING_ROUTES:
        router.add_api_route(pattern, thing, methods=["GET"])

    @router.get("/.well-known/void")
    def void(request: Request) -> Response:
        """The VoID file (RFC 8615 well-known location): a document, so 200 with Content-Location."""
        accept = request.headers.get("accept")
        offered = [*DOCUMENT_TYPES.values(), HTML]
        media = negotiate(accept, offered)
        if media is None:
            return not_acceptable(accept, offered)
        return void_file(site.urls(request), EXTENSION[media], {"Vary": "Accept"})

    @router.get("/.well-known/void.{ext}")
    def void_document(request: Request, ext: str) -> Response:
        return void_file(site.urls(request), ext, {})

    def void_file(urls: Urls, ext: str, headers: dict[str, str]) -> Response:
        headers = {**headers, "Content-Location": f"/.well-known/void.{ext}"}
        if ext == "html":
            return HTMLResponse(site.cached("void", urls, lambda: site.void_page(urls)), headers=headers)
        if ext not in DOCUMENT_TYPES:
            raise HTTPException(404, f"no format {ext!r}: use .ttl, .jsonld, .nt, .rdf or .html")
        return document(site.described(urls)[0], ext, headers)

    @router.get("/source/{name}")
    def source(request: Request, name: str) -> Response:
        slug, dot, ext = name.rpartition(".")
        if dot and ext == "txt":
            return PlainTextResponse(site.source_by_slug(slug).text)
        page = site.cached(f"source/{name}", site.urls(request), lambda: site.source_page(site.source_by_slug(name)))
        return HTMLResponse(page)

    @router.get("/downloads/bordergraph.nq")
    def dump_nquads() -> Response:
        return Response(site.nquads, media_type="application/n-quads")

    @router.get("/downloads/bordergraph.trig")
    def dump_trig() -> Response:
        return Response(site.trig, media_type="application/trig")

    return router


def _suggestions(site: Site, path: str) -> list[Term]:
    """Close matches among the namespace's IRIs, for a 404 page that helps."""
    doc, _ = _split(path.lstrip("/"))
    folder = doc.split("/", 1)[0]
    pool = {k[len(BASE) :] for k in site.known if k[len(BASE) :].startswith(folder + "/")} or {
        k[len(BASE) :] for k in site.known
    }
    return [site.term(ox.NamedNode(BASE + m)) for m in difflib.get_close_matches(doc, sorted(pool), n=5, cutoff=0.5)]


def mount_site(
    app: FastAPI, store: QueryStore, paths: Paths, dump: Path, public_url: str | None, search: SearchIndex
) -> Site:
    """Add the site's routes, its static files and its HTML 404 page to the app (``search``: the home page's counts)."""
    site = lazy(lambda: Site(store, paths, dump, public_url, search))  # scans the store: made on the first page
    app.include_router(site_router(site))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        wants_html = HTML in (request.headers.get("accept") or "")
        if exc.status_code != 404 or not wants_html:
            return await http_exception_handler(request, exc)
        path = request.url.path
        page = site.render(
            "not_found.html",
            path=path,
            message=str(exc.detail) if exc.detail != "Not Found" else f"there is no page at {path}",
            suggestions=_suggestions(site, path) if re.match(r"^/(id|topic|graph|dataset|ontology)", path) else [],
        )
        return HTMLResponse(page, status_code=404)

    app.add_exception_handler(StarletteHTTPException, not_found)
    return site
