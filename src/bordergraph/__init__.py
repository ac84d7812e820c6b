"""bordergraph: a knowledge graph of Canada–United States border-security cooperation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bordergraph")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
