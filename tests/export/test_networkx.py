"""The exported property graphs read back with networkx: what each edge carries.

Every edge a source graph asserts names its release; every edge backed by a quote carries the
quote's words (verbatim substrings of that release's archived text, never annotation IRIs);
annotations and bare external IRIs (Wikidata) are not nodes; the actors-and-agreements graph
links only actors and documents, each link an event with its release, date and words.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from bordergraph.build import Built
from bordergraph.describe import evidenced_facts
from bordergraph.export.actors import KINDS
from bordergraph.export.projection import QUOTE_SEPARATOR
from bordergraph.export.release import export_checkout
from bordergraph.prefixes import BASE


@pytest.fixture(scope="module")
def exported(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("networkx")
    export_checkout(built.store, built.paths, out)
    return out


@pytest.fixture(scope="module")
def texts(built: Built) -> dict[str, str]:
    """Source graph IRI → the release's archived text."""
    rows = built.store.query(
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#> "
        "SELECT ?g ?path WHERE { ?s bg:sourceGraph ?g ; bg:localPath ?path }"
    )
    return {r["g"].value: (built.paths.root / r["path"].value).read_text(encoding="utf-8") for r in rows}


@pytest.fixture(scope="module")
def releases(built: Built) -> dict[str, str]:
    rows = built.store.query(
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#> SELECT ?s ?g WHERE { ?s bg:sourceGraph ?g }"
    )
    return {r["g"].value: r["s"].value for r in rows}


def edges(graph: nx.MultiDiGraph) -> Iterator[tuple[str, str, dict[str, Any]]]:
    yield from graph.edges(data=True)


@pytest.mark.parametrize("name", ["bordergraph.graphml", "actors.graphml"])
def test_every_edge_in_a_source_graph_names_its_release(exported: Path, releases: dict[str, str], name: str) -> None:
    graph = nx.read_graphml(exported / name)
    in_sources = [d for _, _, d in edges(graph) if d["graph"] in releases]
    assert in_sources
    assert all(d["release"] == releases[d["graph"]] for d in in_sources)


@pytest.mark.parametrize("name", ["bordergraph.graphml", "actors.graphml"])
def test_quotes_are_verbatim_words_of_the_release(exported: Path, texts: dict[str, str], name: str) -> None:
    graph = nx.read_graphml(exported / name)
    quoted = [d for _, _, d in edges(graph) if d.get("quote")]
    assert quoted
    for data in quoted:
        for words in data["quote"].split(QUOTE_SEPARATOR):
            assert not words.startswith(BASE), f"an IRI where the words should be: {words}"
            assert words in texts[data["graph"]], f"not in {data['graph']}: {words!r}"


def test_every_edge_from_a_quoted_fact_carries_its_words(
    exported: Path, built: Built, releases: dict[str, str]
) -> None:
    graph = nx.read_graphml(exported / "bordergraph.graphml")
    quoted = {
        (r["g"].value, r["f"].value)
        for r in built.store.query(
            "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT DISTINCT ?g ?f WHERE { GRAPH ?g { ?a oa:hasBody ?f } }"
        )
    }
    facts = evidenced_facts(built.store)
    checked = 0
    for source, _, data in edges(graph):
        if (data["graph"], source) in quoted:
            assert source in facts
            assert data["quote"] and data["release"], (source, data["relation"])
            checked += 1
    assert checked > len(quoted) / 2  # most quoted facts have several edges each


def test_annotations_and_external_iris_are_not_nodes(exported: Path) -> None:
    graph = nx.read_graphml(exported / "bordergraph.graphml")
    assert not [n for n in graph.nodes if "/id/ann-" in n]
    assert not [n for n in graph.nodes if n.startswith("http") and not n.startswith(BASE)]
    assert not [d["relation"] for _, _, d in edges(graph) if d["relation"].startswith("oa_")]
    linked = [d for _, d in graph.nodes(data=True) if str(d.get("skos_exactMatch", "")).startswith("wd:")]
    assert linked, "Wikidata links are node attributes"


def test_actors_graph_links_actors_and_documents_through_events(exported: Path, built: Built) -> None:
    graph = nx.read_graphml(exported / "actors.graphml")
    assert {d["kind"] for _, d in graph.nodes(data=True)} <= set(KINDS)
    assert {"person", "agreement"} <= {d["kind"] for _, d in graph.nodes(data=True)}
    events = [d for _, _, d in edges(graph) if d.get("event")]
    assert events
    for data in events:
        assert data["event"].startswith(BASE + "id/") and data["event_label"]
        assert data["quote"], f"the event {data['event']} is quoted in {data['graph']}"
    # Dates as each source gives them, partial ones included, and only full dates as GEXF starts.
    dated = {
        (r["g"].value, r["e"].value): r["d"].value
        for r in built.store.query(
            "PREFIX bg: <https://w3id.org/bordergraph/ontology#> SELECT ?g ?e ?d WHERE { GRAPH ?g { ?e bg:date ?d } }"
        )
    }
    for data in events:
        assert data.get("date", "") == dated.get((data["graph"], data["event"]), "")
    meetings = {frozenset((a, b)) for a, b, d in edges(graph) if d["relation"] == "Meeting"}
    goodale, nielsen = BASE + "id/ralph-goodale", BASE + "id/kirstjen-nielsen"
    assert frozenset((goodale, nielsen)) in meetings
