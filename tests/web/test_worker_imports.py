"""The query workers stay lean: their fork server imports what evaluating a query needs, not the web stack.

The fork server is a fresh interpreter that imports ``bordergraph.web.worker`` (its preload list)
and forks every worker from there, so each module it imports is carried by every worker
(bench/memory.py measures what that costs). A fresh interpreter importing the same module shows
what the fork server holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
#: Packages a worker never needs: the web framework, templates, rdflib, drawing, the remote-store client.
NOT_IN_WORKERS = ["fastapi", "starlette", "pydantic", "uvicorn", "jinja2", "rdflib", "networkx", "httpx", "curies"]


def modules_after(statement: str) -> list[str]:
    """Modules loaded by a fresh interpreter after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


def test_the_fork_server_imports_no_web_stack() -> None:
    loaded = {name.split(".")[0] for name in modules_after("import bordergraph.web.worker")}
    assert "pyoxigraph" in loaded
    assert [name for name in NOT_IN_WORKERS if name in loaded] == []


@pytest.mark.parametrize("name", ["BG", "BGG", "ONTOLOGY_GRAPH", "SOURCES_GRAPH"])
def test_the_rdflib_terms_of_prefixes_are_made_on_first_use(name: str) -> None:
    from rdflib import Namespace, URIRef

    from bordergraph import prefixes

    term = getattr(prefixes, name)
    assert isinstance(term, Namespace | URIRef)
    assert str(term).startswith(prefixes.BASE)
    assert getattr(prefixes, name) is term  # made once, then kept


def test_an_unknown_name_in_prefixes_is_an_attribute_error() -> None:
    from bordergraph import prefixes

    with pytest.raises(AttributeError, match="NOT_A_PREFIX"):
        prefixes.NOT_A_PREFIX  # type: ignore[attr-defined]  # noqa: B018


def test_the_package_version_is_read_on_first_use() -> None:
    assert "importlib.metadata" not in modules_after("import bordergraph")
    assert "importlib.metadata" in modules_after("import bordergraph; bordergraph.__version__")
    import bordergraph
    from bordergraph.version import __version__

    assert bordergraph.__version__ == __version__
