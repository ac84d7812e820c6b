"""Evidence written once: the bg:quote shorthand, its expansion, the derived edges and the migration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from bordergraph.build import Built, build
from bordergraph.loader import LoadError
from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGG, BGR, OA, ORG
from bordergraph.shorthand import Sources, compact, expand, read_legacy, triple_count

G2018 = BGG["release-2018-goodale-nielsen"]
HEAD = """@prefix bg: <https://w3id.org/bordergraph/ontology#> .
@prefix bgg: <https://w3id.org/bordergraph/graph/> .
@prefix bgr: <https://w3id.org/bordergraph/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""


def copy_root(paths: Paths, tmp_path: Path) -> Paths:
    """A copy of the curated folders, for tests that write."""
    root = tmp_path / "root"
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(paths.root / folder, root / folder)
    return Paths(root)


def sources_of(paths: Paths) -> Sources:
    dataset = Dataset(default_union=True)
    dataset.parse(paths.sources_file, format="trig")
    return Sources.read(dataset, paths)


def graph_of(body: str) -> Graph:
    dataset = Dataset()
    dataset.parse(data=HEAD + "GRAPH bgg:release-2018-goodale-nielsen {\n" + body + "\n}", format="trig")
    graph = Graph()
    for triple in dataset.graph(G2018):
        graph.add(triple)
    return graph


def text_2018(paths: Paths) -> str:
    return (paths.sources_dir / "001_0b02a5d5ef36f43a.txt").read_text(encoding="utf-8")


def test_a_quote_expands_to_the_full_annotation_with_offsets_prefix_and_suffix(paths: Paths) -> None:
    words = "Canada is the number one export destination for most American states"
    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quote "{words}" .\nbgr:claim-b a bg:Claim ; bg:quote "{words}" .')
    problems = expand(graph, G2018, sources_of(paths), {}, "test.trig")
    assert problems == []
    text = text_2018(paths)
    start = text.index(words)
    (annotation,) = set(graph.subjects(RDF.type, OA.Annotation))
    assert annotation == BGR[f"ann-release-2018-goodale-nielsen-{start}-{start + len(words)}"]
    assert set(graph.objects(annotation, OA.hasBody)) == {BGR["claim-a"], BGR["claim-b"]}, "one annotation per passage"
    target = graph.value(annotation, OA.hasTarget)
    assert graph.value(target, OA.hasSource) == BGR["release-2018-goodale-nielsen"]
    quote = next(s for s in graph.objects(target, OA.hasSelector) if (s, RDF.type, OA.TextQuoteSelector) in graph)
    position = next(s for s in graph.objects(target, OA.hasSelector) if (s, RDF.type, OA.TextPositionSelector) in graph)
    assert str(graph.value(quote, OA.exact)) == words
    assert str(graph.value(quote, OA.prefix)) == text[start - 32 : start]
    assert str(graph.value(quote, OA.suffix)) == text[start + len(words) : start + len(words) + 32]
    assert graph.value(position, OA.start) == Literal(start)
    assert graph.value(position, OA.end) == Literal(start + len(words))
    assert graph.value(annotation, OA.motivatedBy) == OA.describing
    assert graph.value(annotation, RDFS.label) is not None
    assert not list(graph.triples((None, BG.quote, None))), "the shorthand is not served"


def test_the_legacy_table_keeps_the_hand_written_iri(paths: Paths) -> None:
    words = "Canada is the number one export destination for most American states"
    start = text_2018(paths).index(words)
    legacy = {("release-2018-goodale-nielsen", start, start + len(words)): BGR["ann-2018-goodale-nielsen-28"]}
    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quote "{words}" .')
    assert expand(graph, G2018, sources_of(paths), legacy, "test.trig") == []
    assert set(graph.subjects(RDF.type, OA.Annotation)) == {BGR["ann-2018-goodale-nielsen-28"]}
    label = graph.value(BGR["ann-2018-goodale-nielsen-28"], RDFS.label)
    assert label == Literal("Annotation 28 of release-2018-goodale-nielsen", lang="en")


