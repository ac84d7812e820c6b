"""The query engine: Oxigraph (pyoxigraph) holding exactly the validated dataset.

rdflib stays for parsing, authoring and SHACL; every SPARQL query is evaluated here, because
Oxigraph passes more of the W3C SPARQL 1.1 test suite and rejects invalid queries rdflib accepts.
This module is imported by the query worker processes, so it imports rdflib only for type hints.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    from rdflib import Dataset

log = logging.getLogger("bordergraph.querystore")

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
_QUAD_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


@dataclass(frozen=True)
class Answer:
    """One evaluated query, serialised; a non-200 ``status`` carries ``message`` instead of a body."""

    status: int
    media_type: str = ""
    body: bytes = b""
    rows: int = 0
    message: str = ""


class RowCapError(Exception):
    """The answer would hold more rows or triples than the cap."""


class QueryStore:
    """An in-memory Oxigraph store; the default graph is the RDF merge of all named graphs."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> QueryStore:
        """Copy every quad of an rdflib dataset into a new Oxigraph store.

        The store's default graph is filled with the RDF merge (a set) of all named graphs.
        Oxigraph's ``use_default_graph_as_union`` would instead return one solution per quad,
        so a label repeated in three source graphs would give three identical rows.
        """
        store = ox.Store()
        store.bulk_load(dataset.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS)
        union = ox.Dataset(store.quads_for_pattern(None, None, None, None))
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in union)
        return cls(store)

    @classmethod
    def from_nquads(cls, path: Path) -> QueryStore:
        """Load a store written by ``dump`` (named graphs and the merged default graph)."""
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        return cls(store)

    def dump(self, path: Path) -> None:
        """Write every quad, the merged default graph included, so a worker can load it as is."""
        self.store.dump(str(path), format=ox.RdfFormat.N_QUADS)

    def graph_sizes(self) -> dict[str, int]:
        """Triples in each named graph, by graph IRI."""
        return {
            name: sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
            for name in self.graph_names()
        }

    def has_graph(self, iri: str) -> bool:
        return ox.NamedNode(iri) in self.store.named_graphs()

    def serialize_graph(self, iri: str | None, media_type: str) -> bytes:
        """One named graph (``iri``) or the merged default graph (``None``) in a GRAPH_FORMATS type."""
        graph: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(iri) if iri else ox.DefaultGraph()
        quads = self.store.quads_for_pattern(None, None, None, graph)
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        return _serialize_triples(triples, GRAPH_FORMATS[media_type])

    def __len__(self) -> int:
        """Number of quads in the named graphs (the default graph repeats them as a merge)."""
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, None)) - self.default_size

    @property
    def default_size(self) -> int:
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def graph_names(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def query(
        self,
        sparql: str,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> Any:
        """Evaluate a query; without dataset parameters the default graph is the merge of all graphs.

        Args:
            sparql: the query text.
            default_graph: IRIs whose merge is the default graph (``default-graph-uri``).
            named_graphs: IRIs of the graphs ``GRAPH`` may see (``named-graph-uri``).

        Raises:
            SyntaxError: the query does not parse (the message gives line and column).

        """
        kwargs: dict[str, Any] = {}
        if default_graph is not None or named_graphs is not None:
            # The protocol's dataset is exactly what the request names: a missing list is empty.
            kwargs["default_graph"] = [ox.NamedNode(iri) for iri in default_graph or ()]
            kwargs["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs or ()]
        return self.store.query(sparql, **kwargs)

    def answer(
        self,
        sparql: str,
        default_graph: Sequence[str] | None,
        named_graphs: Sequence[str] | None,
        media_type: str,
        row_cap: int,
    ) -> Answer:
        """Evaluate and serialise a query in ``media_type``, holding at most ``row_cap`` rows.

        ``media_type`` is a RESULT_FORMATS type for SELECT/ASK and a GRAPH_FORMATS type for
        CONSTRUCT/DESCRIBE (the caller negotiates from the query form; a mismatch is a 406).
        """
        try:
            if default_graph is not None and len(set(default_graph)) > 1:
                result = self._merged(default_graph, named_graphs or ()).query(
                    sparql,
                    default_graph=[ox.DefaultGraph()],
                    named_graphs=[ox.NamedNode(n) for n in named_graphs or ()],
                )
            else:
                result = self.query(sparql, default_graph, named_graphs)
            if isinstance(result, ox.QueryTriples):
                counter = _Counter(result, row_cap)
                if media_type in GRAPH_FORMATS:
                    body = _serialize_triples(counter, GRAPH_FORMATS[media_type])
                    return Answer(200, media_type, body, counter.count)
                # Imported here: export builds on this module, so a top-level import would be a cycle.
                from bordergraph.export import PROPERTY_GRAPH_FORMATS, property_graph_bytes

                if media_type not in PROPERTY_GRAPH_FORMATS:
                    return Answer(406, message=f"a graph cannot be written as {media_type}")
                body = property_graph_bytes(list(counter), media_type)
                return Answer(200, media_type, body, counter.count)
            if media_type not in RESULT_FORMATS:
                return Answer(406, message=f"SELECT and ASK results cannot be written as {media_type}")
            if isinstance(result, ox.QueryBoolean):
                return Answer(200, media_type, result.serialize(format=RESULT_FORMATS[media_type]) or b"", 1)
            return _solutions(result, RESULT_FORMATS[media_type], media_type, row_cap)
        except SyntaxError as exc:
            return Answer(400, message=f"query syntax error: {exc}")
        except RowCapError:
            return Answer(
                422,
                message=f"the answer has more than {row_cap} rows (this endpoint's row cap): add LIMIT, "
                "and OFFSET to page through the rest",
            )
        except OSError as exc:  # in-memory stores do not do I/O: this is a SERVICE call that failed
            return Answer(502, message=f"a SERVICE call failed: {exc}")
        except Exception as exc:
            log.exception("query failed: %s", sparql)
            return Answer(500, message=f"the query could not be evaluated ({type(exc).__name__}); the error was logged")

    def _merged(self, default_graph: Sequence[str], named_graphs: Sequence[str]) -> ox.Store:
        """A scratch store whose default graph is the RDF merge (a set) of ``default_graph``.

        Oxigraph evaluates several default graphs as a multiset union (a triple held by two of
        them matches twice) where SPARQL 1.1 §13.2 asks for their merge. The copy costs at most
        the size of the graphs named, and the worker's timeout bounds it like any evaluation.
        """
        scratch = ox.Store()
        for name in dict.fromkeys(default_graph):
            quads = self.store.quads_for_pattern(None, None, None, ox.NamedNode(name))
            scratch.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
        for name in dict.fromkeys(named_graphs):
            scratch.bulk_extend(self.store.quads_for_pattern(None, None, None, ox.NamedNode(name)))
        return scratch


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


def _serialize_triples(triples: Any, fmt: ox.RdfFormat) -> bytes:
    if fmt in _QUAD_FORMATS:
        triples = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return ox.serialize(triples, format=fmt) or b""


def _solutions(result: ox.QuerySolutions, fmt: ox.QueryResultsFormat, media_type: str, cap: int) -> Answer:
    """Count the solutions against the cap, then serialise them.

    pyoxigraph can only serialise a live result iterator, which counting consumes, so the counted
    rows are written as SPARQL TSV (each cell is the term's N-Triples form, exactly what
    ``str(term)`` gives) and pyoxigraph's own TSV parser and serialisers produce the answer.
    """
    lines = ["\t".join(f"?{v.value}" for v in result.variables)]
    for count, solution in enumerate(result, start=1):
        if count > cap:
            raise RowCapError
        lines.append("\t".join("" if term is None else str(term) for term in solution))
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    rows = len(lines) - 1
    # TSV too goes through Oxigraph's writer, so every answer is byte for byte what Oxigraph writes.
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return Answer(200, media_type, parsed.serialize(format=fmt) or b"", rows)
