"""Content negotiation: the one table of media types the web answers in, and ``negotiate()``.

Every route that picks a format by Accept reads the tables here. No web framework is imported:
the query workers (``web.answer``) read the same tables.
"""

from __future__ import annotations

import pyoxigraph as ox

from bordergraph.export.writers import PROPERTY_GRAPH_FORMAT_NAMES, PROPERTY_GRAPH_FORMATS

HTML = "text/html"
#: SELECT/ASK answers, by media type (aliases after the registered type).
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}
#: CONSTRUCT/DESCRIBE answers and graphs, by media type (aliases after the registered type).
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/xml": ox.RdfFormat.RDF_XML,
}

#: The site's documents: explicit extension → media type (RDF only; ``.html`` is the pages).
DOCUMENT_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
#: Aliases accepted above, left out when a 406 lists what is offered.
ALIASES = ("application/json", "application/xml", "text/xml", "text/plain", "application/x-turtle")
#: CONSTRUCT/DESCRIBE answers: the RDF formats, then the property-graph formats of ``export.writers``.
GRAPH_ANSWERS = [*GRAPH_FORMATS, *PROPERTY_GRAPH_FORMATS]
#: The service description, by media type (rdflib serialiser names).
SD_FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}

__all__ = ["PROPERTY_GRAPH_FORMATS", "PROPERTY_GRAPH_FORMAT_NAMES"]


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """Pick the offered media type the Accept header prefers, or None when nothing is acceptable.

    RFC 9110 §12.5.1: each offered type takes the q-value of the most specific range that matches
    it (``text/csv;q=0`` excludes CSV even when ``*/*`` is present); the highest q wins and ties
    go to the server's order. No header, or an empty one, means the first offered type. Written by
    hand because no maintained library does this matching (Starlette and FastAPI do not negotiate).
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
                break
        ranges[media] = max(q, ranges.get(media, 0.0)) if media in ranges else q
    best: tuple[float, int, str] | None = None
    for index, media_type in enumerate(offered):
        major = media_type.split("/")[0]
        q = next((ranges[r] for r in (media_type, f"{major}/*", "*/*") if r in ranges), 0.0)
        if q > 0 and (best is None or (q, -index) > best[:2]):
            best = (q, -index, media_type)
    return best[2] if best else None
