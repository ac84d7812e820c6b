"""Federated examples (``#+ federated: true``) joining bordergraph with Wikidata, never over the internet.

A second real SPARQL server (``oxigraph serve-read-only`` from the PyPI package ``oxigraph``) runs on
loopback with a small Wikidata-shaped fixture made here; a bordergraph server whose SERVICE
allow-list names it answers each federated example with Wikidata's IRI swapped for the loopback one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from bordergraph.build import Built
from bordergraph.examples import Example, examples
from bordergraph.links import link_health
from bordergraph.mappings import mapping_files, read_table
from bordergraph.paths import Paths
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]


WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WD = "http://www.wikidata.org/entity/"
DECOY = WD + "Q999999999"  # an item nobody links to: must never reach an answer


def federated(paths: Paths) -> list[Example]:
    return [e for e in examples(paths) if e.meta.get("federated") == "true"]


def description(item: str) -> str:
    return f"fixture description of {item.removeprefix(WD)}"


def french(item: str) -> str:
    return f"nom de test de {item.removeprefix(WD)}"


@pytest.fixture(scope="module")
def linked(paths: Paths) -> list[str]:
    (path,) = mapping_files(paths)
    return [link.object for link in read_table(path).links]


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory, linked: list[str], port: Callable[[], int]) -> Iterator[str]:
    """URL of an ``oxigraph serve-read-only`` on loopback holding a Wikidata-shaped fixture."""
    folder = tmp_path_factory.mktemp("wikidata")
    fixture = folder / "fixture.nt"
    lines = []
    for item in [*linked, DECOY]:
        lines.append(f'<{item}> <http://schema.org/description> "{description(item)}"@en .')
        lines.append(f'<{item}> <http://schema.org/description> "description de test"@fr .')
        lines.append(f'<{item}> <http://www.w3.org/2000/01/rdf-schema#label> "{french(item)}"@fr .')
        lines.append(f'<{item}> <http://www.w3.org/2000/01/rdf-schema#label> "test label"@en .')
    fixture.write_text("\n".join(lines) + "\n", encoding="utf-8")
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    store = folder / "store"
    subprocess.run([oxigraph, "load", "--location", str(store), "--file", str(fixture)], check=True, timeout=60)
    free = port()
    process = subprocess.Popen(
        [oxigraph, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{free}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{free}/query"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("oxigraph serve-read-only did not start")
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def federating(built: Built, wikidata: str, serve: Serve) -> Iterator[str]:
    """SPARQL endpoint of a bordergraph server whose SERVICE allow-list holds the loopback fixture."""
    with serve(built, Settings(rate=0, service_allow=(wikidata,))) as (base, _):
        yield f"{base}/sparql"


def ask(endpoint: str, query: str) -> httpx.Response:
    return httpx.post(
        endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )


def rows(response: httpx.Response, *names: str) -> set[tuple[str, ...]]:
    assert response.status_code == 200, response.text
    return {tuple(b[n]["value"] for n in names) for b in response.json()["results"]["bindings"]}


def items_by_kind(built: Built, paths: Paths) -> dict[str, set[str]]:
    """Linked items of people, of posts, and of organisations and places (the "others")."""
    kinds: dict[str, set[str]] = {"people": set(), "posts": set(), "others": set()}
    for status in link_health(built.store, paths):
        if status.item:
            kind = {"foaf:Person": "people", "org:Post": "posts"}.get(status.type, "others")
            kinds[kind].add(status.item)
    return kinds


def test_there_are_federated_examples_and_they_say_where_they_go(paths: Paths) -> None:
    found = federated(paths)
    assert [e.slug for e in found] == ["15-wikidata-descriptions", "16-wikidata-french-names"]
    for example in found:
        assert example.meta["endpoint"] == WIKIDATA_SPARQL
        assert f"SERVICE <{WIKIDATA_SPARQL}>" in example.text


def test_service_blocks_name_exactly_the_linked_items(built: Built, paths: Paths) -> None:
    """Oxigraph sends a SERVICE block without outer bindings, so each example lists its items: keep them current."""
    kinds = items_by_kind(built, paths)
    listed = {
        e.slug: {WD + q for q in re.findall(r"\bwd:(Q\d+)", e.text.split("SERVICE", 1)[1])} for e in federated(paths)
    }
    assert listed["15-wikidata-descriptions"] == kinds["people"]
    assert listed["16-wikidata-french-names"] == kinds["others"]


def test_descriptions_join_through_the_loopback_wikidata(
    federating: str, wikidata: str, built: Built, paths: Paths
) -> None:
    (example,) = [e for e in federated(paths) if e.slug == "15-wikidata-descriptions"]
    answer = rows(ask(federating, example.text.replace(WIKIDATA_SPARQL, wikidata)), "person", "item", "description")
    people = items_by_kind(built, paths)["people"]
    assert {item for _, item, _ in answer} == people
    assert all(text == description(item) for _, item, text in answer)
    assert ("https://w3id.org/bordergraph/id/ralph-goodale", WD + "Q2070905", description(WD + "Q2070905")) in answer
    assert DECOY not in {item for _, item, _ in answer}


def test_french_names_join_through_the_loopback_wikidata(
    federating: str, wikidata: str, built: Built, paths: Paths
) -> None:
    (example,) = [e for e in federated(paths) if e.slug == "16-wikidata-french-names"]
    answer = rows(ask(federating, example.text.replace(WIKIDATA_SPARQL, wikidata)), "record", "item", "french")
    assert {item for _, item, _ in answer} == items_by_kind(built, paths)["others"]
    assert all(text == french(item) for _, item, text in answer)
    assert ("https://w3id.org/bordergraph/id/cbp", WD + "Q368804", french(WD + "Q368804")) in answer


def test_service_outside_the_allow_list_is_refused(federating: str, endpoint: str, paths: Paths) -> None:
    """The real Wikidata is not on the test allow-list, and the default server allows nothing: 403, no network."""
    example = federated(paths)[0]
    for url in (federating, endpoint):
        response = ask(url, example.text)
        assert response.status_code == 403, response.text
        assert "allow-list" in response.text
