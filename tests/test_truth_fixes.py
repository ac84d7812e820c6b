"""Regression tests for the truth fixes of issue 14, one per fix, each named for it.

Every test reads the real records (built once by the ``built`` fixture) and, where the rule is
"the graph says only what its source prints", the archived source text of that graph itself.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDFS, SKOS

from bordergraph.build import Built
from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGG, BGR, OA, ORG, SCHEMA, SOURCES_GRAPH, sparql_prologue


def graph_of(built: Built, source_slug: str) -> Graph:
    """The named graph holding what one source says."""
    return built.loaded.dataset.graph(BGG[source_slug])


def source_graphs(built: Built) -> dict[URIRef, URIRef]:
    """Every source document and the named graph of its records, read from the sources graph."""
    sources = built.loaded.dataset.graph(SOURCES_GRAPH)
    return {URIRef(str(s)): URIRef(str(g)) for s, g in sources.subject_objects(BG.sourceGraph)}


def select(built: Built, sparql: str) -> list[dict[str, str]]:
    """Rows of a SELECT on the built store (default graph: the union), values as plain strings."""
    result = built.store.query(sparql)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else "") for n in names} for row in result]


def example(paths: Paths, slug: str) -> str:
    """The text of one example query."""
    return (paths.queries_dir / "examples" / f"{slug}.rq").read_text(encoding="utf-8")


def source_text(built: Built, paths: Paths, graph: URIRef) -> str:
    """The archived text of the source whose records ``graph`` holds."""
    sources = built.loaded.dataset.graph(SOURCES_GRAPH)
    document = next(s for s, g in source_graphs(built).items() if g == graph)
    local = sources.value(document, BG.localPath)
    return (paths.root / Path(str(local))).read_text(encoding="utf-8")


# --- fix 1 ----------------------------------------------------------------------------------------


def test_fix1_2018_ratification_commitment_is_reaffirmed_and_no_signed_status(built: Built) -> None:
    """The 2018 release only 'reaffirmed their commitment to ratify'; it never says the agreement was signed."""
    g = graph_of(built, "release-2018-goodale-nielsen")
    claim = BGR["claim-2018-02-05-ratify-preclearance-agreement"]
    assert set(g.objects(claim, BG.modality)) == {BG.Reaffirmed}
    agreement = BGR["preclearance-agreement"]
    statuses = set(g.objects(agreement, BG.status))
    assert not statuses & {BG.ToBeRatified, BG.Signed}, statuses
    # nothing in that graph claims the agreement is signed or to be ratified
    for about_it in g.subjects(BG.about, agreement):
        assert not set(g.objects(about_it, BG.modality)) & {BG.ToBeRatified, BG.Signed}


# --- fix 2 ----------------------------------------------------------------------------------------


def test_fix2_march_10_announcement_gives_no_post(built: Built) -> None:
    """'On March 10, Secretary Napolitano and Minister Toews announced …': no post is attested for that day."""
    g = graph_of(built, "release-2011-napolitano-toews")
    event = BGR["announcement-03-10-joint-border-threat-risk-assessment"]
    participations = set(g.objects(event, BG.participation))
    assert len(participations) == 2
    for participation in participations:
        assert g.value(participation, BG.inRole) is None, participation


# --- fix 3 ----------------------------------------------------------------------------------------


def test_fix3_no_claim_has_contradictory_claimant_notes(built: Built) -> None:
    """A claim without a claimant may not carry a note saying something is 'recorded as claimant'."""
    data = built.loaded.dataset
    checked = 0
    for claim in data.subjects(BG.modality, None, unique=True):
        notes = [str(n) for n in data.objects(claim, SKOS.editorialNote)]
        says_none = any("no claimant is recorded" in n for n in notes)
        says_one = any("recorded as claimant" in n or "is recorded as bg:claimant" in n for n in notes)
        assert not (says_none and says_one), (claim, notes)
        if says_none:
            checked += 1
            assert data.value(claim, BG.claimant) is None, claim
    assert checked >= 11


# --- fix 4 ----------------------------------------------------------------------------------------

HEADER_BLOCK_NAMES = ("Office of the Press Secretary", "Media Relations", "Public Safety Canada")


def test_fix4_release_header_blocks_give_no_publisher_claimant_or_record(built: Built, paths: Paths) -> None:
    """One rule for every source: nothing comes from 'For Immediate Release / … / Contact' blocks."""
    data = built.loaded.dataset
    for name in HEADER_BLOCK_NAMES:
        named = {s for s in data.subjects(RDFS.label, None) if str(data.value(s, RDFS.label)) == name}
        assert not named, f"{name!r} comes only from a header/contact block: {named}"
        assert not any(str(o) == name for o in data.objects(None, BG.publisherAsStated))
    sources = built.loaded.dataset.graph(SOURCES_GRAPH)
    for document, graph in source_graphs(built).items():
        text = source_text(built, paths, graph)
        for printed in sources.objects(document, BG.publisherAsStated):
            # a publisher must be named in the title or body, i.e. outside any header block
            assert str(printed) in text.split("For Immediate Release")[0] or str(printed) in str(
                sources.value(document, DCTERMS.title)
            ), (document, printed)


# --- fix 5 ----------------------------------------------------------------------------------------


def test_fix5_post_labels_a_graph_asserts_are_printed_in_its_source(built: Built, paths: Paths) -> None:
    """A graph names a post only as its own source prints it; the canonical name lives where printed."""
    checked = 0
    for graph in source_graphs(built).values():
        g = built.loaded.dataset.graph(graph)
        text = source_text(built, paths, graph)
        for post in set(g.subjects(None, ORG.Post)):
            for label in [*g.objects(post, RDFS.label), *g.objects(post, SKOS.altLabel)]:
                checked += 1
                assert str(label) in text, f"{graph}: <{post}> is named {str(label)!r}, which its source never prints"
    assert checked >= 10
    minister = BGR["post-ca-minister-public-safety"]
    for older in ("release-2010-toews-napolitano", "release-2011-napolitano-toews"):
        assert graph_of(built, older).value(minister, RDFS.label) is None
    # the union still gives the post exactly one label, from the releases that print it
    assert {str(x) for x in built.loaded.dataset.objects(minister, RDFS.label)} == {
        "Minister of Public Safety and Emergency Preparedness"
    }


# --- fix 7 ----------------------------------------------------------------------------------------

COUNTRY_WORDS = ("U.S.", "United States", "Canada", "Canadian")


def test_fix7_post_in_a_government_only_where_the_source_names_the_country(built: Built, paths: Paths) -> None:
    """One rule everywhere: org:postIn only when the printed name of the post carries its country."""
    stated = 0
    for graph in source_graphs(built).values():
        g = built.loaded.dataset.graph(graph)
        text = source_text(built, paths, graph)
        for post, _government in g.subject_objects(ORG.postIn):
            names = [str(x) for x in [*g.objects(post, RDFS.label), *g.objects(post, SKOS.altLabel)]]
            assert any(n in text and any(w in n for w in COUNTRY_WORDS) for n in names), (
                f"{graph}: <{post}> org:postIn, but no printed name of it in this graph names the country: {names}"
            )
            stated += 1
    assert stated >= 5
    assert not list(built.loaded.dataset.objects(BGR["post-us-president"], ORG.postIn))


# --- fix 6 ----------------------------------------------------------------------------------------


def test_fix6_border_issues_page_graph_borrows_nothing_from_other_sources(built: Built, paths: Paths) -> None:
    """The page's graph: no unprinted title, its own types for Beyond the Border, no invented claimants."""
    g = graph_of(built, "page-border-issues")
    text = source_text(built, paths, BGG["page-border-issues"])
    agreement = BGR["preclearance-agreement"]
    assert g.value(agreement, RDFS.label) is None
    assert "Agreement on Land, Rail, Marine and Air Transport Preclearance" not in text
    assert all(str(x) in text for x in g.objects(agreement, SKOS.altLabel))
    btb_types = set(g.objects(BGR["beyond-the-border"], RDF.type))
    assert BG.Declaration not in btb_types and "declaration" not in text
    assert {BG.Initiative, BG.Agreement} <= btb_types
    claims = set(g.subjects(BG.modality, None))
    assert claims
    assert not [c for c in claims if g.value(c, BG.claimant) is not None]


