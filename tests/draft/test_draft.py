"""`bordergraph draft`: rules on made-up (clearly fictional) sentences, then the command on a temporary copy."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from bordergraph.draft import draft_text, source_info
from bordergraph.draft.dates import find_dates, parse_date
from bordergraph.draft.figures import find_figures, not_figures
from bordergraph.draft.gazetteer import Gazetteer, find_mentions
from bordergraph.draft.quotes import find_quotes
from bordergraph.draft.text import Span, sentences
from bordergraph.draft.write import render
from bordergraph.loader import load
from bordergraph.paths import Paths, find_paths
from bordergraph.prefixes import BG, BGR, OA, SCHEMA

# Made up for these tests: no such people, offices, bridges or boats exist.
FICTION = """Minister Quillfeather and Secretary Brambleton open the Lanternbridge crossing

Lanternbridge, Nowhere - April 2, 2031 - Today the Honourable Ada Quillfeather, Minister of Imaginary Affairs, \
met with Tobias Brambleton, Secretary of Pretend Security, at the fictional Lanternbridge crossing in Canada.

“This bridge exists only in a test, and it will never carry a real lorry,” said Minister Quillfeather. \
“Nearly 7,000 paper boats cross it every day, and some 40 kites fly over it a year.”

On March 10, the Office of Invented Affairs (OIA) announced that more than 31,000 kilograms of confetti \
will be deployed in the coming months. Both ministers agreed to ratify the Treaty of Nowhere.

“Our two ministries share one pretend border and we are committed to keeping it imaginary.”

- Tobias Brambleton, Secretary of Pretend Security
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bordergraph", *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def graph() -> Dataset:
    return load(find_paths()).dataset


@pytest.fixture(scope="module")
def drafted(graph: Dataset) -> tuple[str, Dataset]:
    info = source_info(graph, FICTION.encode("utf-8"), "lanternbridge.txt", dt.date(2031, 4, 2))
    trig = render(draft_text(FICTION, graph, info))
    data = Dataset(default_union=True)
    data.parse(data=trig, format="trig")
    return trig, data


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "value", "datatype"),
    [
        ("On April 2, 2031 the bridge opened.", "2031-04-02", "date"),
        ("It opened on 2 April 2031.", "2031-04-02", "date"),
        ("It was planned in May 2030.", "2030-05", "gYearMonth"),
        ("On March 10, they met.", "--03-10", "gMonthDay"),
        ("After January's storm the boats sank.", "--01", "gMonth"),
        ("The crossing was built in 2029.", "2029", "gYear"),
        ("Dated 06/17/2031 at noon.", "2031-06-17", "date"),
    ],
)
def test_dates_full_and_partial(words: str, value: str, datatype: str) -> None:
    (mention,) = find_dates(words)
    assert (mention.value, mention.datatype) == (value, datatype)
    assert words[mention.start : mention.end] == mention.as_stated
    assert mention.status == ("DateStated" if datatype == "date" else "DatePartial")


def test_today_is_the_source_date_never_the_clock() -> None:
    (resolved,) = find_dates("Today the ministers met.", dt.date(2031, 4, 2))
    assert (resolved.value, resolved.as_stated) == ("2031-04-02", "Today")
    (yesterday,) = find_dates("They arrived yesterday.", dt.date(2031, 4, 2))
    assert yesterday.value == "2031-04-01"
    (unknown,) = find_dates("Today the ministers met.")
    assert unknown.value is None and unknown.status == "DateNotStated"


def test_since_and_vague_dates() -> None:
    since, vague = find_dates("Boats have sailed since 1999 and more will sail in the coming months.")
    assert since.since and since.value == "1999"
    assert vague.value is None and vague.as_stated == "in the coming months"
    assert parse_date("March 10, 2017") == ("2017-03-10", "date")
    assert parse_date("no date here") is None


# --- sentences and mentions ---------------------------------------------------------------------


