"""The guard refuses the long flat queries that crash or stall the engine, and lets ordinary ones through.

The crash points are the figures measured by bench/guard_limits.py (the table in bordergraph.guard);
each shape here is sent at its measured crash point, where the engine (pyoxigraph 0.5.13) dies or
overruns, and must be refused with a 400 that names the limit, without reaching a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest

from bordergraph.build import Built
from bordergraph.paths import Paths
from bordergraph.web.guard import MAX_PATTERNS, QueryRejectedError, inspect, normalise
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

JSON_RESULTS = {"Accept": "application/sparql-results+json"}
ASK = "ASK { ?s a <https://w3id.org/bordergraph/ontology#Meeting> }"

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]


def chain(op: str, term: str = "1") -> Callable[[int], str]:
    return lambda n: f"SELECT ?x WHERE {{ BIND({(term + op) * (n - 1)}{term} AS ?x) }}"


# (shape, n at which pyoxigraph 0.5.13 crashed or overran 15 s, words the refusal must use)
SHAPES: list[tuple[str, Callable[[int], str], int, str]] = [
    ("plus", chain(" + "), 6_912, "+ - * /"),
    ("times", chain(" * "), 6_912, "+ - * /"),
    ("and", chain(" && ", "true"), 9_344, "&& and ||"),
    ("or", chain(" || ", "false"), 9_344, "&& and ||"),
    ("not", lambda n: f"SELECT ?x WHERE {{ BIND({'!' * n}true AS ?x) }}", 9_344, "! operators"),
    ("union", lambda n: "SELECT * WHERE { " + " UNION ".join(["{ ?s <urn:q> ?o }"] * n) + " }", 6_656, "UNION"),
    ("minus", lambda n: "SELECT * WHERE { ?s <urn:p> ?o " + "MINUS { ?s <urn:q> ?o } " * n + "}", 2_624, "MINUS"),
    ("filter", lambda n: "SELECT * WHERE { ?s <urn:p> ?o " + "FILTER(true) " * n + "}", 9_344, "FILTERs"),
    (
        "bind",
        lambda n: (
            "SELECT * WHERE { BIND(1 AS ?v0) " + " ".join(f"BIND(?v{i} AS ?v{i + 1})" for i in range(n - 1)) + " }"
        ),
        2_624,
        "BINDs",
    ),
    (
        "optional",
        lambda n: "SELECT * WHERE { ?s <urn:p> ?o " + "OPTIONAL { ?s <urn:q> ?o } " * n + "}",
        616,
        "OPTIONAL",
    ),
    ("groups", lambda n: "SELECT * WHERE { " + "{ ?s <urn:p> ?o } " * n + "}", 260, "triple patterns"),
    (
        "triples",
        lambda n: "SELECT * WHERE { " + " ".join(f"?v{i} <urn:q> ?v{i + 1} ." for i in range(n)) + " }",
        576,
        "triple patterns",
    ),
    (
        "predicate_list",
        lambda n: "SELECT * WHERE { ?s " + " ; ".join(f"<urn:q> ?o{i}" for i in range(n)) + " }",
        176,
        "triple patterns",
    ),
    (
        "object_list",
        lambda n: "SELECT * WHERE { ?s <urn:q> " + " , ".join(f"?o{i}" for i in range(n)) + " }",
        160,
        "triple patterns",
    ),
    ("collection", lambda n: "SELECT * WHERE { ?s <urn:q> (" + " 1" * n + " ) }", 260, "triple patterns"),
    ("path_sequence", lambda n: "SELECT * WHERE { ?s " + "/".join(["<urn:p>"] * n) + " ?o }", 456, "path steps"),
    ("path_alternative", lambda n: "SELECT * WHERE { ?s " + "|".join(["<urn:p>"] * n) + " ?o }", 11_008, "| and ^"),
    ("function_nesting", lambda n: f"SELECT ?x WHERE {{ BIND({'STR(' * n}1{')' * n} AS ?x) }}", 960, "levels deep"),
    ("group_nesting", lambda n: "SELECT * WHERE " + "{ " * n + "?s <urn:p> ?o" + " }" * n, 2_208, "levels deep"),
]


@pytest.mark.parametrize(("name", "shape", "crash", "words"), SHAPES, ids=[s[0] for s in SHAPES])
def test_each_measured_crash_point_is_refused_with_400_naming_the_limit(
    name: str, shape: Callable[[int], str], crash: int, words: str
) -> None:
    with pytest.raises(QueryRejectedError) as refused:
        inspect(shape(crash), Settings.max_depth)
    assert refused.value.status == 400
    assert words in refused.value.message
    assert "at most" in refused.value.message


@pytest.mark.parametrize(("name", "shape", "crash", "words"), SHAPES, ids=[s[0] for s in SHAPES])
def test_ordinary_sizes_of_each_shape_pass(name: str, shape: Callable[[int], str], crash: int, words: str) -> None:
    inspect(shape(20), Settings.max_depth)  # raises if refused


def test_margin_is_the_share_of_the_crash_point_accepted() -> None:
    plus = chain(" + ")
    inspect(plus(1_300), Settings.max_depth)  # 6,912 measured, margin 5: at most 1,382
    with pytest.raises(QueryRejectedError):
        inspect(plus(1_400), Settings.max_depth)
    inspect(plus(2_700), Settings.max_depth, margin=2.5)  # a smaller margin lets more through


def test_chains_inside_brackets_inside_chains_add_up() -> None:
    """Each part is under its own limit; together they are deeper than the engine's stack allows."""
    inner = " + ".join(["1"] * 1_000)  # 1,000 of 1,382 operators accepted in one expression
    nested = "SELECT ?x WHERE { BIND(" + "STR(" * 60 + inner + ")" * 60 + " AS ?x) }"  # 60 of 64 levels
    inspect("SELECT ?x WHERE { BIND(" + inner + " AS ?x) }", Settings.max_depth)
    inspect("SELECT ?x WHERE { BIND(" + "STR(" * 60 + "1" + ")" * 60 + " AS ?x) }", Settings.max_depth)
    with pytest.raises(QueryRejectedError) as refused:
        inspect(nested, Settings.max_depth)
    assert "brackets and operator chains too deeply" in refused.value.message