# --- fix 8 ----------------------------------------------------------------------------------------


def test_fix8_same_quantity_links_stated_both_ways_and_undated_figures_shown(built: Built, paths: Paths) -> None:
    """Every bg:sameQuantityAs is stated both ways; the side-by-side example keeps undated figures, marked."""
    data = built.loaded.dataset
    links = set(data.subject_objects(BG.sameQuantityAs))
    assert links
    assert all((b, a) in links for a, b in links)
    airports = (BGR["figure-2017-preclearance-airports"], BGR["figure-border-issues-preclearance-airports"])
    assert airports in links and airports[::-1] in links
    rows = select(built, example(paths, "04-figures-side-by-side"))
    pairs = {(r["first"], r["second"]): (r["firstDate"], r["secondDate"]) for r in rows}
    assert pairs[("Canada’s eight largest airports", "eight Canadian airports")] == ("2017-03-10", "undated")
    assert len(rows) == len(links) // 2


# --- fix 9 ----------------------------------------------------------------------------------------


def test_fix9_every_event_has_a_place_or_says_it_has_none(built: Built, paths: Paths) -> None:
    """The place rule applies to every event (launches and deployments too), checked graph by graph."""
    rows = select(
        built,
        """PREFIX bg: <https://w3id.org/bordergraph/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?e (COUNT(DISTINCT ?loc) AS ?places) (COUNT(DISTINCT ?st) AS ?statuses) WHERE {
          ?e a ?t . ?t rdfs:subClassOf* bg:Event .
          OPTIONAL { ?e bg:location ?loc } OPTIONAL { ?e bg:placeStatus ?st }
        } GROUP BY ?e""",
    )
    assert len(rows) >= 10
    for row in rows:
        assert (int(row["places"]) > 0) != (int(row["statuses"]) > 0), row
    for slug in ("launch-2010-project-global-shield", "deployment-ice-personnel-haiti"):
        assert built.loaded.dataset.value(BGR[slug], BG.placeStatus) == BG.PlaceNotStated
    check = paths.queries_dir / "checks" / "event-place-violation.rq"
    assert "bg:Event" in check.read_text(encoding="utf-8")


