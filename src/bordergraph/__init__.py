"""bordergraph: a knowledge graph of Canada–United States border-security cooperation.

In a notebook::

    import bordergraph
    ds = bordergraph.load()          # rdflib Dataset, one named graph per source, validated
    g = bordergraph.to_networkx()    # the property graph (actors, meetings, agreements, ...)

Importing the package stays cheap: rdflib, pyoxigraph and networkx load on the first call.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from bordergraph.version import __version__

if TYPE_CHECKING:
    import networkx as nx
    import pyoxigraph as ox
    from rdflib import Dataset

    from bordergraph.build import Built


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
