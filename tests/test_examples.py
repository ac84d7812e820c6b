"""Example queries are data: each parses anywhere, states its question, and gives its expected answer.

The expected answers in queries/examples/expected/ were reviewed against the sources by hand. They are
compared modulo the order of rows that the query's ORDER BY leaves tied (bordergraph.snapshots). After a
deliberate data change, `make snapshots` rewrites the ones whose answer changed; review the diff as the
curation guide says (docs/curation.md, "A new release, from add-source to make test").
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from rdflib.plugins.sparql import prepareQuery

from bordergraph.examples import Example, examples
from bordergraph.paths import find_paths
from bordergraph.snapshots import differences, ordering

PATHS = find_paths()
EXAMPLES = examples(PATHS)
LOCAL = [e for e in EXAMPLES if e.meta.get("federated") != "true"]
ALL_QUERY_FILES = sorted(PATHS.queries_dir.glob("**/*.rq"))


def expected_path(example: Example) -> Path:
    return example.path.parent / "expected" / f"{example.slug}.tsv"


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
    assert answer.rstrip("\n").count("\n") >= 1, f"{example.slug} returned no rows"
    order = ordering(example.text)
    differs = differences(target.read_text(encoding="utf-8"), answer, order) if target.is_file() else ["no snapshot"]
    if differs and os.environ.get("BORDERGRAPH_UPDATE_EXPECTED") == "1":  # `make snapshots`
        target.parent.mkdir(exist_ok=True)
        target.write_text(answer, encoding="utf-8")
        return
    assert not differs, f"{example.slug} differs from {target.name} (`make snapshots` after a deliberate change):\n" + (
        "\n".join(differs[:20])
    )


SNAPSHOT = "?who\t?n\n<a>\t2\n<b>\t2\n<c>\t1\n"


def test_ties_may_come_back_in_any_order() -> None:
    order = ordering("SELECT ?who ?n WHERE { ?who <p> ?n } ORDER BY DESC(?n)")
    assert order.keys == ("n",)
    assert differences(SNAPSHOT, "?who\t?n\n<b>\t2\n<a>\t2\n<c>\t1\n", order) == []


def test_the_order_between_groups_is_checked() -> None:
    order = ordering("SELECT ?who ?n WHERE { ?who <p> ?n } ORDER BY DESC(?n)")
    assert differences(SNAPSHOT, "?who\t?n\n<c>\t1\n<a>\t2\n<b>\t2\n", order)


def test_a_changed_row_inside_a_group_is_caught() -> None:
    order = ordering("SELECT ?who ?n WHERE { ?who <p> ?n } ORDER BY DESC(?n) ?who")
    assert order.keys == ("n", "who")
    (problem, *_) = differences(SNAPSHOT, "?who\t?n\n<a>\t2\n<d>\t2\n<c>\t1\n", order)
    assert "<d>" in problem or "<b>" in problem


def test_without_order_by_the_rows_are_a_multiset() -> None:
    order = ordering("SELECT ?who ?n WHERE { ?who <p> ?n }")
    assert order.keys is None
    assert differences(SNAPSHOT, "?who\t?n\n<c>\t1\n<b>\t2\n<a>\t2\n", order) == []
    assert differences(SNAPSHOT, "?who\t?n\n<c>\t1\n<b>\t2\n", order) == ["missing row: <a>\t2"]


def test_an_order_by_expression_groups_by_the_keys_before_it() -> None:
    order = ordering("SELECT ?who ?n WHERE { ?who <p> ?n } ORDER BY DESC(?n) STR(?who) LIMIT 2")
    assert order.keys == ("n",) and order.limited
    # LIMIT 2 cuts the tied group at n=2 only if it had more rows: the last group is compared by size
    assert differences("?who\t?n\n<a>\t2\n<b>\t2\n", "?who\t?n\n<b>\t2\n<e>\t2\n", order) == []
