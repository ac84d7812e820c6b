"""The store: Oxigraph (pyoxigraph) holding exactly the validated dataset; open, load, dump, query.

rdflib stays for parsing, authoring and SHACL; every SPARQL query is evaluated here, because
Oxigraph passes more of the W3C SPARQL 1.1 test suite and rejects invalid queries rdflib accepts.
This module is imported by the query worker processes, so it imports rdflib only for type hints.
No HTTP and no media types here: ``bordergraph.web.answer`` turns an evaluation into an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    from rdflib import Dataset

_QUAD_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


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

    def serialize_graph(self, iri: str | None, fmt: ox.RdfFormat) -> bytes:
        """One named graph (``iri``) or the merged default graph (``None``) in an RDF format."""
        graph: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(iri) if iri else ox.DefaultGraph()
        quads = self.store.quads_for_pattern(None, None, None, graph)
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        return serialize_triples(triples, fmt)

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
        base_iri: str | None = None,
    ) -> Any:
        """Evaluate a query; without dataset parameters the default graph is the merge of all graphs.

        Args:
            sparql: the query text.
            default_graph: IRIs whose merge is the default graph (``default-graph-uri``).
            named_graphs: IRIs of the graphs ``GRAPH`` may see (``named-graph-uri``).
            base_iri: what relative IRIs in the query resolve against (before its own BASE).

        Raises:
            SyntaxError: the query does not parse (the message gives line and column).

        """
        kwargs: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
        if default_graph is not None or named_graphs is not None:
            # The protocol's dataset is exactly what the request names: a missing list is empty.
            kwargs["default_graph"] = [ox.NamedNode(iri) for iri in default_graph or ()]
            kwargs["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs or ()]
        return self.store.query(sparql, **kwargs)

    def merged(self, default_graph: Sequence[str], named_graphs: Sequence[str]) -> ox.Store:
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


def serialize_triples(triples: Any, fmt: ox.RdfFormat) -> bytes:
    """Triples in an RDF format; quad formats put them in the default graph."""
    if fmt in _QUAD_FORMATS:
        triples = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return ox.serialize(triples, format=fmt) or b""