def test_sentences_slice_back_and_keep_abbreviations_and_datelines_apart() -> None:
    found = sentences(FICTION)
    texts = [FICTION[s.start : s.end] for s in found]
    assert all(t == t.strip() and t for t in texts)
    meeting = next(t for t in texts if "met with" in t)
    assert meeting.startswith("Today the Honourable") and meeting.endswith("in Canada.")  # dateline cut off
    text = "The U.S. Secretary met Dr. Who in Washington D.C. yesterday. Then they left."
    assert [text[s.start : s.end] for s in sentences(text)] == [
        "The U.S. Secretary met Dr. Who in Washington D.C. yesterday.",
        "Then they left.",
    ]


def test_mentions_use_the_graph_and_propose_new_people(graph: Dataset) -> None:
    gaz = Gazetteer.from_dataset(graph)
    mentions = {FICTION[m.start : m.end]: m for m in find_mentions(FICTION, gaz)}
    assert mentions["Canada"].iri == BGR["canada"] and not mentions["Canada"].new
    ada = mentions["Ada Quillfeather"]
    assert ada.new and ada.kind == "person" and ada.iri == BGR["ada-quillfeather"]
    assert mentions["Tobias Brambleton"].iri == BGR["tobias-brambleton"]
    assert mentions["Office of Invented Affairs"].iri == BGR["oia"]  # from the acronym printed after it
    quill = [
        m for m in find_mentions(FICTION, Gazetteer.from_dataset(graph)) if FICTION[m.start : m.end] == "Quillfeather"
    ]
    assert quill and all(m.iri == BGR["ada-quillfeather"] for m in quill)  # "Minister Quillfeather"


def test_labels_and_alternative_labels_come_from_the_graph(graph: Dataset) -> None:
    gaz = Gazetteer.from_dataset(graph)
    for subject, alt in graph.subject_objects(SKOS.altLabel):
        if isinstance(subject, URIRef) and str(subject) in {str(i) for i in gaz.names.get(str(alt), ())}:
            break
    else:
        pytest.fail("no skos:altLabel of the graph is in the gazetteer")


# --- figures and quotations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "printed", "value", "hedge", "period"),
    [
        ("Nearly 7,000 paper boats cross it every day.", "Nearly 7,000 paper boats", "7000", "Nearly", "PerDay"),
        ("It serves almost 2 million kites a year.", "almost 2 million kites", "2000000", "Almost", "PerYear"),
        ("Some 40 kites fly daily.", "Some 40 kites", "40", "Some", "PerDay"),
        ("About approximately 5 boats sank.", "approximately 5 boats", "5", "Approximately", None),
        ("We seized more than 31,000 kilograms (31 metric tons) of confetti.",
         "more than 31,000 kilograms (31 metric tons)", "31000", "MoreThan", None),
        ("Trade worth $2.4 billion crossed.", "$2.4 billion", "2400000000", "Exact", None),
        ("It has eight fictional airports.", "eight fictional airports", "8", "Exact", None),
    ],
)  # fmt: skip
def test_figures_with_hedges_units_and_periods(
    words: str, printed: str, value: str, hedge: str, period: str | None
) -> None:
    masks = [Span(d.start, d.end) for d in find_dates(words)] + not_figures(words)
    (figure,) = find_figures(words, Span(0, len(words)), masks)
    assert figure.as_printed == printed == words[figure.start : figure.end]
    assert f"{figure.value.normalize():f}" == value
    assert (figure.hedge, figure.period) == (hedge, period)


@pytest.mark.parametrize(
    "words",
    [
        "Our two ministries share one border.",
        "Call 613-555-0100 for details.",
        "Bill C-99 passed in 2031.",
        "It is the 21st crossing since 1999.",
    ],
)
def test_numbers_that_are_not_figures(words: str) -> None:
    masks = [Span(d.start, d.end) for d in find_dates(words)] + not_figures(words)
    assert find_figures(words, Span(0, len(words)), masks) == []


