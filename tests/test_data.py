"""The records say what the releases say: spot checks of the rules of truth on the real data.

The data contract itself (shapes, checks, quotes) runs in `bordergraph validate`; these tests pin
the cases the issue names, so a careless edit cannot quietly undo them.
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import RDF, Literal
from rdflib.namespace import FOAF, PROV, RDFS, SKOS, XSD
from rdflib.term import Node

from bordergraph.build import Built
from bordergraph.prefixes import BG, BGG, BGR, OA, SCHEMA, SOURCES_GRAPH


def figures(built: Built, value: int) -> dict[str, Node]:
    """Figures with a given value, keyed by the slug of the release they come from."""
    data = built.loaded.dataset
    found = {}
    for figure in data.subjects(RDF.type, BG.Figure):
        if Decimal(str(data.value(figure, SCHEMA.value))) == value:
            source = data.value(figure, PROV.wasDerivedFrom)
            found[str(source).rsplit("/", 1)[-1]] = figure
    return found


def test_one_named_graph_per_release_each_with_facts(built: Built, source_graph: str) -> None:
    name = source_graph  # one run per source graph of data/sources.trig (tests/conftest.py)
    data = built.loaded.dataset
    graph = data.graph(BGG[name])
    facts = {s for s, _, o in graph.triples((None, RDF.type, None)) if (o, RDFS.subClassOf, None) is not None}
    evidenced = set(graph.subjects(PROV.wasDerivedFrom, None))
    assert facts, f"{name} holds no typed record"
    assert evidenced, f"{name} holds no fact derived from its source"


def test_every_annotation_was_verified_against_its_source(built: Built) -> None:
    annotations = set(built.loaded.dataset.subjects(RDF.type, OA.Annotation))
    assert len(annotations) >= 100
    assert built.report.quotes_verified == len(annotations)


def test_preclearance_passenger_figures_disagree_and_both_are_kept(built: Built) -> None:
    """12 million (2017) vs almost 13 million (2018): both, each with its release and hedge word."""
    data = built.loaded.dataset
    twelve, thirteen = figures(built, 12_000_000), figures(built, 13_000_000)
    assert set(twelve) == {"release-2017-goodale-kelly"}
    assert set(thirteen) == {"release-2018-goodale-nielsen"}
    a, b = twelve["release-2017-goodale-kelly"], thirteen["release-2018-goodale-nielsen"]
    assert data.value(a, BG.approximation) == BG.Nearly
    assert data.value(b, BG.approximation) == BG.Almost
    assert data.value(a, BG.period) == data.value(b, BG.period) == BG.PerYear
    assert (a, BG.sameQuantityAs, b) in data or (b, BG.sameQuantityAs, a) in data
    assert data.value(a, BG.attestedOn) == Literal("2017-03-10", datatype=XSD.date)
    assert data.value(b, BG.attestedOn) == Literal("2018-02-05", datatype=XSD.date)


def test_trade_figure_kept_in_both_wordings(built: Built) -> None:
    printed = {str(built.loaded.dataset.value(f, BG.asPrinted)) for f in figures(built, 2_400_000_000).values()}
    assert printed == {"$2.4 billion in trade", "goods and services worth $2.4 billion"}


def test_approximation_words_are_data(built: Built) -> None:
    used = set(built.loaded.dataset.objects(None, BG.approximation))
    assert {BG.Some, BG.Approximately, BG.Nearly, BG.Almost, BG.MoreThan} <= used


def test_dates_the_text_leaves_open_stay_open(built: Built) -> None:
    """'On March 10' in a 2011 release has no year; 'January's earthquake' no year either."""
    data = built.loaded.dataset
    dates = {str(d): d.datatype for d in data.objects(None, BG.date) if isinstance(d, Literal)}
    assert dates["--03-10"] == XSD.gMonthDay
    assert dates["--01"] == XSD.gMonth
    undated = set(data.subjects(BG.dateStatus, BG.DateNotStated))
    assert any((e, RDF.type, BG.Meeting) in data for e in undated), "Kelly's other discussions have no date"
    assert all(data.value(e, BG.date) is None for e in undated)


def test_undated_page_attests_nothing_on_a_date(built: Built) -> None:
    graph = built.loaded.dataset.graph(BGG["page-border-issues"])
    assert not list(graph.triples((None, BG.attestedOn, None)))


def test_bills_and_what_they_are_needed_for(built: Built) -> None:
    data = built.loaded.dataset
    assert data.value(BGR["bill-c-21"], BG.requiredFor) == BGR["entry-exit-initiative"]
    assert data.value(BGR["bill-c-23"], BG.requiredFor) == BGR["preclearance"]
    assert data.value(BGR["bill-c-23"], BG.jurisdiction) == BGR["canada"]


def test_page_chrome_is_not_data(built: Built, source_graph: str) -> None:
    """Menus, contact blocks, staff names and comment widgets appear in no record literal."""
    chrome = ["Scott Bardsley", "613-", "202-282-8010", "I Want To", "Popular Searches", "E-Verify",
              "No comments", "Post a Comment", "External Affairs", "FOIA", "Date modified"]  # fmt: skip
    name = source_graph  # one run per source graph of data/sources.trig (tests/conftest.py)
    data = built.loaded.dataset
    for _, predicate, value in data.graph(BGG[name]):
        # oa:prefix/oa:suffix are the computed context of a quote in the source (W3C TextQuoteSelector),
        # not something a record asserts: chrome next to a quote may appear there
        if not isinstance(value, Literal) or predicate in (SKOS.editorialNote, OA.prefix, OA.suffix):
            continue
        for words in chrome:
            assert words not in str(value), f"{name}: {predicate} holds page chrome {words!r}"


def test_people_are_named_in_the_release_of_each_graph(built: Built, source_graph: str) -> None:
    """A person described in a release graph is printed in that release (by label or a printed name)."""
    name = source_graph  # one run per source graph of data/sources.trig (tests/conftest.py)
    data = built.loaded.dataset
    graph = data.graph(BGG[name])
    source = next(data.graph(SOURCES_GRAPH).subjects(BG.sourceGraph, BGG[name]))
    text = (built.loaded.paths.root / str(data.value(source, BG.localPath))).read_text(encoding="utf-8")
    for person in graph.subjects(RDF.type, FOAF.Person):
        names = {str(n) for p in (RDFS.label, SKOS.altLabel, FOAF.name) for n in graph.objects(person, p)}
        surnames = {n.split()[-1] for n in names}
        assert any(s in text for s in surnames), f"{person} is not named in {name}"


def test_no_wikidata_identifiers_in_the_records(built: Built, source_graph: str) -> None:
    name = source_graph  # one run per source graph of data/sources.trig (tests/conftest.py)
    for triple in built.loaded.dataset.graph(BGG[name]):
        assert not any("wikidata.org" in str(term) for term in triple), triple
