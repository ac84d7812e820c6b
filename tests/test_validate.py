"""The data contract, one fixture per rule.

``tests/data/valid/<case>/`` holds small, realistic record files that must validate.
``tests/data/invalid/<case>/`` holds copies of a valid case with exactly one defect. The
defective file starts with ``# expect: <rule> | <part of the message>``; an optional
``# also: <rule>, <rule>`` line names the other rules the same defect is allowed to trip.
Files are named after the graph they hold (``bgg:<file stem>``), so each case has its own folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph
from rdflib.namespace import SH

from bordergraph.build import InvalidDataError, build
from bordergraph.prefixes import BG, OA
from bordergraph.problems import LoadError, Problem

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

# Rules that Python, not SHACL or SPARQL, enforces (src/bordergraph/loader.py and validate.py).
PYTHON_RULES = {
    "syntax",
    "one-graph-per-file",
    "quote-in-source",
    "quote-offsets",
    "printed-string",
    "closed-vocabulary",  # src/bordergraph/vocabulary.py
    "source-record",  # src/bordergraph/shorthand.py: bg:quote in a graph that no source record claims
}

# Node shapes with a message that no fixture names in its "# expect:" line, and why.
UNEXERCISED_SHAPES = {
    "TargetShape": "it has no target of its own: AnnotationShape reaches it through sh:node, and the "
    "rule reported for a bad target is AnnotationShape (pySHACL's nested sh:detail results name "
    "TargetShape too; see invalid/annotation-without-position, which allows it with '# also:')",
}

# Invalid fixtures that the validator lets through or crashes on today: case -> the bug. They run
# as strict xfails, so fixing the bug makes them pass and fail the run until removed from here.
# Regression fixtures for validator bugs found while writing these cases (each once passed silently):
# dangling-iri, annotation-quotes-another-source and same-quantity-not-a-figure pinned checks whose
# FILTERs sat inside UNION branches with unbound variables; offset-ill-typed-integer pinned a crash
# (ValueError) in check_quotes on an ill-typed xsd:integer offset.

EXPECT = re.compile(r"^# expect: (?P<rule>[\w-]+) \| (?P<message>.+)$")
ALSO = re.compile(r"^# also: (?P<rules>.+)$")


@dataclass(frozen=True)
class Case:
    """One folder of fixtures: every .trig in it is loaded together."""

    name: str
    files: tuple[Path, ...]


@dataclass(frozen=True)
class InvalidCase(Case):
    """A case with one defect, in ``defective``, announced by its first line."""

    defective: Path
    rule: str
    message: str
    also: frozenset[str]


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (DATA / kind).iterdir() if p.is_dir())


def _valid_case(folder: Path) -> Case:
    files = tuple(sorted(folder.glob("*.trig")))
    assert files, f"{folder} holds no .trig file"
    return Case(folder.name, files)


def _invalid_case(folder: Path) -> InvalidCase:
    files = tuple(sorted(folder.glob("*.trig")))
    announced = []
    for file in files:
        lines = file.read_text(encoding="utf-8").splitlines()
        match = EXPECT.match(lines[0]) if lines else None
        if match:
            also = ALSO.match(lines[1]) if len(lines) > 1 else None
            rules = frozenset(r.strip() for r in also["rules"].split(",")) if also else frozenset()
            announced.append((file, match["rule"], match["message"].strip(), rules))
    assert len(announced) == 1, f"{folder}: exactly one file must start with '# expect: <rule> | <message>'"
    file, rule, message, rules = announced[0]
    return InvalidCase(folder.name, files, file, rule, message, rules)


VALID = [_valid_case(p) for p in _cases("valid")]
INVALID = [_invalid_case(p) for p in _cases("invalid")]


def _param(case: InvalidCase) -> object:
    return pytest.param(case, id=case.name)


def _check_rules() -> set[str]:
    return {p.stem for p in (ROOT / "queries" / "checks").glob("*-violation.rq")}


def _shapes() -> Graph:
    return Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle")


def _local(node: object) -> str:
    return str(node).rsplit("#", 1)[-1]


def _node_shapes() -> set[str]:
    return {_local(s) for s in _shapes().subjects(RDF.type, SH.NodeShape)}


def _node_shapes_with_a_message() -> set[str]:
    shapes = _shapes()
    named = set()
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        properties = list(shapes.objects(shape, SH.property))
        if (shape, SH.message, None) in shapes or any((p, SH.message, None) in shapes for p in properties):
            named.add(_local(shape))
    return named


def _shown(path: Path) -> str:
    """A fixture's path as reports show it: relative to the project root."""
    return str(path.resolve().relative_to(ROOT))


