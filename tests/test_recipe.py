"""The curation guide's recipe for a new release, followed on a made-up release in a copy of the project.

docs/curation.md, "A new release, from add-source to make test", is the recipe; this test does what it
says, step by step, on a short, clearly fictional text written for this test (no real release is
copied here), and ends with the data-dependent test modules passing on the copy without any test
edited. When a step of the guide changes, this test changes with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bordergraph.paths import Paths, find_paths

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "curation.md"
SECTION = "## A new release, from add-source to make test"

SLUG = "release-2031-quill-okonkwo-lind"
TITLE = "FICTIONAL TEST RELEASE: Minister Quill and Secretary Okonkwo-Lind open the Lake Wobegone crossing pilot"
TEXT = f"""{TITLE}

March 3, 2031

This is an invented text written for the bordergraph test suite. None of it happened.

Today the Honourable Avery Quill, Minister of Imaginary Border Affairs, met with Bram Okonkwo-Lind, \
Secretary of Fictional Crossings, in Port Nowhere.

The two agreed to open a crossing pilot at Lake Wobegone before the end of the year.

“The pilot will carry some 1,234 travellers a day across the lake,” said Minister Quill.
"""

RECORDS = f"""@prefix bg: <https://w3id.org/bordergraph/ontology#> .
@prefix bgg: <https://w3id.org/bordergraph/graph/> .
@prefix bgr: <https://w3id.org/bordergraph/id/> .
@prefix bgt: <https://w3id.org/bordergraph/topic/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

