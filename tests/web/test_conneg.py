"""Unit tests of content negotiation (RFC 9110 §12.5.1) and the one media-type table."""

from __future__ import annotations

import pytest

from bordergraph.export.writers import PROPERTY_GRAPH_FORMATS
from bordergraph.web.conneg import ALIASES, GRAPH_ANSWERS, GRAPH_FORMATS, RESULT_FORMATS, negotiate

OFFERED = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]


@pytest.mark.parametrize("accept", [None, "", "   "])
def test_no_accept_header_gets_the_first_offered(accept: str | None) -> None:
    assert negotiate(accept, OFFERED) == OFFERED[0]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("text/csv", "text/csv"),
        ("TEXT/CSV", "text/csv"),
        ("text/*", "text/csv"),
        ("*/*", OFFERED[0]),
        ("application/sparql-results+xml;q=0.9, text/csv;q=0.5", "application/sparql-results+xml"),
        ("text/csv;q=0.5, */*;q=0.1", "text/csv"),
        # the most specific range gives the q-value: csv is excluded although */* is present
        ("text/csv;q=0, */*", OFFERED[0]),
        ("application/sparql-results+json;q=0, application/*;q=0.8", "application/sparql-results+xml"),
        # equal q-values: the server's order decides
        ("text/csv, application/sparql-results+xml", "application/sparql-results+xml"),
        # parameters other than q are not q
        ("text/csv;charset=utf-8", "text/csv"),
    ],
)
def test_the_preferred_offered_type_wins(accept: str, chosen: str) -> None:
    assert negotiate(accept, OFFERED) == chosen


@pytest.mark.parametrize("accept", ["image/png", "text/csv;q=0", "nonsense", "text/csv;q=abc"])
def test_nothing_acceptable_is_none(accept: str) -> None:
    assert negotiate(accept, OFFERED) is None


def test_q_values_are_clamped_to_0_1() -> None:
    assert negotiate("text/csv;q=7, application/sparql-results+json;q=1", OFFERED) == OFFERED[0]
    assert negotiate("text/csv;q=-1", OFFERED) is None


def test_the_table_lists_registered_types_before_their_aliases() -> None:
    for table in (RESULT_FORMATS, GRAPH_FORMATS):
        names = list(table)
        registered = [m for m in names if m not in ALIASES]
        assert names[: len(registered)] == registered, "aliases come last, so no Accept header means a registered type"
    assert [*GRAPH_FORMATS, *PROPERTY_GRAPH_FORMATS] == GRAPH_ANSWERS
    assert not set(PROPERTY_GRAPH_FORMATS) & set(GRAPH_FORMATS)