def test_quotations_with_their_speakers(graph: Dataset) -> None:
    gaz = Gazetteer.from_dataset(graph)
    quotes = find_quotes(FICTION, find_mentions(FICTION, gaz))
    by_words = {FICTION[q.start : q.end][:20]: q for q in quotes}
    first = by_words["This bridge exists o"]
    second = by_words["Nearly 7,000 paper b"]
    signed = by_words["Our two ministries sh"[:20]]
    assert [m.iri for m in first.speakers] == [BGR["ada-quillfeather"]] and first.rule == "said"
    assert [m.iri for m in second.speakers] == [BGR["ada-quillfeather"]] and second.rule == "continued"
    assert [m.iri for m in signed.speakers] == [BGR["tobias-brambleton"]] and signed.rule == "signature line"
    scare = find_quotes('This "Shared Dream" is short. He said nothing.', [])
    assert scare == []


# --- the whole draft ------------------------------------------------------------------------------


def test_draft_is_trig_in_the_record_patterns_with_verbatim_evidence(drafted: tuple[str, Dataset]) -> None:
    _, data = drafted
    for selector in data.subjects(RDF.type, OA.TextPositionSelector):
        start, end = int(str(data.value(selector, OA.start))), int(str(data.value(selector, OA.end)))
        target = next(data.subjects(OA.hasSelector, selector))
        exact = next(data.value(s, OA.exact) for s in data.objects(target, OA.hasSelector) if data.value(s, OA.exact))
        assert FICTION[start:end] == str(exact)
    figures = {str(data.value(f, BG.asPrinted)): f for f in data.subjects(RDF.type, BG.Figure)}
    boats = figures["Nearly 7,000 paper boats"]
    assert data.value(boats, BG.approximation) == BG.Nearly and data.value(boats, BG.period) == BG.PerDay
    assert data.value(figures["some 40 kites"], BG.period) == BG.PerYear
    meeting = next(data.subjects(RDF.type, BG.Meeting))
    assert data.value(meeting, BG.date) == Literal("2031-04-02", datatype=XSD.date)
    assert set(data.objects(meeting, BG.participant)) == {BGR["ada-quillfeather"], BGR["tobias-brambleton"]}
    assert len(set(data.objects(meeting, BG.participation))) == 2
    partial = [e for e in data.subjects(BG.dateStatus, BG.DatePartial)]
    assert any(str(data.value(e, BG.date)) == "--03-10" for e in partial)
    speakers = {str(data.value(q, SCHEMA.text))[:12]: set(data.objects(q, BG.speaker))
                for q in data.subjects(RDF.type, BG.Quotation)}  # fmt: skip
    assert speakers["This bridge "] == {BGR["ada-quillfeather"]}


def test_claims_carry_the_modality_of_their_cue_words(drafted: tuple[str, Dataset]) -> None:
    _, data = drafted
    modalities = {data.value(c, BG.modality) for c in data.subjects(RDF.type, BG.Claim)}
    assert {BG.Announced, BG.ToBeRatified, BG.Committed, BG.Intended} <= modalities
    declared = {s for s in Dataset().parse(find_paths().ontology_files[0], format="turtle").subjects()}
    assert modalities <= declared


def test_draft_is_deterministic(graph: Dataset, drafted: tuple[str, Dataset]) -> None:
    info = source_info(graph, FICTION.encode("utf-8"), "lanternbridge.txt", dt.date(2031, 4, 2))
    assert render(draft_text(FICTION, graph, info)) == drafted[0]


@pytest.fixture
def copy(project_copy: Paths) -> Paths:
    """A copy of ontology/, data/ and queries/ to draft into."""
    return project_copy


