"""`bordergraph add-source` in a temporary copy of the project, with a made-up (clearly fictional) text."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef

from bordergraph.draft.add_source import ARCHIVE_NAME, AddSourceError, add_source, archive_name, next_index
from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGG, BGR

# Made up for this test: no such people, places or crossing exist.
FICTION = """Minister Quillfeather and Secretary Brambleton open the Lanternbridge crossing

Lanternbridge, Nowhere - April 2, 2031 - Today the Honourable Ada Quillfeather, Minister of Imaginary Affairs, \
met with Tobias Brambleton, Secretary of Pretend Security, at the fictional Lanternbridge crossing.

“This bridge exists only in a test,” said Minister Quillfeather. “Nearly 7,000 paper boats cross it every day.”
"""
TITLE = "Minister Quillfeather and Secretary Brambleton open the Lanternbridge crossing"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bordergraph", *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def copy(project_copy: Paths) -> Paths:
    """A copy of ontology/, data/ and queries/ to add a source to."""
    return project_copy


@pytest.fixture
def fiction(tmp_path: Path) -> Path:
    path = tmp_path / "lanternbridge.txt"
    path.write_text(FICTION, encoding="utf-8")
    return path


def _sources(paths: Paths) -> Dataset:
    data = Dataset(default_union=True)
    data.parse(paths.sources_file, format="trig")
    return data


def test_add_source_then_validate_passes(copy: Paths, fiction: Path) -> None:
    before = sorted(p.name for p in copy.sources_dir.iterdir())
    records_before = len(copy.record_files)
    result = run(
        "add-source", "--root", str(copy.root), str(fiction), "--title", TITLE,
        "--issued", "2031-04-02", "--place", "Lanternbridge, Nowhere", "--slug", "release-2031-lanternbridge",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "still to do:" in result.stdout and "bordergraph draft" in result.stdout
    assert "describe the place" in result.stdout  # no record is named "Lanternbridge, Nowhere"

    added = sorted(set(p.name for p in copy.sources_dir.iterdir()) - set(before))
    assert len(added) == 1
    archived = copy.sources_dir / added[0]
    digest = hashlib.sha256(fiction.read_bytes()).hexdigest()
    assert archived.read_bytes() == fiction.read_bytes()
    match = ARCHIVE_NAME.match(archived.name)
    assert match and match.group(2) == digest[:16] and int(match.group(1)) == len(before)

    data = _sources(copy)
    source = BGR["release-2031-lanternbridge"]
    assert (source, BG.sha256, Literal(digest)) in data
    assert (source, BG.localPath, Literal(f"data/sources/{archived.name}")) in data
    assert (source, BG.dateAsStated, Literal("April 2, 2031")) in data
    assert (source, BG.placeOfIssueAsStated, Literal("Lanternbridge, Nowhere")) in data
    assert (source, BG.sourceGraph, BGG["release-2031-lanternbridge"]) in data
    assert (source, BG.dateStatus, BG.DateStated) in data

    records = copy.data_dir / "records" / "release-2031-lanternbridge.trig"
    assert len(copy.record_files) == records_before + 1
    assert "GRAPH bgg:release-2031-lanternbridge {" in records.read_text(encoding="utf-8")

    check = run("validate", "--root", str(copy.root))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("OK:")


def test_the_new_record_is_laid_out_like_the_existing_ones(copy: Paths, fiction: Path) -> None:
    before = copy.sources_file.read_text(encoding="utf-8")
    records = re.findall(r"^bgr:[\w-]+ a bg:SourceDocument , schema:NewsArticle ;\n(?:    .*\n)+", before, re.M)
    dated = [r for r in records if "dcterms:issued" in r]
    assert dated, "no dated news article among the existing source records to compare with"
    add_source(copy, fiction, title=TITLE, issued="April 2, 2031", slug="release-2031-lanternbridge")
    text = copy.sources_file.read_text(encoding="utf-8")
    block = text[text.index("bgr:release-2031-lanternbridge a ") :].split("\n\n", 1)[0].splitlines()
    properties = [line.split()[0] for line in block[1:]]
    assert properties == [
        "rdfs:label", "dcterms:title", "dcterms:issued", "bg:dateAsStated", "bg:dateStatus", "dcterms:format",
        "dcterms:language", "bg:localPath", "bg:sha256", "bg:sourceGraph",
    ]  # fmt: skip
    for existing in dated:  # the same properties in the same order as every existing dated record
        existing_properties = [line.split()[0] for line in existing.splitlines()[1:]]
        assert [p for p in existing_properties if p in properties] == properties
    assert block[0].endswith("a bg:SourceDocument , schema:NewsArticle ;")
    # inserted right after the last existing source record; everything else is untouched
    last = before.index(records[-1]) + len(records[-1])
    assert text == before[:last] + "\n" + "\n".join(block) + "\n" + before[last:]


def test_undated_web_page_gets_date_not_stated(copy: Paths, fiction: Path) -> None:
    added = add_source(copy, fiction, title=TITLE, kind="web-page")
    data = _sources(copy)
    source = BGR[added.slug]
    assert added.slug.startswith("page-")
    assert (source, BG.dateStatus, BG.DateNotStated) in data
    assert next(data.objects(source, URIRef("http://purl.org/dc/terms/issued")), None) is None


def test_publisher_named_by_a_record_is_linked(copy: Paths, tmp_path: Path) -> None:
    text = FICTION + "\nU.S. Department of Homeland Security\n"
    path = tmp_path / "with-publisher.txt"
    path.write_text(text, encoding="utf-8")
    added = add_source(copy, path, title=TITLE, publisher="U.S. Department of Homeland Security")
    assert (BGR[added.slug], URIRef("http://purl.org/dc/terms/publisher"), BGR["dhs"]) in _sources(copy)
    assert not any("dcterms:publisher" in step for step in added.todo)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"title": "A title the text never prints"}, "is not printed"),
        ({"title": TITLE, "issued": "1999-12-31"}, "does not print the date 1999-12-31"),
        ({"title": TITLE, "issued": "sometime"}, "is not a full date"),
        ({"title": TITLE, "publisher": "Ministry of Nothing"}, "is not printed"),
        ({"title": TITLE, "slug": "Not A Slug"}, "lower-case ASCII"),
        ({"title": TITLE, "slug": "release-2018-goodale-nielsen"}, "is taken"),
    ],
)
def test_bad_input_writes_nothing_and_says_what_to_fix(
    copy: Paths, fiction: Path, options: dict[str, str], says: str
) -> None:
    before = {p: p.read_bytes() for p in copy.data_dir.rglob("*") if p.is_file()}
    with pytest.raises(AddSourceError, match=says):
        add_source(copy, fiction, **options)
    after = {p: p.read_bytes() for p in copy.data_dir.rglob("*") if p.is_file()}
    assert after == before


def test_the_same_bytes_twice_are_refused(copy: Paths, fiction: Path) -> None:
    add_source(copy, fiction, title=TITLE)
    result = run("add-source", "--root", str(copy.root), str(fiction), "--title", TITLE)
    assert result.returncode == 2
    assert "already archived" in result.stderr and "Traceback" not in result.stderr


def test_archive_names_follow_the_scheme(copy: Paths) -> None:
    data = b"fictional bytes"
    assert archive_name(7, data, ".txt") == f"007_{hashlib.sha256(data).hexdigest()[:16]}.txt"
    existing = [int(m.group(1)) for p in copy.sources_dir.iterdir() if (m := ARCHIVE_NAME.match(p.name))]
    assert next_index(copy.sources_dir) == max(existing) + 1
