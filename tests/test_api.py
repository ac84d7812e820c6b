"""The Python API: ``bordergraph.load()``, ``store()`` and ``to_networkx()``, in the checkout and from a wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset

import bordergraph
from bordergraph.build import Built

ROOT = Path(__file__).resolve().parents[1]

# Run by the interpreter under test; prints what the API gives, as JSON.
PROBE = """
import json, sys
import bordergraph
light = not any(m in sys.modules for m in ("rdflib", "pyoxigraph", "networkx"))
ds = bordergraph.load()
graphs = sorted(str(g.identifier) for g in ds.graphs() if len(g))
store = bordergraph.store()
g = bordergraph.to_networkx()
goodale = g.nodes["https://w3id.org/bordergraph/id/ralph-goodale"]["label"]
print(json.dumps({"light": light, "graphs": graphs, "quads": sum(len(x) for x in ds.graphs()),
    "store": len(store), "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
    "goodale": goodale, "file": bordergraph.__file__, "version": bordergraph.__version__}))
"""


def test_load_gives_the_validated_dataset_with_named_graphs(built: Built) -> None:
    dataset = bordergraph.load()
    assert isinstance(dataset, Dataset)
    names = sorted(str(g.identifier) for g in dataset.graphs() if len(g))
    assert names == built.store.graph_names()
    assert bordergraph.load() is dataset, "built and validated once per process"


def test_store_is_pyoxigraph_and_answers_sparql() -> None:
    store = bordergraph.store()
    assert isinstance(store, ox.Store)
    assert bool(store.query("ASK { ?m a <https://w3id.org/bordergraph/ontology#Meeting> }"))


def test_to_networkx_is_the_projection() -> None:
    from bordergraph.export.projection import project_store

    graph = bordergraph.to_networkx()
    projection = project_store(bordergraph._built().store)
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (len(projection.nodes), len(projection.edges))
    assert graph.nodes["https://w3id.org/bordergraph/id/kirstjen-nielsen"]["type"] == "Person"


def test_submodules_do_not_shadow_the_api_functions() -> None:
    """The modules are loader.py and querystore.py, so importing them never hides the API functions."""
    import bordergraph.loader
    import bordergraph.querystore

    assert callable(bordergraph.load) and callable(bordergraph.store)


def test_import_is_cheap_and_the_api_works_in_a_fresh_process() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    probe = json.loads(result.stdout)
    assert probe["light"], "import bordergraph must not import rdflib, pyoxigraph or networkx"
    assert probe["goodale"] == "Ralph Goodale"


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A clean virtualenv outside the checkout, with the built wheel and its dependencies from PyPI."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(base / "dist")],
        check=True,
        cwd=base,
    )
    (wheel,) = (base / "dist").glob("bordergraph-*.whl")
    venv.create(base / "venv", with_pip=True, clear=True)
    python = base / "venv" / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, cwd=base)
    yield python


def test_the_api_works_from_the_installed_wheel_without_a_checkout(wheel_venv: Path, built: Built) -> None:
    outside = wheel_venv.parents[2]
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a checkout on the path would be imported
    result = subprocess.run([str(wheel_venv), "-c", PROBE], capture_output=True, text=True, cwd=outside, env=clean)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert ROOT not in Path(probe["file"]).parents, "imported the installed copy, not the checkout"
    assert probe["graphs"] == built.store.graph_names()
    assert probe["quads"] == len(built.store)
    assert probe["store"] == len(built.store) + built.store.default_size
    assert probe["goodale"] == "Ralph Goodale"
    assert probe["light"]
    local = bordergraph.to_networkx()
    assert (probe["nodes"], probe["edges"]) == (local.number_of_nodes(), local.number_of_edges())