# --- model (a): one IRI per real-world event, each source graph with its own precision --------------


def test_model_a_beyond_the_border_signing_is_one_record_dated_per_source(built: Built) -> None:
    """The 2011 release (4 February 2011) and the page ('in 2011') describe one signing, not two."""
    data = built.loaded.dataset
    signings = set(data.subjects(BG.object, BGR["beyond-the-border"])) & set(data.subjects(RDF.type, BG.Signing))
    assert signings == {BGR["signing-beyond-the-border"]}
    signing = BGR["signing-beyond-the-border"]
    dates = {}
    for graph in source_graphs(built).values():
        g = built.loaded.dataset.graph(graph)
        if (signing, None, None) in g:
            assert len(set(g.objects(signing, BG.date))) == 1, graph
            dates[str(graph).rsplit("/", 1)[-1]] = (str(g.value(signing, BG.date)), g.value(signing, BG.dateStatus))
    assert dates == {
        "release-2011-napolitano-toews": ("2011-02-04", BG.DateStated),
        "page-border-issues": ("2011", BG.DatePartial),
    }
    assert len({str(x) for x in data.objects(signing, RDFS.label)}) == 1


# --- model (b): every record can be restricted to one source without GRAPH --------------------------


def test_model_b_every_record_names_its_source(built: Built) -> None:
    """Bills, programs, agreements, people and places carry prov:wasDerivedFrom like facts do."""
    checked = 0
    for source, graph in source_graphs(built).items():
        g = built.loaded.dataset.graph(graph)
        for record in set(g.subjects(RDF.type, None)):
            if not str(record).startswith(str(BGR)) or (record, RDF.type, OA.Annotation) in g:
                continue
            assert (record, PROV.wasDerivedFrom, source) in g, f"{graph}: <{record}> names no source"
            checked += 1
    assert checked > 200
    for slug in ("bill-c-21", "preclearance", "preclearance-agreement", "beyond-the-border"):
        assert list(built.loaded.dataset.objects(BGR[slug], PROV.wasDerivedFrom)), slug


