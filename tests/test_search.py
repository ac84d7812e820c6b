"""The search index on the real dataset: ranking, quotes, safe input, suggestions and browsing.

Expectations are computed from the validated store with SPARQL (never counted by hand), so the
tests follow the data as sources are added.
"""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from bordergraph.build import Built
from bordergraph.prefixes import PREFIXES, compact, expand, sparql_prologue
from bordergraph.search import (
    FACETS,
    KIND_BY_KEY,
    KINDS,
    NONE,
    SearchError,
    SearchIndex,
    browse,
    build_index,
    kind_counts,
    open_index,
    search,
    suggest,
    terms,
)

PERSON = PREFIXES["foaf"] + "Person"


def select(built: Built, query: str) -> list[dict[str, Any]]:
    result = built.store.query(sparql_prologue() + query)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


@pytest.fixture(scope="module")
def index(built: Built, tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    stats = build_index(built.store, tmp_path_factory.mktemp("search") / "search.sqlite")
    assert stats.records > 0 and stats.entries > stats.records
    assert stats.bytes == stats.path.stat().st_size
    return SearchIndex(stats.path)


@pytest.fixture(scope="module")
def people(built: Built) -> dict[str, str]:
    rows = select(built, "SELECT ?p ?l WHERE { ?p a foaf:Person ; rdfs:label ?l }")
    assert rows
    return {r["p"]: r["l"] for r in rows}


# -- ranking -------------------------------------------------------------------------------------


def test_goodale_ranks_the_person_before_the_meetings_named_after_him(index: SearchIndex, built: Built) -> None:
    answer = index.search("Goodale", limit=100)
    goodale = [iri for iri, label in _labels(built, PERSON).items() if "Goodale" in label]
    assert len(goodale) == 1  # one real-world person, one IRI
    assert answer.hits[0].iri == goodale[0]
    assert answer.hits[0].kind == "person" and answer.hits[0].matched == "name"
    assert answer.hits[0].path == "/" + goodale[0].removeprefix("https://w3id.org/bordergraph/")
    meetings = select(
        built, "SELECT ?m WHERE { ?m a/rdfs:subClassOf* bg:Event ; rdfs:label ?l FILTER(CONTAINS(?l, 'Goodale')) }"
    )
    found = [h.iri for h in answer.hits]
    assert meetings and all(m["m"] in found[1:] for m in meetings)
    assert answer.counts["person"] == 1 and answer.total == sum(answer.counts.values())


def test_every_person_is_found_first_by_full_name_and_by_family_name(
    index: SearchIndex, people: dict[str, str]
) -> None:
    for iri, label in people.items():
        assert index.search(label).hits[0].iri == iri, label
        family = label.split()[-1]
        first = index.search(family).hits[0]
        assert first.kind == "person" and family in first.name, (family, first)


def test_results_are_grouped_by_kind_in_the_order_of_their_best_hit(index: SearchIndex) -> None:
    answer = index.search("border", limit=200)
    groups = answer.groups()
    assert len(groups) > 1
    assert [h for _, hits in groups for h in hits] == sorted(answer.hits, key=lambda h: [k for k, _ in groups].index(
        KIND_BY_KEY[h.kind]))  # fmt: skip
    scores = [h.score for h in answer.hits]
    assert scores == sorted(scores, reverse=True)
    data = answer.to_json()
    assert [g["kind"] for g in data["groups"]] == [k.key for k, _ in groups]
    assert data["total"] == answer.total and len(data["results"]) == len(answer.hits)


def test_kind_filter_keeps_one_kind_and_every_count(index: SearchIndex) -> None:
    everything = index.search("Goodale", limit=100)
    events = index.search("Goodale", kind="event", limit=100)
    assert events.hits and {h.kind for h in events.hits} == {"event"}
    assert events.total == everything.counts["event"] and events.counts == everything.counts
    assert index.search("Goodale", kind="events").total == events.total  # the list slug works too
    with pytest.raises(SearchError, match=r"unknown kind 'persons'.*person"):
        index.search("Goodale", kind="persons")
    with pytest.raises(SearchError, match="limit"):
        index.search("Goodale", limit=0)


def test_all_words_then_any_word(index: SearchIndex, people: dict[str, str]) -> None:
    names = list(people.values())
    both = index.search(f"{names[0].split()[-1]} {names[1].split()[-1]}", limit=1000)
    found = {h.iri for h in both.hits}
    assert {iri for iri, label in people.items() if label in names[:2]} <= found
    flags = [h.all_terms for h in both.hits]
    assert flags == sorted(flags, reverse=True)  # records with every term first
    one = index.search("zzzqqq goodale", limit=1000)
    assert one.mode == "any" and one.hits and not any(h.all_terms for h in one.hits)
    assert {h.iri for h in one.hits} == {h.iri for h in index.search("goodale", limit=1000).hits}
    phrase = index.search('"shared border"', limit=200)
    assert phrase.terms == ["shared border"] and phrase.hits
    for hit in phrase.hits:
        marked = " ".join(hit.snippet[s:e].casefold() for s, e in hit.highlights)
        assert "shared border" in marked, hit


# -- quotes --------------------------------------------------------------------------------------


def _labels(built: Built, cls: str) -> dict[str, str]:
    return {r["x"]: r["l"] for r in select(built, f"SELECT ?x ?l WHERE {{ ?x a <{cls}> ; rdfs:label ?l }}")}


def _annotations(built: Built) -> list[dict[str, Any]]:
    return select(
        built,
        "SELECT ?a ?exact ?src ?start ?end (GROUP_CONCAT(STR(?body); SEPARATOR=' ') AS ?bodies) WHERE { "
        "?a a oa:Annotation ; oa:hasBody ?body ; oa:hasTarget ?t . ?t oa:hasSource ?src ; oa:hasSelector ?s, ?p . "
        "?s oa:exact ?exact . ?p oa:start ?start ; oa:end ?end } GROUP BY ?a ?exact ?src ?start ?end ORDER BY ?a",
    )


def test_a_quote_finds_every_record_it_supports(index: SearchIndex, built: Built) -> None:
    annotations = _annotations(built)
    assert annotations
    for ann in annotations:
        words = re.findall(r"[^\W_]+", ann["exact"])[:8]
        answer = index.search('"' + " ".join(words) + '"', limit=1000)
        found = {h.iri: h for h in answer.hits}
        for body in ann["bodies"].split():
            assert body in found, (ann["a"], body)


def test_a_quote_hit_says_where_the_words_are_quoted(index: SearchIndex, built: Built) -> None:
    by_annotation = {a["a"]: a for a in _annotations(built)}
    sources = _labels(built, PREFIXES["bg"] + "SourceDocument")
    checked = 0
    for word in ("asylum", "radicalization", "pre-inspection", "livelihoods"):
        for hit in index.search(word, limit=100).hits:
            if hit.matched != "quote":
                continue
            assert hit.quote is not None
            ann = by_annotation[hit.quote.annotation]
            assert hit.iri in ann["bodies"].split()
            assert (hit.quote.source, hit.quote.start, hit.quote.end) == (
                ann["src"],
                int(ann["start"]),
                int(ann["end"]),
            )
            assert hit.snippet.strip("…") in ann["exact"]
            assert hit.quote.source_name == sources[hit.quote.source]
            checked += 1
    assert checked


# -- untrusted input -----------------------------------------------------------------------------

BAD_INPUT = ['"unclosed', "AND OR", "OR", "NOT goodale", "NEAR(goodale kelly)", "goodale*", "*", '"', '""',
             "(((", "col:term", "text:goodale", "^goodale", "-goodale", "+", "'", "a AND", "{a b}", "\x00", "🙂",
             "goodale" * 300, " ".join(["border"] * 500), "Niélsen", "NIELSEN", "C-23", "$2.4", "%", "\\",
             ";--"]  # fmt: skip


@pytest.mark.parametrize("q", BAD_INPUT)
def test_any_input_gives_results_or_none_never_an_error(index: SearchIndex, q: str) -> None:
    answer = index.search(q)
    assert isinstance(answer.hits, list) and answer.total >= len(answer.hits)
    assert isinstance(index.suggest(q), list)
    if not terms(q):
        assert answer.hits == []


def test_words_that_are_fts_syntax_are_searched_as_words(index: SearchIndex) -> None:
    goodale = {h.iri for h in index.search("goodale", limit=1000).hits}
    negated = index.search("NOT goodale", limit=1000).hits  # "not" is a word here, never a negation
    assert goodale <= {h.iri for h in negated}
    assert index.search("goodale*").hits[0].name == index.search("goodale").hits[0].name
    assert index.search("NIELSEN").hits[0].kind == "person"
    assert index.search("Niélsen").hits[0].kind == "person"  # accents folded
    bills = index.search("C-23").hits
    assert bills[0].kind == "bill" and "C-23" in bills[0].name


def test_snippets_are_escaped_and_marked(index: SearchIndex) -> None:
    seen = 0
    for q in ("airports", "$2.4", "people's", "Goodale"):
        for hit in index.search(q, limit=100).hits:
            assert hit.highlights, hit
            unmarked = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
            assert "<" not in unmarked and html.unescape(unmarked) == hit.snippet
            assert hit.snippet_html.count("<mark>") == len(hit.highlights)
            seen += 1
    assert seen


# -- suggestions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["G", "Go", "Good", "Goodal", "goodale", "ralph goo"])
def test_suggestions_while_typing_goodale_start_with_the_person(index: SearchIndex, typed: str) -> None:
    hits = index.suggest(typed)
    goodale = [h for h in hits if h.kind == "person" and "Goodale" in h.name]
    if len(typed) >= 3:
        assert hits[0] is goodale[0]
    for hit in hits:
        words = [w.casefold() for w in re.findall(r"[^\W_]+", hit.snippet)]
        assert any(w.startswith(typed.split()[-1].casefold()) for w in words), hit


def test_suggest_keeps_the_kinds_asked_for(index: SearchIndex) -> None:
    hits = index.suggest("Goo", kind=["event", "source"])
    assert hits and {h.kind for h in hits} <= {"event", "source"}
    assert index.suggest("   ") == []


# -- browsing ------------------------------------------------------------------------------------


def test_every_kind_lists_what_the_store_holds(index: SearchIndex, built: Built, people: dict[str, str]) -> None:
    counts = dict((k.key, n) for k, n in index.kind_counts())
    assert counts["person"] == len(people)
    sources = select(built, "SELECT DISTINCT ?s WHERE { ?s a bg:SourceDocument }")
    assert counts["source"] == len(sources)
    records = select(
        built,
        "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?t ; ?p ?o FILTER(isIRI(?x) && (STRSTARTS(STR(?x), STR(bgr:)) "
        "|| STRSTARTS(STR(?x), STR(bgt:)))) FILTER NOT EXISTS { ?x a oa:Annotation } }",
    )
    assert sum(counts.values()) == int(records[0]["n"])
    for kind in KINDS:
        listing = index.browse(kind.slug, limit=None)
        assert listing.total == counts.get(kind.key, 0) == len(listing.rows)
        names = [r.name for r in listing.rows]
        assert names == sorted(names, key=lambda n: re.sub(r"^\W+", "", n.casefold())) or kind.key == "other"


def test_every_facet_value_filters_to_its_count(index: SearchIndex) -> None:
    for slug in ("people", "events", "agreements", "sources"):
        listing = index.browse(slug, limit=None)
        assert set(listing.facets) == set(FACETS) - {"kind"}
        for facet, values in listing.facets.items():
            assert values
            # every record has at least one value per facet ("none" when not stated)
            assert sum(v.count for v in values) >= listing.total
            for value in values:
                narrowed = index.browse(slug, {facet: [value.value]}, limit=None)
                assert narrowed.total == value.count
                assert all(value.value in [v for v, _ in r.values[facet]] for r in narrowed.rows)
                chosen = [v for v in narrowed.facets[facet] if v.selected]
                assert [v.value for v in chosen] == [value.value]


def test_facets_match_the_store(index: SearchIndex, built: Built) -> None:
    # Sources: each person is listed under the sources whose graphs describe them.
    rows = select(built, "SELECT ?p ?s WHERE { ?s bg:sourceGraph ?g GRAPH ?g { ?p a foaf:Person } }")
    assert rows
    for row in rows:
        listing = index.browse("people", {"source": [row["s"]]}, limit=None)
        assert row["p"] in {r.iri for r in listing.rows}
    # Year: an event dated in a year is listed under that year; an undated one under "none".
    dated = select(built, "SELECT ?e ?d WHERE { ?e a/rdfs:subClassOf* bg:Event ; bg:date ?d }")
    undated = select(built, "SELECT ?e WHERE { ?e a/rdfs:subClassOf* bg:Event FILTER NOT EXISTS { ?e bg:date ?d } }")
    assert dated and undated
    assert any(re.match(r"\d{4}", row["d"]) for row in dated)
    for row in dated:
        year = row["d"][:4]
        if not year.isdigit():  # --03-10: a day and month with no year stated
            assert row["e"] in {r.iri for r in index.browse("events", {"year": [NONE]}, limit=None).rows}
            continue
        assert row["e"] in {r.iri for r in index.browse("events", {"year": [year]}, limit=None).rows}
    nones = {r.iri for r in index.browse("events", {"year": [NONE]}, limit=None).rows}
    assert {r["e"] for r in undated} <= nones
    # Country: a person holding a post in a country's government is listed under that country.
    held = select(built, "SELECT ?p ?c WHERE { ?p a foaf:Person ; org:holds/org:postIn/bg:governmentOf ?c }")
    assert held
    for row in held:
        assert row["p"] in {r.iri for r in index.browse("people", {"country": [row["c"]]}, limit=None).rows}


def test_browse_pages_sorts_and_exports(index: SearchIndex) -> None:
    full = index.browse("claims", limit=None)
    page = index.browse("claims", limit=10, offset=10)
    assert page.total == full.total and [r.iri for r in page.rows] == [r.iri for r in full.rows[10:20]]
    by_year = index.browse("events", sort="year", limit=None)
    years = [min((v for v, _ in r.values["year"]), default=NONE) for r in by_year.rows]
    assert years == sorted(years, key=lambda y: (y == NONE, y))
    row = full.rows[0].to_csv()
    assert set(row) <= set(__import__("bordergraph.search", fromlist=["CSV_COLUMNS"]).CSV_COLUMNS)
    data = full.to_json()
    assert data["total"] == full.total and len(data["rows"]) == full.total
    everything = index.browse(None, {"kind": ["person", "bill"]}, limit=None)
    assert {r.kind for r in everything.rows} == {"person", "bill"}
    with pytest.raises(SearchError, match="unknown facet 'colour'"):
        index.browse("people", {"colour": ["red"]})
    with pytest.raises(SearchError, match="unknown sort"):
        index.browse("people", sort="size")


# -- the file ------------------------------------------------------------------------------------


def test_the_index_builds_the_same_from_quads(built: Built, index: SearchIndex, tmp_path: Path) -> None:
    quads = [
        q for q in built.store.store.quads_for_pattern(None, None, None, None) if q.graph_name != ox.DefaultGraph()
    ]
    stats = build_index(quads, tmp_path / "from-quads.sqlite")
    assert stats.records == sum(n for _, n in index.kind_counts())
    assert [(h.iri, h.score) for h in search(stats.path, "preclearance").hits] == [
        (h.iri, h.score) for h in index.search("preclearance").hits
    ]
    assert [h.iri for h in suggest(stats.path, "Nap")] == [h.iri for h in index.suggest("Nap")]
    assert browse(stats.path, "people").total == index.browse("people").total
    assert kind_counts(stats.path) == index.kind_counts()


def test_a_missing_or_foreign_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no search index"):
        open_index(tmp_path / "nothing.sqlite")
    (tmp_path / "text.sqlite").write_text("not a database")
    with pytest.raises(ValueError, match=r"not a bordergraph search index.*rebuild"):
        open_index(tmp_path / "text.sqlite")
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE meta(key TEXT, value TEXT)")
    other.commit()
    other.close()
    with pytest.raises(ValueError, match=r"another format.*rebuild"):
        open_index(tmp_path / "other.sqlite")


def test_type_counts_add_up_to_each_kind(index: SearchIndex) -> None:
    per_kind: dict[str, int] = {}
    for kind, value, label, n in index.type_counts():
        assert label and expand(value).startswith("http") and compact(expand(value)) == value
        assert (
            index.browse(kind.key, {"type": [value]}).total
            == n
            == index.browse(kind.key, {"type": [expand(value)]}).total
        )
        per_kind[kind.key] = per_kind.get(kind.key, 0) + n
    for kind, n in index.kind_counts():
        assert per_kind.get(kind.key, 0) >= n or kind.key == "other"  # a record may have two classes
