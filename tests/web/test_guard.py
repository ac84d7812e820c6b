"""Unit tests of the pre-parse guard: query form, nesting depth, SERVICE allow-list, FROM graphs."""

from __future__ import annotations

import pytest

from bordergraph.web.guard import QueryRejectedError, inspect

ALLOWED = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("select * where { ?s ?p ?o }", "SELECT"),
        ("ASK { ?s ?p ?o }", "ASK"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://example.org/a>", "DESCRIBE"),
        ("PREFIX ex: <http://example.org/> # SELECT in a comment\nASK { ex:a ?p ?o }", "ASK"),
        ('ASK { ?s ?p "SELECT" }', "ASK"),
        ("not a query", None),
    ],
)
def test_form_is_the_first_query_keyword_outside_strings_and_comments(query: str, form: str | None) -> None:
    assert inspect(query, max_depth=64).form == form


def test_nesting_at_the_limit_passes_and_one_deeper_is_400_saying_how_deep() -> None:
    def nested(levels: int) -> str:
        return "ASK " + "{ " * levels + "?s ?p ?o " + "} " * levels

    assert inspect(nested(5), max_depth=5).form == "ASK"
    with pytest.raises(QueryRejectedError) as info:
        inspect(nested(6), max_depth=5)
    assert info.value.status == 400
    assert "6 levels deep" in info.value.message and "at most 5" in info.value.message


def test_brackets_inside_strings_comments_and_iris_are_not_nesting() -> None:
    query = 'ASK { ?s ?p "{{{{((((" . ?s ?q <http://example.org/a(b)> } # }}}}]]]]\n'
    assert inspect(query, max_depth=1).form == "ASK"
    long_string = "ASK { ?s ?p '''{{{\n(((''' }"
    assert inspect(long_string, max_depth=1).form == "ASK"


def test_service_outside_the_allow_list_is_403_naming_it() -> None:
    with pytest.raises(QueryRejectedError) as info:
        inspect("SELECT * { SERVICE <http://elsewhere.example/sparql> { ?s ?p ?o } }", 64, (ALLOWED,))
    assert info.value.status == 403
    assert "<http://elsewhere.example/sparql>" in info.value.message and ALLOWED in info.value.message


def test_service_is_refused_when_the_allow_list_is_empty() -> None:
    with pytest.raises(QueryRejectedError) as info:
        inspect(f"SELECT * {{ SERVICE <{ALLOWED}> {{ ?s ?p ?o }} }}", 64)
    assert info.value.status == 403 and "(none)" in info.value.message


def test_allowed_service_passes_through_prefixes_base_and_silent() -> None:
    query = f"PREFIX remote: <{ALLOWED.rsplit('/', 1)[0]}/>\nSELECT * {{ SERVICE SILENT remote:sparql {{ ?s ?p ?o }} }}"
    assert inspect(query, 64, (ALLOWED,)).services == (ALLOWED,)
    relative = f"BASE <{ALLOWED}>\nSELECT * {{ SERVICE <> {{ ?s ?p ?o }} }}"
    assert inspect(relative, 64, (ALLOWED,)).services == (ALLOWED,)


def test_variable_service_endpoint_is_403_and_a_bare_service_is_400() -> None:
    with pytest.raises(QueryRejectedError) as info:
        inspect("SELECT * { SERVICE ?where { ?s ?p ?o } }", 64, (ALLOWED,))
    assert info.value.status == 403 and "?where" in info.value.message
    with pytest.raises(QueryRejectedError) as bare:
        inspect("SELECT * { ?s ?p ?o } SERVICE", 64, (ALLOWED,))
    assert bare.value.status == 400


def test_from_and_from_named_are_resolved() -> None:
    query = (
        "BASE <http://example.org/graphs/>\nPREFIX g: <http://example.org/g/>\n"
        "SELECT * FROM <a> FROM g:b FROM NAMED <c> FROM NAMED g:d WHERE { ?s ?p ?o }"
    )
    info = inspect(query, 64)
    assert info.from_graphs == ("http://example.org/graphs/a", "http://example.org/g/b")
    assert info.from_named == ("http://example.org/graphs/c", "http://example.org/g/d")