def _quote_selectors(files: tuple[Path, ...]) -> int:
    """Quotes written in the files: full selectors, plus the distinct passages of the bg:quote shorthand."""
    count = 0
    for file in files:
        dataset = Dataset()
        dataset.parse(file, format="trig")
        count += sum(1 for _ in dataset.quads((None, RDF.type, OA.TextQuoteSelector, None)))
        count += len({str(q) for _, _, q, _ in dataset.quads((None, BG.quote, None, None))})
        count += sum(1 for _ in dataset.quads((None, BG.quoteSelector, None, None)))
    return count


# --- valid cases -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", VALID, ids=[c.name for c in VALID])
def test_valid_case_builds(case: Case) -> None:
    try:
        built = build(record_files=list(case.files))
    except LoadError as exc:
        pytest.fail(f"{case.name} does not load:\n{exc}")
    except InvalidDataError as exc:
        pytest.fail(f"{case.name} is invalid:\n{exc.report.render()}")
    assert built.report.ok, built.report.render()
    # every quote was checked against its source, none was skipped
    assert built.report.quotes_verified == _quote_selectors(case.files), built.report.render()


def test_the_valid_cases_cover_the_documented_patterns() -> None:
    names = {c.name for c in VALID}
    assert {"meeting-2018", "two-sources", "undated-page", "html-in-label", "shorthand"} <= names
    label_file = DATA / "valid" / "html-in-label" / "release-2018-goodale-nielsen.trig"
    assert "<script>alert(1)</script>" in label_file.read_text(encoding="utf-8")
    undated = Dataset()
    undated.parse(DATA / "valid" / "undated-page" / "page-border-issues.trig", format="trig")
    events = [s for s, _, _, _ in undated.quads((None, BG.dateStatus, BG.DateNotStated, None))]
    assert events
    assert all(not list(undated.quads((e, BG.date, None, None))) for e in events)
    assert not list(undated.quads((None, BG.attestedOn, None, None)))


# --- invalid cases -----------------------------------------------------------------------------


def _problems(exc: BaseException) -> list[Problem]:
    assert isinstance(exc, LoadError | InvalidDataError), exc
    return exc.problems if isinstance(exc, LoadError) else exc.report.problems


@pytest.mark.parametrize("case", [_param(c) for c in INVALID])
def test_invalid_case_is_rejected_with_its_rule(case: InvalidCase) -> None:
    with pytest.raises((LoadError, InvalidDataError)) as info:
        build(record_files=list(case.files))
    problems = _problems(info.value)
    report = str(info.value)
    where = _shown(case.defective)
    found = [p for p in problems if p.rule == case.rule and case.message in p.message and where in p.file]
    assert found, f"expected {case.rule} | {case.message} | in {where}; got:\n{report}"
    unexpected = {p.rule for p in problems} - {case.rule} - case.also
    assert not unexpected, f"{case.name} trips other rules too (one defect per fixture):\n{report}"


def test_there_are_enough_invalid_cases() -> None:
    assert len(INVALID) >= 20


