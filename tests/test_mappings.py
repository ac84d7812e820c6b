"""The Wikidata links: evidence on every row, SSSOM round-trip, the mappings graph and its checks."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
import sssom_pydantic
from click.testing import CliRunner
from sssom_pydantic.io import read_unprocessed, write_unprocessed

from bordergraph.build import Built, InvalidDataError, build
from bordergraph.cli import main
from bordergraph.links import link_health, not_linked_reasons
from bordergraph.mappings import MAPPINGS_GRAPH, mapping_files, read_table
from bordergraph.paths import Paths
from bordergraph.prefixes import expand
from bordergraph.problems import LoadError

WIKIDATA = "http://www.wikidata.org/entity/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@pytest.fixture(scope="module")
def table(paths: Paths):  # type: ignore[no-untyped-def]
    (path,) = mapping_files(paths)
    return read_table(path)


def test_there_is_one_wikidata_table_of_links(paths: Paths, table) -> None:  # type: ignore[no-untyped-def]
    assert [p.name for p in mapping_files(paths)] == ["wikidata.sssom.tsv"]
    assert len(table.links) >= 30, "the table lost links"
    assert table.license == "https://creativecommons.org/licenses/by/4.0/"
    assert {link.predicate for link in table.links} == {"http://www.w3.org/2004/02/skos/core#exactMatch"}
    assert {link.justification for link in table.links} == {"https://w3id.org/semapv/vocab/ManualMappingCuration"}
    assert all(link.object.startswith(WIKIDATA) for link in table.links)
    assert all(link.authors and link.date for link in table.links)


def test_every_row_cites_a_stored_file_whose_quote_pairs_name_and_qid(table) -> None:  # type: ignore[no-untyped-def]
    for link in table.links:
        evidence = link.evidence
        assert evidence is not None, f"{link.subject}: comment is not 'owner/repo@commit path: \"quote\"'"
        assert re.fullmatch(r"[0-9a-f]{40}", evidence.commit)
        number = link.object.removeprefix(WIKIDATA + "Q")
        assert re.search(rf"(?<![0-9]){number}(?![0-9])", evidence.quote), f"{link.subject}: QID not in the quote"
        words = {w.lower() for w in re.findall(r"\w{4,}", link.subject_label + " " + link.object_label)}
        assert any(w in evidence.quote.lower() for w in words), f"{link.subject}: the name is not in the quote"
        assert evidence.permalink.startswith(f"https://github.com/{evidence.repo}/blob/{evidence.commit}/")


def test_no_actor_has_two_items_and_no_item_two_actors(table) -> None:  # type: ignore[no-untyped-def]
    subjects = [link.subject for link in table.links]
    objects = [link.object for link in table.links]
    assert len(set(subjects)) == len(subjects)
    assert len(set(objects)) == len(objects)


def test_sssom_file_round_trips_through_sssom_pydantic(paths: Paths) -> None:
    (path,) = mapping_files(paths)
    records, converter, mapping_set = read_unprocessed(path)
    out = io.StringIO()
    write_unprocessed(records, out, metadata=mapping_set, converter=converter)
    again, _, again_set = read_unprocessed(io.StringIO(out.getvalue()))
    assert again == records
    assert again_set == mapping_set
    # the processed form (CURIEs checked against the curie_map) reads without errors too
    mappings, _, _, errors = sssom_pydantic.read(path, return_errors=True)
    assert not errors
    assert len(mappings) == 30


def test_the_build_puts_direct_links_and_their_metadata_in_the_mappings_graph(built: Built) -> None:
    assert str(MAPPINGS_GRAPH) in built.store.graph_names()
    count = next(
        iter(
            built.store.query(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{MAPPINGS_GRAPH}> "
                "{ ?s <http://www.w3.org/2004/02/skos/core#exactMatch> ?o } }"
            )
        )
    )
    assert int(count["n"].value) == 30
    why = list(
        built.store.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX sssom: <https://w3id.org/sssom/>
        PREFIX pav: <http://purl.org/pav/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?who ?when ?how ?file ?quote WHERE {
          ?m owl:annotatedSource <https://w3id.org/bordergraph/id/ralph-goodale> ;
             owl:annotatedTarget <http://www.wikidata.org/entity/Q2070905> ;
             sssom:author_label ?who ; pav:authoredOn ?when ; sssom:mapping_justification ?how ;
             rdfs:seeAlso ?file ; rdfs:comment ?quote .
          ?set sssom:mappings ?m .
        }""")
    )
    assert len(why) == 1
    row = why[0]
    assert row["who"].value == "bordergraph developers"
    assert row["when"].value == "2026-11-22"
    assert row["how"].value == "https://w3id.org/semapv/vocab/ManualMappingCuration"
    assert row["file"].value == (
        "https://github.com/everypolitician/everypolitician-data/blob/"
        "004d20e3f5f511d233bd8652086666e69d0585aa/data/Canada/Commons/term-42.csv"
    )
    assert "Q2070905" in row["quote"].value
    # owl:sameAs would merge our records with Wikidata's: never used
    assert not built.store.query("ASK { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b }")


def _copy_root(paths: Paths, target: Path) -> Paths:
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(paths.root / folder, target / folder)
    return Paths(target)


