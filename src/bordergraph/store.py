"""The query engine: Oxigraph (pyoxigraph) holding exactly the validated dataset.

rdflib stays for parsing, authoring and SHACL; every SPARQL query is evaluated here, because
Oxigraph passes more of the W3C SPARQL 1.1 test suite and rejects invalid queries rdflib accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset


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
        if default_graph:
            kwargs["default_graph"] = [ox.NamedNode(iri) for iri in default_graph]
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(iri) for iri in named_graphs]
        return self.store.query(sparql, **kwargs)