def test_command_writes_drafts_outside_the_data_and_nothing_is_loaded(copy: Paths, tmp_path: Path) -> None:
    source = tmp_path / "lanternbridge.txt"
    source.write_text(FICTION, encoding="utf-8")
    result = run("draft", "--root", str(copy.root), str(source), "--issued", "2031-04-02")
    assert result.returncode == 0, result.stderr
    written = copy.root / "drafts" / "lanternbridge.trig"
    assert written.is_file() and f"wrote {written}" in result.stdout
    Dataset().parse(written, format="trig")
    check = run("validate", "--root", str(copy.root))
    assert check.returncode == 0 and check.stdout.startswith("OK:")  # the draft is never loaded

    inside = run("draft", "--root", str(copy.root), str(source), "--out", str(copy.data_dir / "records" / "x.trig"))
    assert inside.returncode == 2 and "inside data/" in inside.stderr
    assert not (copy.data_dir / "records" / "x.trig").exists()

    turtle = run("draft", "--root", str(copy.root), str(source), "--turtle", "--out", "-")
    assert turtle.returncode == 0 and "GRAPH" not in turtle.stdout
    assert len(Dataset().parse(data=turtle.stdout, format="turtle")) > 0

    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\xe9 crossing".encode("latin-1"))
    bad = run("draft", "--root", str(copy.root), str(latin))
    assert bad.returncode == 2 and "not UTF-8" in bad.stderr and "Traceback" not in bad.stderr


def test_an_archived_source_is_dated_by_its_record(graph: Dataset, paths: Paths) -> None:
    """'Today' in an archived source is read against dcterms:issued of its record, whichever source that is."""
    issued = URIRef("http://purl.org/dc/terms/issued")
    for source, day in graph.subject_objects(issued):
        local = graph.value(source, BG.localPath)
        raw = (paths.root / str(local)).read_bytes()
        info = source_info(graph, raw, Path(str(local)).name)
        assert info.iri == source and info.issued == dt.date.fromisoformat(str(day))
        text = raw.decode("utf-8")
        for mention in draft_text(text, graph, info).dates:
            if mention.relative and mention.as_stated.lower().startswith("today"):
                assert mention.value == str(day)