def test_the_checks_catch_broken_rows(paths: Paths, tmp_path: Path) -> None:
    root = _copy_root(paths, tmp_path)
    tsv = root.data_dir / "mappings" / "wikidata.sssom.tsv"
    text = tsv.read_text(encoding="utf-8")
    rows = [
        # a subject no record describes
        "bgr:nobody\tNobody\tskos:exactMatch\twd:Q999999991\tNobody\tsemapv:ManualMappingCuration\tx\t2026-11-22\t"
        'a/b@0000000000000000000000000000000000000000 f.csv: "Nobody,Q999999991"',
        # a second item for Goodale, and the Canada item for a second record
        "bgr:ralph-goodale\tRalph Goodale\tskos:exactMatch\twd:Q999999992\tX\tsemapv:ManualMappingCuration\tx\t"
        '2026-11-22\ta/b@0000000000000000000000000000000000000000 f.csv: "Ralph Goodale,Q999999992"',
        "bgr:ottawa\tOttawa\tskos:exactMatch\twd:Q16\tCanada\tsemapv:ManualMappingCuration\tx\t2026-11-22\t"
        'a/b@0000000000000000000000000000000000000000 f.csv: "Ottawa,Q16"',
        # no evidence at all
        "bgr:kirstjen-nielsen\tKirstjen Nielsen\tskos:exactMatch\twd:Q999999993\tX\tsemapv:ManualMappingCuration\tx\t"
        "2026-11-22\t",
    ]
    tsv.write_text(text.rstrip("\n") + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as caught:
        build(root.root)
    problems = caught.value.report.problems
    found = {(p.rule, p.record) for p in problems}
    assert ("mapping-subject-violation", "https://w3id.org/bordergraph/id/nobody") in found
    assert ("mapping-one-item-violation", "https://w3id.org/bordergraph/id/ralph-goodale") in found
    assert ("mapping-one-record-violation", "https://w3id.org/bordergraph/id/ottawa") in found
    assert ("mapping-evidence-violation", "https://w3id.org/bordergraph/id/kirstjen-nielsen") in found
    assert all(p.file == "data/mappings/wikidata.sssom.tsv" for p in problems if p.rule.startswith("mapping-"))
    assert {p.rule for p in problems} <= {
        "mapping-subject-violation",
        "mapping-one-item-violation",
        "mapping-one-record-violation",
        "mapping-evidence-violation",
    }


def test_an_unreadable_table_is_a_load_error_naming_the_file(paths: Paths, tmp_path: Path) -> None:
    root = _copy_root(paths, tmp_path)
    tsv = root.data_dir / "mappings" / "wikidata.sssom.tsv"
    tsv.write_text(tsv.read_text(encoding="utf-8").replace("bgr:ralph-goodale", "nope:ralph-goodale"), "utf-8")
    with pytest.raises(LoadError) as caught:
        build(root.root)
    (problem,) = caught.value.problems
    assert problem.file == "data/mappings/wikidata.sssom.tsv"
    assert "SSSOM" in problem.message


def test_unlinked_records_each_have_a_reason_and_are_not_linked(built: Built, paths: Paths, table) -> None:  # type: ignore[no-untyped-def]
    reasons = not_linked_reasons(paths)
    linked = {link.subject for link in table.links}
    assert reasons and not set(reasons) & linked
    statuses = link_health(built.store, paths)
    records = {s.record for s in statuses}
    assert set(reasons) <= records, "wikidata-not-linked.tsv names a record that is not an actor or place"
    assert sum(1 for s in statuses if s.item) == len(table.links), "every row links one actor or place"
    assert all(s.reason for s in statuses if not s.item)
    assert all(s.record in reasons for s in statuses if not s.item), "every unlinked actor needs a recorded reason"
    assert expand("bgr:cbsa") in reasons


def test_links_command_reports_linked_and_unlinked_by_type(built: Built, paths: Paths) -> None:
    result = CliRunner().invoke(main, ["links"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    statuses = link_health(built.store, paths)
    linked = sum(1 for s in statuses if s.item)
    assert lines[0] == f"Wikidata links: {linked} of {len(statuses)} people, organisations, posts and places linked"
    people = [s for s in statuses if s.type == "foaf:Person"]
    person = next(line for line in lines if line.startswith("foaf:Person "))
    done = sum(1 for s in people if s.item)
    assert person.split()[1:] == [str(done), str(len(people) - done)]
    assert done and len(people) - done, "people both linked and not linked"
    assert any(line.startswith("  bgr:cbsa (bg:GovernmentAgency, Canada Border Services Agency): ") for line in lines)
    assert "not searched yet (no entry" not in result.output


def test_every_subject_label_is_the_records_label(built: Built, table) -> None:  # type: ignore[no-untyped-def]
    """subject_label copies the record's one rdfs:label, so a relabelled record shows up here (the evidence stays)."""
    for link in table.links:
        rows = built.store.query(f"SELECT DISTINCT ?l WHERE {{ <{link.subject}> <{RDFS_LABEL}> ?l }}")
        labels = {row["l"].value for row in rows}
        assert labels == {link.subject_label}, f"{link.subject}: subject_label {link.subject_label!r}, record {labels}"
