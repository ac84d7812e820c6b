"""Full-text search and browsing (being split into modules: see index.py)."""

from bordergraph.search.index import *  # noqa: F403