# --- model (e): dates live on the signing event -------------------------------------------------------


def test_model_e_dates_live_on_events_and_the_agreements_example_gives_signing_date_and_source(
    built: Built, paths: Paths
) -> None:
    """No document carries bg:date; example 02 answers 'when was it signed, says who' per source."""
    undated_documents = select(
        built,
        """PREFIX bg: <https://w3id.org/bordergraph/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?x WHERE { ?x bg:date ?d . FILTER NOT EXISTS { ?x a ?t . ?t rdfs:subClassOf* bg:Event } }""",
    )
    assert undated_documents == []
    ontology = built.loaded.dataset.graph(BGG["ontology"])
    assert "bg:Signing" in str(ontology.value(BG.PolicyDocument, SKOS.definition))
    rows = select(built, example(paths, "02-agreements"))
    signed = {(r["source"], r["signed"], r["signedAsStated"]) for r in rows if r["document"] == "Beyond the Border"}
    assert signed == {
        (
            "Canadian-American Homeland Security Collaboration, 17 June 2011 (archived blog copy)",
            "2011-02-04",
            "On February 4, 2011",
        ),
        ("Border Issues (undated, unattributed web page)", "2011", "in 2011"),
    }


# --- model (d): the dateline is a documented, queryable place of issue -------------------------------


def test_model_d_place_of_issue_beside_the_strict_event_place(built: Built, paths: Paths) -> None:
    """'Place not stated; issued at Washington, D.C.': the dateline never becomes the meeting place."""
    rows = select(built, example(paths, "17-places-and-places-of-issue"))
    meeting = [r for r in rows if r["event"] == "Meeting of Napolitano and Toews, 17 June 2011"]
    assert [(r["place"], r["issuedAt"], r["issuedAtAsStated"]) for r in meeting] == [
        ("place not stated", "Washington, D.C.", "WASHINGTON")
    ]
    sources = built.loaded.dataset.graph(SOURCES_GRAPH)
    located = set(sources.subjects(SCHEMA.locationCreated, None))
    printed = set(sources.subjects(BG.placeOfIssueAsStated, None))
    assert located and located == printed
    assert BGR["page-border-issues"] not in located  # the page prints no dateline


# --- model (c): one label pattern ---------------------------------------------------------------------