# A fictional release, written for tests/test_recipe.py.
GRAPH bgg:{SLUG} {{

bgr:avery-quill a foaf:Person ; rdfs:label "Avery Quill"@en ; foaf:name "Avery Quill" ;
    prov:wasDerivedFrom bgr:{SLUG} .
bgr:bram-okonkwo-lind a foaf:Person ; rdfs:label "Bram Okonkwo-Lind"@en ; foaf:name "Bram Okonkwo-Lind" ;
    prov:wasDerivedFrom bgr:{SLUG} .
bgr:post-minister-imaginary-border-affairs a org:Post ; rdfs:label "Minister of Imaginary Border Affairs"@en ;
    prov:wasDerivedFrom bgr:{SLUG} .
bgr:post-secretary-fictional-crossings a org:Post ; rdfs:label "Secretary of Fictional Crossings"@en ;
    prov:wasDerivedFrom bgr:{SLUG} .
bgr:port-nowhere a bg:City ; rdfs:label "Port Nowhere"@en ; prov:wasDerivedFrom bgr:{SLUG} .
bgr:lake-wobegone a bg:Place ; rdfs:label "Lake Wobegone"@en ; prov:wasDerivedFrom bgr:{SLUG} .

bgr:post-holding-2031-03-03-avery-quill a bg:PostHolding ;
    rdfs:label "Avery Quill as Minister of Imaginary Border Affairs, attested 3 March 2031"@en ;
    bg:holder bgr:avery-quill ; bg:post bgr:post-minister-imaginary-border-affairs ;
    bg:attestedOn "2031-03-03"^^xsd:date ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "the Honourable Avery Quill, Minister of Imaginary Border Affairs" .

bgr:post-holding-2031-03-03-bram-okonkwo-lind a bg:PostHolding ;
    rdfs:label "Bram Okonkwo-Lind as Secretary of Fictional Crossings, attested 3 March 2031"@en ;
    bg:holder bgr:bram-okonkwo-lind ; bg:post bgr:post-secretary-fictional-crossings ;
    bg:attestedOn "2031-03-03"^^xsd:date ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "Bram Okonkwo-Lind, Secretary of Fictional Crossings" .

bgr:meeting-2031-03-03-quill-okonkwo-lind a bg:Meeting ;
    rdfs:label "Meeting of Quill and Okonkwo-Lind, Port Nowhere, 3 March 2031"@en ;
    bg:date "2031-03-03"^^xsd:date ; bg:dateAsStated "Today" ; bg:dateStatus bg:DateStated ;
    bg:location bgr:port-nowhere ;
    bg:participation bgr:meeting-2031-03-03-quill-okonkwo-lind--quill ,
                     bgr:meeting-2031-03-03-quill-okonkwo-lind--okonkwo-lind ;
    bg:topic bgt:border-management ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "Today the Honourable Avery Quill, Minister of Imaginary Border Affairs, met with Bram Okonkwo-Lind, \
Secretary of Fictional Crossings, in Port Nowhere." .

bgr:meeting-2031-03-03-quill-okonkwo-lind--quill a bg:Participation ;
    rdfs:label "Quill at the meeting of 3 March 2031"@en ;
    bg:agent bgr:avery-quill ; bg:inRole bgr:post-minister-imaginary-border-affairs ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "Today the Honourable Avery Quill, Minister of Imaginary Border Affairs, met with Bram Okonkwo-Lind, \
Secretary of Fictional Crossings, in Port Nowhere." .

bgr:meeting-2031-03-03-quill-okonkwo-lind--okonkwo-lind a bg:Participation ;
    rdfs:label "Okonkwo-Lind at the meeting of 3 March 2031"@en ;
    bg:agent bgr:bram-okonkwo-lind ; bg:inRole bgr:post-secretary-fictional-crossings ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "Today the Honourable Avery Quill, Minister of Imaginary Border Affairs, met with Bram Okonkwo-Lind, \
Secretary of Fictional Crossings, in Port Nowhere." .

bgr:claim-2031-03-03-open-wobegone-pilot a bg:Claim ;
    rdfs:label "Quill and Okonkwo-Lind agreed to open a crossing pilot at Lake Wobegone"@en ;
    bg:modality bg:Agreed ;
    bg:claimant bgr:avery-quill , bgr:bram-okonkwo-lind ;
    bg:about bgr:lake-wobegone ;
    bg:occasion bgr:meeting-2031-03-03-quill-okonkwo-lind ;
    bg:topic bgt:border-management ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "The two agreed to open a crossing pilot at Lake Wobegone before the end of the year." .

bgr:quotation-2031-03-03-quill a bg:Quotation ;
    rdfs:label "Quotation of Avery Quill on the Lake Wobegone pilot (2031)"@en ;
    schema:text "The pilot will carry some 1,234 travellers a day across the lake," ;
    bg:speaker bgr:avery-quill ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "“The pilot will carry some 1,234 travellers a day across the lake,” said Minister Quill." .

bgr:figure-2031-wobegone-daily-travellers a bg:Figure ;
    rdfs:label "some 1,234 travellers a day expected across Lake Wobegone (2031)"@en ;
    schema:value "1234"^^xsd:decimal ;
    schema:unitText "travellers" ;
    bg:measure "travellers across Lake Wobegone under the pilot" ;
    bg:approximation bg:Some ;
    bg:period bg:PerDay ;
    bg:asPrinted "some 1,234 travellers a day" ;
    bg:about bgr:lake-wobegone ;
    bg:attestedOn "2031-03-03"^^xsd:date ;
    prov:wasDerivedFrom bgr:{SLUG} ;
    bg:quote "“The pilot will carry some 1,234 travellers a day across the lake,” said Minister Quill." .
}}
"""

NOT_LINKED = [
    "avery-quill",
    "bram-okonkwo-lind",
    "post-minister-imaginary-border-affairs",
    "post-secretary-fictional-crossings",
    "port-nowhere",
    "lake-wobegone",
]
FICTIONAL_WORDS = ("2031", "Quill", "Okonkwo", "Nowhere", "Wobegone", "Imaginary", "Fictional", "1234", SLUG)

# The test modules whose answers depend on the data (the rest of `make test` is lint, types, browser and
# server-safety tests that do not read the records).
DATA_TESTS = [
    "tests/test_sources.py",
    "tests/test_data.py",
    "tests/test_ontology.py",
    "tests/test_mappings.py",
    "tests/test_examples.py",
    "tests/test_truth_fixes.py",
    "tests/web/test_sparql.py",
    "tests/web/test_sparql_protocol.py",
    "tests/web/test_site.py",
    "tests/web/test_reconcile.py",
    "tests/export/test_export.py",
]


def _run(args: list[str], root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "BORDERGRAPH_ROOT": str(root), **env}
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False, cwd=ROOT, env=environment)


def test_the_guide_lists_the_steps_this_test_follows() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert SECTION in guide
    section = guide.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps = ["bordergraph add-source", "bg:quote", "bordergraph validate", "bordergraph links", "make snapshots"]
    steps += ["make docs", "make test"]
    positions = [section.find(step) for step in steps]
    assert all(p >= 0 for p in positions), dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions), "the guide gives the steps in another order than this test"


def test_a_fictional_release_goes_through_the_recipe(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for folder in ("ontology", "data", "queries", "docs"):
        shutil.copytree(find_paths().root / folder, root / folder)
    shutil.copy(find_paths().root / "README.md", root / "README.md")  # some tests read the documented queries
    paths = Paths(root)

    # 1. archive the text and write its source record
    text = tmp_path / "release.txt"
    text.write_bytes(TEXT.encode("utf-8"))
    command = [sys.executable, "-m", "bordergraph", "add-source", str(text), "--title", TITLE]
    added = _run([*command, "--issued", "March 3, 2031", "--slug", SLUG], root)
    assert added.returncode == 0, added.stdout + added.stderr
    records = paths.data_dir / "records" / f"{SLUG}.trig"
    opened = records.read_text(encoding="utf-8")
    assert f"GRAPH bgg:{SLUG} {{" in opened
    # 2. write the records into the file add-source opened, each fact with its bg:quote
    body = RECORDS.split(f"GRAPH bgg:{SLUG} {{\n", 1)[1].rsplit("}", 1)[0]
    records.write_text(opened.rstrip().rstrip("}") + body + "}\n", encoding="utf-8")
    # 3. bordergraph validate
    validate = _run([sys.executable, "-m", "bordergraph", "validate"], root)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert validate.stdout.startswith("OK:")
    # 4. bordergraph links: every new actor, post and place is linked or has a reason
    reasons = paths.data_dir / "mappings" / "wikidata-not-linked.tsv"
    with reasons.open("a", encoding="utf-8") as handle:
        for slug in NOT_LINKED:
            handle.write(f"bgr:{slug}\tfictional: invented for the curation recipe test\tnot searched (fictional)\n")
    links = _run([sys.executable, "-m", "bordergraph", "links"], root)
    assert links.returncode == 0, links.stdout + links.stderr
    for slug in NOT_LINKED:
        (line,) = [line for line in links.stdout.splitlines() if line.strip().startswith(f"bgr:{slug} ")]
        assert "fictional" in line, line
    # 5. make snapshots, and review the diff: a new release only adds rows, each about the new release
    expected = paths.examples_dir / "expected"
    before = {p.name: p.read_text(encoding="utf-8") for p in expected.glob("*.tsv")}
    snapshots = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_examples.py",
            "tests/test_truth_fixes.py",
            "-q",
            "-k",
            "expected_answer",
            "-p",
            "no:cacheprovider",
        ],
        root,
        BORDERGRAPH_UPDATE_EXPECTED="1",
    )
    assert snapshots.returncode == 0, snapshots.stdout[-3000:] + snapshots.stderr[-3000:]
    changed = {p.name for p in expected.glob("*.tsv") if p.read_text(encoding="utf-8") != before.get(p.name)}
    assert changed, "a release with a meeting, a claim, a figure and a quotation changes some example answers"
    for name in changed:
        old = set(before[name].splitlines())
        new = set((expected / name).read_text(encoding="utf-8").splitlines())
        assert not old - new, f"{name}: rows disappeared: {sorted(old - new)}"
        for row in new - old:
            assert any(w in row for w in FICTIONAL_WORDS), f"{name}: a changed row not about the new release: {row}"
    # 6. make docs: the generated parts of the docs were stale (the new actors and places change the
    # counts of docs/wikidata-links.md); cog rewrites them from the copy's data, then they check clean
    cogged = [str(root / "docs" / name) for name in ("records-registry.md", "wikidata-links.md")]
    stale = _run([sys.executable, "-m", "cogapp", "--check", *cogged], root)
    assert stale.returncode != 0, "the new release did not change the generated docs: " + stale.stdout
    links_before = (root / "docs" / "wikidata-links.md").read_text(encoding="utf-8")
    regenerated = _run([sys.executable, "-m", "cogapp", "-r", *cogged], root)
    assert regenerated.returncode == 0, regenerated.stdout + regenerated.stderr
    assert _run([sys.executable, "-m", "cogapp", "--check", *cogged], root).returncode == 0
    assert (root / "docs" / "wikidata-links.md").read_text(encoding="utf-8") != links_before
    # 7. make test: the data-dependent tests pass on the copy, none of them edited
    tests = _run([sys.executable, "-m", "pytest", *DATA_TESTS, "-q", "-x", "-p", "no:cacheprovider"], root)
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-3000:]
    assert SLUG in _run([sys.executable, "-m", "pytest", "tests/test_data.py", "--collect-only", "-q"], root).stdout


def test_the_evidence_example_in_the_guide_expands(tmp_path: Path) -> None:
    """The TriG block of the guide's Evidence section is valid shorthand for the real 2018 release."""
    from rdflib import RDF, Dataset, Graph

    from bordergraph.prefixes import BGG, OA, PREFIXES
    from bordergraph.shorthand import Sources, expand, read_legacy

    guide = GUIDE.read_text(encoding="utf-8")
    block = guide.split("## Evidence", 1)[1].split("```trig\n", 1)[1].split("```", 1)[0]
    head = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    dataset = Dataset()
    dataset.parse(data=head + block, format="trig")
    graph_iri = BGG["release-2018-goodale-nielsen"]
    graph = Graph()
    for triple in dataset.graph(graph_iri):
        graph.add(triple)
    paths = find_paths()
    sources = Dataset(default_union=True)
    sources.parse(paths.sources_file, format="trig")
    assert expand(graph, graph_iri, Sources.read(sources, paths), read_legacy(paths), "docs/curation.md") == []
    assert len(set(graph.subjects(RDF.type, OA.Annotation))) == 2, "two passages, three facts"
