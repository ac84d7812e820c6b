"""bordergraph: a knowledge graph of Canada–United States border-security cooperation.

In a notebook::

    import bordergraph
    ds = bordergraph.load()          # rdflib Dataset, one named graph per source, validated
    g = bordergraph.to_networkx()    # the property graph (actors, meetings, agreements, ...)

Importing the package stays cheap: rdflib, pyoxigraph and networkx load on the first call, and
``__version__`` (read from the installed metadata by ``importlib.metadata``) on first use: the query
workers import the package and never need it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx
    import pyoxigraph as ox
    from rdflib import Dataset

    from bordergraph.build import Built
    from bordergraph.version import __version__
else:

    def __getattr__(name: str) -> object:
        """``__version__``, read on first use (PEP 562)."""
        if name == "__version__":
            from bordergraph.version import __version__

            return __version__
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def _built() -> Built:
    from bordergraph.build import build

    return build()


def load() -> Dataset:
    """The validated dataset as an rdflib ``Dataset``: one named graph per source, plus ontology and sources.

    Built and validated once per process; raises ``bordergraph.build.InvalidDataError`` if the data
    does not validate. The same object is returned on every call.
    """
    return _built().loaded.dataset


def store() -> ox.Store:
    """The validated dataset as a pyoxigraph ``Store`` (default graph = the merge of all named graphs)."""
    return _built().store.store


def to_networkx() -> nx.MultiDiGraph:
    """The property-graph projection as a NetworkX ``MultiDiGraph``, the same one every export writes.

    Nodes are resources keyed by IRI (``label``, ``type`` and plain-valued attributes); edges carry
    ``relation``, ``graph``, ``release`` and ``quote`` (the annotation IRIs quoting their subject).
    """
    from bordergraph.export.projection import project_store
    from bordergraph.export.projection import to_networkx as convert

    return convert(project_store(_built().store))


__all__ = ["__version__", "load", "store", "to_networkx"]
