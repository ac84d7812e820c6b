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
    """An in-memory Oxigraph store; the default graph of a query is the union of all graphs."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> QueryStore:
        """Copy every quad of an rdflib dataset into a new Oxigraph store."""
        store = ox.Store()
        data = dataset.serialize(format="nquads", encoding="utf-8")
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        return cls(store)

    def __len__(self) -> int:
        return len(self.store)

    def graph_names(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def query(
        self,
        sparql: str,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> Any:
        """Evaluate a query; without dataset parameters the default graph is the union of all graphs.

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
        if not default_graph:
            kwargs["use_default_graph_as_union"] = True
        return self.store.query(sparql, **kwargs)