def test_a_chain_dressed_as_an_iri_is_still_a_chain() -> None:
    """``?a<1+1+…&&true>false`` looks like an IRI to a lexer; the engine reads a comparison."""
    disguised = "SELECT * WHERE { BIND(1 AS ?a) FILTER(?a<" + "1+" * 8_000 + "1&&true>false) }"
    with pytest.raises(QueryRejectedError) as refused:
        inspect(disguised, Settings.max_depth)
    assert "+ - * /" in refused.value.message


def test_lists_are_not_chains() -> None:
    """VALUES rows, IN lists and typed literals are flat in the engine: the body cap bounds them."""
    values = "SELECT * WHERE { VALUES ?x { " + " ".join(f'"{i}"^^<urn:t>' for i in range(5_000)) + " } }"
    pairs = "SELECT * WHERE { VALUES (?x ?y) { " + " ".join(f"({i} <urn:s{i}>)" for i in range(5_000)) + " } }"
    in_list = "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (" + ", ".join(f"<urn:s{i}>" for i in range(5_000)) + ")) }"
    template = "CONSTRUCT { " + " ".join(f"?s <urn:c{i}> ?o ." for i in range(500)) + " } WHERE { ?s ?p ?o }"
    for query in (values, pairs, in_list, template):
        assert inspect(query, Settings.max_depth).patterns <= MAX_PATTERNS


def test_union_alternatives_are_planned_apart() -> None:
    union = "SELECT * WHERE { " + " UNION ".join(["{ ?s <urn:q> ?o . ?o <urn:q> ?x }"] * 200) + " }"
    assert inspect(union, Settings.max_depth).patterns == 2


def test_every_query_of_the_project_passes(paths: Paths) -> None:
    queries = sorted(paths.queries_dir.rglob("*.rq"))
    assert queries
    for path in queries:
        text = path.read_text(encoding="utf-8")
        # SERVICE examples need an allow-list; the chain limits are what is tested here.
        allow = ("https://query.wikidata.org/sparql",)
        info = inspect(text, Settings.max_depth, allow)
        assert info.cost < 0.05 and info.patterns <= MAX_PATTERNS, path.name


def test_normalise_ignores_spacing_comments_and_keyword_case() -> None:
    one = "SELECT ?x WHERE { ?x <urn:p> 1 . }"
    two = "select   ?x\nwhere {  # a comment\n ?x <urn:p> 1. }"
    assert normalise(one) == normalise(two)
    assert normalise(one) != normalise(one.replace("<urn:p>", "<urn:P>"))
    assert normalise('ASK { ?s ?p "a b" }') != normalise('ASK { ?s ?p "a  b" }')


# -- on a real server: refused before any worker, and the service answers afterwards ----------


@pytest.fixture(scope="module")
def guarded(built: Built, serve: Serve) -> Iterator[tuple[str, SparqlRouter]]:
    with serve(built, Settings(rate=0, concurrency=2)) as (base, sparql):
        yield f"{base}/sparql", sparql


ISSUE_QUERY = "SELECT ?x WHERE { BIND(" + "+".join(["1"] * 8_000) + " AS ?x) }"  # issue 11: segfaulted a worker


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (ISSUE_QUERY, "chain of 7999 + - * /"),
        ("SELECT ?x WHERE { BIND(" + " && ".join(["true"] * 10_000) + " AS ?x) }", "&& and ||"),
        ("SELECT * WHERE { ?s " + "/".join(["<urn:p>"] * 500) + " ?o }", "path steps"),
        ("SELECT * WHERE { ?s <urn:p> ?o " + "MINUS { ?s <urn:q> ?o } " * 3_000 + "}", "MINUS"),
    ],
    ids=["plus-8000", "and-10000", "path-500", "minus-3000"],
)
def test_long_chains_are_refused_and_the_service_answers_afterwards(
    guarded: tuple[str, SparqlRouter], query: str, words: str
) -> None:
    endpoint, sparql = guarded
    before = set(sparql.pool.pids())
    for send in (
        lambda: httpx.post(endpoint, content=query.encode(), headers={"Content-Type": "application/sparql-query"}),
        lambda: httpx.post(endpoint, data={"query": query}),
    ):
        response = send()
        assert response.status_code == 400
        message = response.json()["message"]
        assert words in message and "at most" in message
    assert set(sparql.pool.pids()) == before  # no worker was touched, let alone killed
    ask = httpx.get(endpoint, params={"query": ASK}, headers=JSON_RESULTS)
    assert ask.status_code == 200 and ask.json()["boolean"] is True


def test_a_chain_under_the_limit_is_evaluated(guarded: tuple[str, SparqlRouter]) -> None:
    endpoint, _ = guarded
    query = "SELECT ?x WHERE { BIND(" + "+".join(["1"] * 1_000) + " AS ?x) }"
    response = httpx.post(endpoint, data={"query": query}, headers=JSON_RESULTS)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "1000"