# Records no source names verbatim: their rdfs:label is a short description or a reading, said so in
# a note, and the names the sources do print are their skos:altLabel.
DESCRIPTIVE_LABELS = {
    "canada-us-border": "printed only as 'our shared border', 'our shared land border' and similar",
    "jfk-airport": "printed 'New York’s JFK, Miami and Los Angeles International Airports'",
    "miami-international-airport": "printed 'New York’s JFK, Miami and Los Angeles International Airports'",
    "united-kingdom": "printed 'the UK'; the name is the label of its verified Wikidata link (data/mappings)",
    "child-exploitation-haiti-initiative": "printed as the heading 'Child Sexual Exploitation and Trafficking'",
    "cbrne-mutual-assistance-concepts-of-operation": "printed as a description, not a name",
    "beyond-the-border-action-plan": "printed 'This Action Plan' right after 'Through Beyond the Border'",
}


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_model_c_one_label_per_record_and_printed_names_as_alt_labels(built: Built, paths: Paths) -> None:
    """One rdfs:label per record in the union; a graph names a record only as its source prints it."""
    data = built.loaded.dataset
    for record in {s for s in data.subjects(RDFS.label, None) if str(s).startswith(str(BGR))}:
        labels = {str(x) for x in data.objects(record, RDFS.label)}
        assert len(labels) == 1, (record, labels)
        assert not any(lab.endswith(("(U.S.)", "(Canada)", "(New York)")) for lab in labels), labels
    fact_classes = set(built.loaded.dataset.transitive_subjects(RDFS.subClassOf, BG.EvidencedFact))
    for graph in source_graphs(built).values():
        g = data.graph(graph)
        text = _flat(source_text(built, paths, graph))
        for record in {s for s in g.subjects(RDF.type, None) if str(s).startswith(str(BGR))}:
            if set(g.objects(record, RDF.type)) & (fact_classes | {OA.Annotation}):
                continue  # facts and annotations have descriptive labels by design
            for alt in g.objects(record, SKOS.altLabel):
                assert _flat(str(alt)) in text, f"{graph}: altLabel {str(alt)!r} of <{record}> is not printed"
            slug = str(record)[len(str(BGR)) :]
            for label in g.objects(record, RDFS.label):
                if slug not in DESCRIPTIVE_LABELS:
                    assert _flat(str(label)) in text, f"{graph}: <{record}> is labelled {str(label)!r}, not printed"
    for slug in DESCRIPTIVE_LABELS:
        assert data.value(BGR[slug], SKOS.editorialNote) is not None, (
            f"{slug}: say in a note why the label is not printed"
        )


# --- model (f): a relation a text states gets a property, used in an example ---------------------------

NEW_TERMS = ("counterpartOf", "purpose", "beneficiary", "ranked", "rank", "criterion", "rankedAfter", "comparedWith")


def test_model_f_new_relations_are_declared_used_and_queried(built: Built, paths: Paths) -> None:
    """Each new property: declared, labelled, defined, with domain and range, in the data and in an example."""
    ontology = built.loaded.dataset.graph(BGG["ontology"])
    examples = "\n".join(p.read_text(encoding="utf-8") for p in (paths.queries_dir / "examples").glob("*.rq"))
    data = built.loaded.dataset
    for name in NEW_TERMS:
        term = BG[name]
        for prop in (RDFS.label, SKOS.definition, RDFS.domain, RDFS.range):
            assert ontology.value(term, prop) is not None, f"bg:{name} has no {prop}"
        assert f"bg:{name} " in examples or f"bg:{name}/" in examples, f"no example query uses bg:{name}"
        assert next(data.subject_objects(term), None) is not None, f"bg:{name} is used nowhere in the data"
    assert ontology.value(BG.chairedBy, RDFS.range) is not None
    chairs = select(built, example(paths, "18-forum-chairs"))
    assert {(r["chair"], r["counterpartOf"]) for r in chairs} >= {
        ("Canadian counterparts", "U.S. Attorney General"),
        ("Canadian counterparts", "Secretary of Homeland Security"),
    }
    ranks = select(built, example(paths, "20-rankings"))
    assert {(r["ranked"], r["rank"], r["after"]) for r in ranks if r["after"]} == {
        ("Pearson Airport", "4", "JFK International Airport"),
        ("Pearson Airport", "4", "Miami International Airport"),
        ("Pearson Airport", "4", "Los Angeles International Airport"),
    }
    purposes = select(built, example(paths, "19-purposes-and-beneficiaries"))
    assert any(r["beneficiary"] == "Haitian National Police" for r in purposes)


# --- model (g): the README's "How the data is shaped" queries answer ----------------------------------


def test_model_g_readme_shape_queries_answer(built: Built, paths: Paths) -> None:
    """Each pattern query of the README section runs on the real data and returns rows."""
    readme = (paths.root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How the data is shaped", 1)[1].split("\n## ", 1)[0]
    queries = re.findall(r"```sparql\n(.*?)```", section, re.S)
    assert len(queries) >= 5
    for query in queries:
        assert len(query.strip().splitlines()) <= 3, query
        rows = select(built, sparql_prologue() + "\n" + query)
        assert rows, query
    two = select(built, sparql_prologue() + "\n" + queries[1])
    assert sorted(r["date"] for r in two) == ["2011", "2011-02-04"]
