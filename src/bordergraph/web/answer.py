"""One query, evaluated on the store and serialised in the negotiated media type, under the row cap.

Runs inside the query worker processes (``web.worker``), so it imports no web framework: the
answer is a plain ``Answer`` (status, body or message) that the router turns into a response.
Graph answers in property-graph formats are written by ``export.writers``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from bordergraph.export.writers import PROPERTY_GRAPH_FORMATS, property_graph_bytes
from bordergraph.querystore import QueryStore, serialize_triples
from bordergraph.web.conneg import GRAPH_FORMATS, RESULT_FORMATS

log = logging.getLogger("bordergraph.web.answer")


@dataclass(frozen=True)
class Answer:
    """One evaluated query, serialised; a non-200 ``status`` carries ``message`` instead of a body."""

    status: int
    media_type: str = ""
    body: bytes = b""
    rows: int = 0
    message: str = ""


@dataclass(frozen=True)
class Job:
    """One query for a worker (plain data: it crosses a process boundary)."""

    query: str
    default_graph: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    media_type: str
    row_cap: int
    base_iri: str | None = None  # what relative IRIs resolve against: the endpoint's URL


class RowCapError(Exception):
    """The answer would hold more rows or triples than the cap."""


def evaluate(
    store: QueryStore,
    sparql: str,
    default_graph: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    media_type: str,
    row_cap: int,
    base_iri: str | None = None,
) -> Answer:
    """Evaluate and serialise a query in ``media_type``, holding at most ``row_cap`` rows.

    ``media_type`` is a RESULT_FORMATS type for SELECT/ASK and a GRAPH_FORMATS type for
    CONSTRUCT/DESCRIBE (the caller negotiates from the query form; a mismatch is a 406).
    Relative IRIs in the query resolve against ``base_iri`` (the endpoint's URL).
    """
    try:
        if default_graph is not None and len(set(default_graph)) > 1:
            result = store.merged(default_graph, named_graphs or ()).query(
                sparql,
                default_graph=[ox.DefaultGraph()],
                named_graphs=[ox.NamedNode(n) for n in named_graphs or ()],
                base_iri=base_iri,
            )
        else:
            result = store.query(sparql, default_graph, named_graphs, base_iri)
        return render(result, media_type, row_cap)
    except SyntaxError as exc:
        return Answer(400, message=f"query syntax error: {exc}")
    except OSError as exc:  # in-memory stores do not do I/O: this is a SERVICE call that failed
        return Answer(502, message=f"a SERVICE call failed: {exc}")
    except Exception as exc:
        log.exception("query failed: %s", sparql)
        return Answer(500, message=f"the query could not be evaluated ({type(exc).__name__}); the error was logged")


def render(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple], media_type: str, row_cap: int
) -> Answer:
    """Serialise an evaluated query in ``media_type`` under the row cap (local results, or a remote store's parsed).

    A list of triples is a CONSTRUCT/DESCRIBE answer parsed from a remote store (bordergraph.remote).
    """
    try:
        if isinstance(result, ox.QueryTriples | list):
            counter = _Counter(iter(result), row_cap)
            if media_type in GRAPH_FORMATS:
                body = serialize_triples(counter, GRAPH_FORMATS[media_type])
                return Answer(200, media_type, body, counter.count)
            if media_type not in PROPERTY_GRAPH_FORMATS:
                return Answer(406, message=f"a graph cannot be written as {media_type}")
            body = property_graph_bytes(list(counter), media_type)
            return Answer(200, media_type, body, counter.count)
        if media_type not in RESULT_FORMATS:
            return Answer(406, message=f"SELECT and ASK results cannot be written as {media_type}")
        if isinstance(result, ox.QueryBoolean):
            return Answer(200, media_type, result.serialize(format=RESULT_FORMATS[media_type]) or b"", 1)
        return _solutions(result, RESULT_FORMATS[media_type], media_type, row_cap)
    except RowCapError:
        return Answer(
            422,
            message=f"the answer has more than {row_cap} rows (this endpoint's row cap): add LIMIT, "
            "and OFFSET to page through the rest",
        )


class _Counter:
    """Pass triples through and raise once more than ``cap`` went by (never truncate silently)."""

    def __init__(self, triples: Iterator[ox.Triple], cap: int) -> None:
        self.triples = triples
        self.cap = cap
        self.count = 0

    def __iter__(self) -> Iterator[ox.Triple]:
        for triple in self.triples:
            self.count += 1
            if self.count > self.cap:
                raise RowCapError
            yield triple


def _solutions(result: ox.QuerySolutions, fmt: ox.QueryResultsFormat, media_type: str, cap: int) -> Answer:
    """Count the solutions against the cap while Oxigraph writes them, then convert them if asked.

    pyoxigraph can only serialise a live result iterator, which counting in Python would consume
    (and cost a Python object per cell: 4× a lookup's time). So Oxigraph writes SPARQL TSV, one
    line per solution (TSV escapes newlines inside literals), into a sink that counts lines and
    stops the writing once past the cap; TSV is then the answer, or Oxigraph's TSV parser and
    serialisers turn it into the format asked for, byte for byte what Oxigraph writes.
    """
    sink = _LineCounter(cap + 1)  # the header line, then at most ``cap`` solutions
    result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    tsv = sink.getvalue()
    rows = sink.lines - 1
    if fmt == ox.QueryResultsFormat.TSV:
        return Answer(200, media_type, tsv, rows)
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return Answer(200, media_type, parsed.serialize(format=fmt) or b"", rows)


class _LineCounter(io.BytesIO):
    """Bytes written by Oxigraph, with their newlines counted; raises RowCapError past ``limit`` lines."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.lines = 0

    def write(self, data: Any) -> int:
        self.lines += bytes(data).count(b"\n")
        if self.lines > self.limit:
            raise RowCapError
        return super().write(data)


class QueryCancelledError(Exception):
    """The client went away first: the query was dropped (``running``: its worker was killed and is being replaced)."""

    def __init__(self, running: bool) -> None:
        super().__init__("the client went away while the query was " + ("running" if running else "waiting"))
        self.running = running
