"""Unit tests of the one prefix map and its CURIE functions (through ``curies``)."""

from __future__ import annotations

import pytest

from bordergraph.prefixes import BASE, PREFIXES, RDF_TYPE, compact, curie, expand


@pytest.mark.parametrize(
    ("iri", "short"),
    [
        (BASE + "id/cbp", "bgr:cbp"),
        (BASE + "ontology#Meeting", "bg:Meeting"),
        (BASE + "graph/mappings", "bgg:mappings"),
        (RDF_TYPE, "rdf:type"),
        ("http://www.wikidata.org/entity/Q30", "wd:Q30"),
    ],
)
def test_compact_and_expand_are_inverse(iri: str, short: str) -> None:
    assert compact(iri) == short == curie(iri)
    assert expand(short) == iri


def test_the_longest_namespace_wins() -> None:
    assert BASE + "id/" in PREFIXES.values() and compact(BASE + "id/x") == "bgr:x"


@pytest.mark.parametrize("iri", ["http://example.org/elsewhere", BASE + "id/", BASE + "ontology"])
def test_iris_outside_a_namespace_or_without_a_local_part_stay_whole(iri: str) -> None:
    assert compact(iri) == iri
    assert curie(iri) is None


@pytest.mark.parametrize("text", ["nope:thing", "https://example.org/a", "plain"])
def test_expand_leaves_unknown_prefixes_and_iris_alone(text: str) -> None:
    assert expand(text) == text