def test_words_that_occur_twice_need_a_disambiguator_and_the_error_lists_both(paths: Paths) -> None:
    text = text_2018(paths)
    words = "Canada and the United States share"
    starts = [i for i in range(len(text)) if text.startswith(words, i)]
    assert len(starts) > 1, "the fixture needs words printed more than once"
    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quote "{words}" .')
    (problem,) = expand(graph, G2018, sources_of(paths), {}, "test.trig")
    assert problem.record == str(BGR["claim-a"])
    assert f"occurs {len(starts)} times" in problem.message
    for n, start in enumerate(starts, 1):
        assert f"{n}: oa:start {start} (" in problem.message
    assert "bg:occurrence N" in problem.message

    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quoteSelector [ oa:exact "{words}" ; bg:occurrence 2 ] .')
    assert expand(graph, G2018, sources_of(paths), {}, "test.trig") == []
    position = next(graph.subjects(RDF.type, OA.TextPositionSelector))
    assert graph.value(position, OA.start) == Literal(starts[1])
    assert not list(graph.triples((None, BG.quoteSelector, None)))
    assert not list(graph.triples((None, BG.occurrence, None)))

    after = text[starts[2] + len(words) : starts[2] + len(words) + 10]
    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quoteSelector [ oa:exact "{words}" ; oa:suffix "{after}" ] .')
    assert expand(graph, G2018, sources_of(paths), {}, "test.trig") == []
    position = next(graph.subjects(RDF.type, OA.TextPositionSelector))
    assert graph.value(position, OA.start) == Literal(starts[2])

    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quoteSelector [ oa:exact "{words}" ; bg:occurrence 9 ] .')
    (problem,) = expand(graph, G2018, sources_of(paths), {}, "test.trig")
    assert "bg:occurrence 9" in problem.message and f"occurs {len(starts)} time(s)" in problem.message


def test_a_quote_typed_with_a_straight_apostrophe_names_the_passage_and_the_difference(paths: Paths) -> None:
    typed = "reaffirmed their governments' joint commitment"
    graph = graph_of(f'bgr:claim-a a bg:Claim ; bg:quote "{typed}" .')
    (problem,) = expand(graph, G2018, sources_of(paths), {}, "test.trig")
    start = text_2018(paths).index("reaffirmed their governments’ joint commitment")
    assert problem.rule == "quote-in-source"
    assert f"closest passage at oa:start {start} ; oa:end {start + len(typed)}" in problem.message
    assert "the source has '’' where the quote has \"'\"" in problem.message


def test_direct_edges_are_derived_from_their_qualified_nodes(paths: Paths) -> None:
    graph = graph_of(
        "bgr:m a bg:Meeting ; bg:participation bgr:m--a .\n"
        "bgr:m--a a bg:Participation ; bg:agent bgr:a .\n"
        "bgr:h a bg:PostHolding ; bg:holder bgr:a ; bg:post bgr:post ."
    )
    assert expand(graph, G2018, sources_of(paths), {}, "test.trig") == []
    assert (BGR["m"], BG.participant, BGR["a"]) in graph
    assert (BGR["a"], ORG.holds, BGR["post"]) in graph
    assert (BGR["a"], BG.postHolding, BGR["h"]) in graph


