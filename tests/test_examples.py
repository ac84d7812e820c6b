"""Example queries are data: each parses anywhere, states its question, and gives its expected answer.

The expected answers in queries/examples/expected/ were reviewed against the sources by hand.
After a deliberate data change, regenerate them with BORDERGRAPH_UPDATE_EXPECTED=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from rdflib.plugins.sparql import prepareQuery

from bordergraph.examples import Example, examples
from bordergraph.paths import find_paths

PATHS = find_paths()
EXAMPLES = examples(PATHS)
LOCAL = [e for e in EXAMPLES if e.meta.get("federated") != "true"]
ALL_QUERY_FILES = sorted(PATHS.queries_dir.glob("**/*.rq"))


def expected_path(example: Example) -> Path:
    return example.path.parent / "expected" / f"{example.slug}.tsv"


def rows(tsv: str) -> tuple[str, list[str]]:
    """Header and rows as a sorted multiset: ORDER BY ties may come back in any order."""
    lines = tsv.rstrip("\n").split("\n")
    return lines[0], sorted(lines[1:])


def test_there_are_at_least_twelve_competency_questions() -> None:
    assert len(LOCAL) >= 12


@pytest.mark.parametrize("path", ALL_QUERY_FILES, ids=lambda p: p.name)
def test_query_parses_without_implicit_prefixes(path: Path) -> None:
    """rdflib-endpoint would inject 29 prefixes; our queries must run on any engine."""
    prepareQuery(path.read_text(encoding="utf-8"), initNs={})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.slug)
def test_example_states_its_question(example: Example) -> None:
    assert example.summary and example.summary != example.slug
    assert example.meta.get("question"), f"{example.path.name} needs a '#+ question:' header"


@pytest.mark.parametrize("example", LOCAL, ids=lambda e: e.slug)
def test_example_gives_its_expected_answer(example: Example, endpoint: str) -> None:
    response = httpx.post(
        endpoint,
        data={"query": example.text},
        headers={"Accept": "text/tab-separated-values"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    answer = response.text
    target = expected_path(example)
    if os.environ.get("BORDERGRAPH_UPDATE_EXPECTED") == "1":
        target.parent.mkdir(exist_ok=True)
        target.write_text(answer, encoding="utf-8")
    header, body = rows(answer)
    assert body, f"{example.slug} returned no rows"
    expected_header, expected_body = rows(target.read_text(encoding="utf-8"))
    assert header == expected_header
    assert body == expected_body