def test_leave_one_out_bench_covers_every_source(paths: Paths) -> None:
    result = subprocess.run(
        [sys.executable, str(paths.root / "bench" / "draft_loo.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: a target not met (figures are reported, not asserted)
    data = Dataset(default_union=True)
    data.parse(paths.sources_file, format="trig")
    graphs = {str(g).rsplit("/", 1)[-1] for g in data.objects(None, BG.sourceGraph)}
    with_records = {g for g in graphs if (paths.data_dir / "records" / f"{g}.trig").is_file()}
    assert f"Leave-one-out over {len(with_records)} sources" in result.stdout
    for name in with_records:
        rows = [line for line in result.stdout.splitlines() if line.startswith(f"| {name} ")]
        assert len(rows) == 4, name
        assert all(re.search(r"\d+\.\d %|–", row) for row in rows)


def test_page_chrome_is_marked_and_proposes_nothing(graph: Dataset) -> None:
    text = (
        "Ministers of Make-Believe meet\n\n"
        "Today the Honourable Ada Quillfeather, Minister of Imaginary Affairs, met with Tobias Brambleton, "
        "Secretary of Pretend Security.\n\n"
        "Contacts\n\nWendel Oddsworth\nPress Secretary\nOffice of Invented Affairs\n613-555-0100\n"
    )
    info = source_info(graph, text.encode("utf-8"), "chrome.txt", dt.date(2031, 4, 2))
    draft = draft_text(text, graph, info)
    marked = {text[s.start : s.end] for s in draft.chrome}
    assert {"Contacts", "Wendel Oddsworth", "Press Secretary", "Office of Invented Affairs"} <= marked
    assert not any("Today the Honourable" in s for s in marked)
    trig = render(draft)
    assert "bgr:office-of-invented-affairs a org:Organization" not in trig  # named only in the contact block
    assert "bgr:ada-quillfeather a foaf:Person" in trig


def test_recipe_add_source_then_draft_then_validate(copy: Paths, tmp_path: Path) -> None:
    """A short made-up release: archived by add-source, drafted, the draft moved in unchanged, and it validates."""
    text = (
        "Quillfeather and Brambleton meet at the Lanternbridge crossing\n\n"
        "Lanternbridge, Nowhere - April 2, 2031 - Today the Honourable Ada Quillfeather, Minister of Imaginary "
        "Affairs, met with Tobias Brambleton, Secretary of Pretend Security, at the Lanternbridge crossing.\n\n"
        "“Nearly 7,000 paper boats cross from Canada every day,” said Minister Quillfeather.\n"
    )
    path = tmp_path / "release.txt"
    path.write_text(text, encoding="utf-8")
    title = "Quillfeather and Brambleton meet at the Lanternbridge crossing"
    added = run("add-source", "--root", str(copy.root), str(path), "--title", title, "--issued", "April 2, 2031",
                "--slug", "release-2031-lanternbridge")  # fmt: skip
    assert added.returncode == 0, added.stderr
    archived = next(p for p in copy.sources_dir.iterdir() if p.read_bytes() == path.read_bytes())
    drafted = run("draft", "--root", str(copy.root), str(archived))
    assert drafted.returncode == 0, drafted.stderr
    draft = copy.root / "drafts" / "release-2031-lanternbridge.trig"
    trig = draft.read_text(encoding="utf-8")
    assert "2031-04-02" in trig and "from its record in data/sources.trig" in trig
    shutil.copy(draft, copy.data_dir / "records" / "release-2031-lanternbridge.trig")
    check = run("validate", "--root", str(copy.root))
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_own_term_in_a_draft_is_declared(drafted: tuple[str, Dataset]) -> None:
    _, data = drafted
    declared = set(Dataset().parse(find_paths().ontology_files[0], format="turtle").subjects())
    used = {t for triple in data for t in triple if isinstance(t, URIRef) and str(t).startswith(str(BG))}
    assert used and used <= declared, sorted(used - declared)


def test_other_ways_of_printing_releases(graph: Dataset) -> None:
    """Made-up text printed another way: an em-dash dateline, "X said:" before the quote, deadlines."""
    text = (
        "Ministers sign the Treaty of Nowhere\n\n"
        "LANTERNBRIDGE — 5 February 2031 — The Honourable Ada Quillfeather, Minister of Imaginary Affairs, and "
        "Tobias Brambleton, Secretary of Pretend Security, signed the Treaty of Nowhere yesterday.\n\n"
        "Minister Ada Quillfeather said: “We will build three new bridges by 2033, and roughly 1.5 million paper "
        "boats will use them each year.”\n\n"
        "“It is done, and it is entirely made up,” Brambleton said.\n"
    )
    info = source_info(graph, text.encode("utf-8"), "treaty.txt")
    draft = draft_text(text, graph, info)
    assert info.issued is None and draft.source.issued == dt.date(2031, 2, 5)  # from the dateline, said so
    assert "date line" in draft.source.issued_from
    (signing,) = [e for e in draft.events if e.kind == "Signing"]
    assert signing.date is not None and (signing.date.value, signing.date.as_stated) == ("2031-02-04", "yesterday")
    assert {p.mention.iri for p in signing.participants.values()} == {BGR["ada-quillfeather"], BGR["tobias-brambleton"]}
    assert not any(e.date and e.date.value == "2033" for e in draft.events)  # "by 2033" is a deadline
    periods = {f.as_printed: f.period for f in draft.figures}
    assert periods == {"three new bridges": None, "roughly 1.5 million paper boats": "PerYear"}
    speakers = {text[q.start : q.end][:9]: [m.iri for m in q.speakers] for q in draft.quotes}
    assert speakers == {"We will b": [BGR["ada-quillfeather"]], "It is don": [BGR["tobias-brambleton"]]}
    assert not any(text[m.start : m.end] == "LANTERNBRIDGE" and m.kind == "organisation" for m in draft.mentions)