def test_a_records_file_without_a_source_record_is_one_problem_with_the_fix(paths: Paths, tmp_path: Path) -> None:
    root = copy_root(paths, tmp_path)
    records = root.data_dir / "records" / "release-2099-fictional.trig"
    records.write_text(
        HEAD + "GRAPH bgg:release-2099-fictional {\n"
        'bgr:claim-a a bg:Claim ; bg:quote "some words" .\nbgr:claim-b a bg:Claim ; bg:quote "other words" .\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(LoadError) as caught:
        build(root.root)
    (problem,) = caught.value.problems
    assert problem.file == "data/records/release-2099-fictional.trig"
    assert "bg:sourceGraph <https://w3id.org/bordergraph/graph/release-2099-fictional>" in problem.message
    assert "add-source" in problem.message


def test_compact_keeps_the_served_dataset_isomorphic_and_every_annotation_iri(paths: Paths, tmp_path: Path) -> None:
    """The migration, run on a copy: every served graph is isomorphic before and after."""
    root = copy_root(paths, tmp_path)
    before = build(root.root)
    written_before = {p.name: triple_count(p.read_text(encoding="utf-8")) for p in root.record_files}
    compact(root)
    after = build(root.root)
    written_after = {p.name: triple_count(p.read_text(encoding="utf-8")) for p in root.record_files}
    graphs_before = {g.identifier: g for g in before.loaded.dataset.graphs() if len(g)}
    graphs_after = {g.identifier: g for g in after.loaded.dataset.graphs() if len(g)}
    assert set(graphs_before) == set(graphs_after)
    for identifier, graph in graphs_before.items():
        assert isomorphic(graph, graphs_after[identifier]), identifier
    annotations = set(before.loaded.dataset.subjects(RDF.type, OA.Annotation))
    assert annotations == set(after.loaded.dataset.subjects(RDF.type, OA.Annotation))
    assert all(isinstance(a, URIRef) for a in annotations)
    for name, count in written_before.items():
        hand_written = Dataset().parse(paths.data_dir / "records" / name, format="trig")
        if list(hand_written.quads((None, RDF.type, OA.Annotation, None))):
            assert written_after[name] < count, name
    assert read_legacy(root), "the hand-written annotation IRIs are kept in data/annotation-iris.tsv"
    # and running it again changes nothing
    texts = {p: p.read_text(encoding="utf-8") for p in root.record_files}
    compact(root)
    assert texts == {p: p.read_text(encoding="utf-8") for p in root.record_files}


def test_compact_edits_the_text_and_keeps_comments(paths: Paths) -> None:
    """Derived edges in the middle and at the end of a statement, and a body described nowhere in the file."""
    from bordergraph.shorthand import compact_text, expanded

    words = "Canada is the number one export destination for most American states"
    start = text_2018(paths).index(words)
    twice = "Canada and the United States share"
    second = text_2018(paths).index(twice, text_2018(paths).index(twice) + 1)
    text = (
        HEAD
        + "@prefix org: <http://www.w3.org/ns/org#> .\n"
        + "GRAPH bgg:release-2018-goodale-nielsen {\n"
        + "# a comment that stays\n"
        + 'bgr:a a bgr:Person ;\n    org:holds bgr:post ;\n    bgr:name "A" ;\n    bg:postHolding bgr:h .\n\n'
        + "bgr:h a bg:PostHolding ; bg:holder bgr:a ; bg:post bgr:post .\n\n"
        + "bgr:m a bg:Meeting ;\n    bg:participation bgr:m--a ;\n    bg:participant bgr:a .\n\n"
        + "bgr:m--a a bg:Participation ; bg:agent bgr:a .\n\n"
        + "bgr:ann-x-01 a oa:Annotation ;\n    oa:motivatedBy oa:describing ;\n"
        + "    oa:hasBody bgr:h , bgr:elsewhere ;\n"
        + "    oa:hasTarget [ a oa:SpecificResource ;\n        oa:hasSource bgr:release-2018-goodale-nielsen ;\n"
        + f'        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "{words}" ] ,\n'
        + f"            [ a oa:TextPositionSelector ; oa:start {start} ; oa:end {start + len(words)} ] ] .\n\n"
        + "bgr:ann-x-02 a oa:Annotation ;\n    oa:motivatedBy oa:describing ;\n    oa:hasBody bgr:m ;\n"
        + "    oa:hasTarget [ a oa:SpecificResource ;\n        oa:hasSource bgr:release-2018-goodale-nielsen ;\n"
        + f'        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "{twice}" ] ,\n'
        + f"            [ a oa:TextPositionSelector ; oa:start {second} ; oa:end {second + len(twice)} ] ] .\n"
        + "}\n"
    )
    sources = sources_of(paths)
    result = compact_text(text, G2018, sources)
    assert "# a comment that stays" in result.text
    for gone in ("org:holds", "bg:participant ", "bg:postHolding", "oa:Annotation"):
        assert gone not in result.text, gone
    assert 'bgr:name "A" .' in result.text
    assert f'bg:quote "{words}"' in result.text
    assert f'bg:quoteSelector [ oa:exact "{twice}" ; bg:occurrence 2 ]' in result.text
    assert result.legacy == {
        ("release-2018-goodale-nielsen", start, start + len(words)): BGR["ann-x-01"],
        ("release-2018-goodale-nielsen", second, second + len(twice)): BGR["ann-x-02"],
    }
    assert isomorphic(expanded(text, G2018, sources, {}), expanded(result.text, G2018, sources, result.legacy))


def test_full_and_shorthand_fixtures_expand_to_the_same_graph(paths: Paths, test_data: Path) -> None:
    """tests/data/valid/shorthand is meeting-2018 written as a curator now writes it: same graph once built."""
    from bordergraph.shorthand import compact_text, expanded

    full = (test_data / "valid" / "meeting-2018" / "release-2018-goodale-nielsen.trig").read_text(encoding="utf-8")
    short = (test_data / "valid" / "shorthand" / "release-2018-goodale-nielsen.trig").read_text(encoding="utf-8")
    sources = sources_of(paths)
    kept = compact_text(full, G2018, sources).legacy  # the fixture's own annotation IRIs
    assert isomorphic(expanded(full, G2018, sources, {}), expanded(short, G2018, sources, kept))
    assert triple_count(short) < triple_count(full)


def test_every_kept_annotation_iri_is_served(paths: Paths, built: Built) -> None:
    """data/annotation-iris.tsv keeps the IRIs of annotations written by hand: each still names an annotation."""
    served = set(built.loaded.dataset.subjects(RDF.type, OA.Annotation))
    for (graph, start, end), iri in read_legacy(paths).items():
        assert iri in served, (
            f"{iri} ({graph} {start}-{end}) is no longer served: if its quote was corrected, put the new "
            "start and end on its row of data/annotation-iris.tsv so the IRI follows the passage"
        )
