"""Evidence written once (being split into modules: see expansion.py)."""

from bordergraph.shorthand.expansion import *  # noqa: F403