def test_fixtures_name_real_rules() -> None:
    known = PYTHON_RULES | _check_rules() | _node_shapes()
    for case in INVALID:
        assert case.rule in known, f"{case.name}: no rule {case.rule!r}"
        assert case.also <= known, f"{case.name}: unknown rule in '# also:' {sorted(case.also - known)}"


# Checks on the Wikidata mapping table cannot be fed through record-file fixtures; each one is
# made to fire on a broken table in tests/test_mappings.py::test_the_checks_catch_broken_rows.
CHECKS_TESTED_ELSEWHERE = {
    "mapping-evidence-violation",
    "mapping-one-item-violation",
    "mapping-one-record-violation",
    "mapping-subject-violation",
}


def test_every_check_has_an_invalid_fixture() -> None:
    expected = {c.rule for c in INVALID}
    assert _check_rules() - expected == CHECKS_TESTED_ELSEWHERE


def test_every_shape_with_a_message_has_an_invalid_fixture() -> None:
    expected = {c.rule for c in INVALID}
    uncovered = _node_shapes_with_a_message() - expected
    assert uncovered == set(UNEXERCISED_SHAPES), (
        "node shapes with a message but no fixture; add one under tests/data/invalid/ or, if it "
        f"cannot be exercised, say why in UNEXERCISED_SHAPES: {sorted(uncovered)}"
    )


# --- the command line --------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BORDERGRAPH_ROOT"}
    return subprocess.run(
        [sys.executable, "-m", "bordergraph", "validate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env=env,
    )


def _data_args(files: tuple[Path, ...]) -> list[str]:
    return [arg for file in files for arg in ("--data", str(file))]


def _valid(name: str) -> Case:
    return next(c for c in VALID if c.name == name)


def _invalid(name: str) -> InvalidCase:
    return next(c for c in INVALID if c.name == name)


def test_cli_valid_case_exits_0() -> None:
    result = _cli(*_data_args(_valid("two-sources").files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK:")


@pytest.mark.parametrize("name", ["meeting-without-place", "wrong-offsets", "unclaimed-graph", "syntax-error"])
def test_cli_invalid_case_exits_1_and_names_the_rule(name: str) -> None:
    case = _invalid(name)
    result = _cli(*_data_args(case.files))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f": {case.rule}: " in output, output
    assert _shown(case.defective) in output, output


def test_cli_nonexistent_root_exits_2(tmp_path: Path) -> None:
    result = _cli("--root", str(tmp_path / "no-such-root"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "not a bordergraph root" in result.stderr


def test_cli_missing_data_file_exits_2(tmp_path: Path) -> None:
    result = _cli("--data", str(tmp_path / "no-such-file.trig"))
    assert result.returncode == 2, result.stdout + result.stderr


# --- messages a curator can act on ----------------------------------------------------------------


def test_a_shape_message_names_the_bad_value() -> None:
    case = _invalid("claim-with-topic-as-modality")
    with pytest.raises(InvalidDataError) as info:
        build(record_files=list(case.files))
    (problem,) = [p for p in info.value.report.problems if p.rule == case.rule]
    assert "(value: bgt:preclearance)" in problem.message, problem.message


def test_a_missing_source_record_is_one_line_with_the_fix(tmp_path: Path) -> None:
    """Every fact of the release would otherwise report the missing record again (71 lines once)."""
    import shutil

    root = tmp_path / "root"
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / folder, root / folder)
    sources = root / "data" / "sources.trig"
    text = sources.read_text(encoding="utf-8")
    start = text.index("bgr:release-2018-goodale-nielsen a bg:SourceDocument")
    end = text.index("\n\n", start) + 2
    sources.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises((LoadError, InvalidDataError)) as info:
        build(root)
    problems = [p for p in _problems(info.value) if "release-2018-goodale-nielsen" in p.file]
    assert len(problems) == 1, "\n".join(map(str, problems))
    assert "bordergraph add-source" in problems[0].message
    assert "bg:sourceGraph" in problems[0].message
