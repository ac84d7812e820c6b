"""Docs that cannot drift: the README's commands, settings and tour, and the docs' tables, against the code and data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import httpx
from SPARQLWrapper import SPARQLWrapper

from bordergraph.build import Built
from bordergraph.cli import main, serve, settings_table
from bordergraph.describe import shared_records, shared_records_table
from bordergraph.links import link_health, link_summary, not_linked_reasons
from bordergraph.mappings import mapping_files, read_table
from bordergraph.paths import Paths
from bordergraph.prefixes import PREFIXES, compact
from bordergraph.web.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGISTRY = (ROOT / "docs" / "records-registry.md").read_text(encoding="utf-8")
WIKIDATA_LINKS = (ROOT / "docs" / "wikidata-links.md").read_text(encoding="utf-8")
COG_BLOCK = re.compile(r"<!-- \[\[\[cog\n.*?\]\]\] -->\n(.*?)<!-- \[\[\[end\]\]\] -->", re.S)


def _section(text: str, heading: str) -> str:
    """The text under a level-2 heading, up to the next one."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def _table(text: str) -> list[list[str]]:
    """The cells of every data row of the first Markdown table in ``text`` (escaped pipes kept in cells)."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]


def test_two_commands_come_first() -> None:
    first_block = README.split("```", 2)[1]
    assert "make serve" in first_block and "make test" in first_block


def test_every_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"bordergraph {name}" in README, f"README.md does not show `bordergraph {name}`"


def test_the_settings_table_is_the_one_cog_generates_from_the_serve_options() -> None:
    """The whole table, defaults and texts included: regenerate it with `cog -r README.md` after changing a flag."""
    block = re.search(r"<!-- \[\[\[cog\n.*?\]\]\] -->\n(.*?)<!-- \[\[\[end\]\]\] -->", README, re.S)
    assert block, "README.md lost its cog block for the settings table"
    assert block.group(1) == settings_table() + "\n"


def test_every_setting_has_a_flag_and_the_flags_are_what_serve_offers() -> None:
    options = {p.name for p in serve.params if isinstance(p, click.Option)} - {"root", "build_dir"}  # where from
    assert options == set(Settings.__dataclass_fields__) - {"max_depth"}  # max_depth: a safety constant
    help_text = subprocess.run(
        [sys.executable, "-m", "bordergraph", "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for flag in re.findall(r"^\| `(--[a-z-]+)`", README, re.M):
        assert flag in help_text, f"README.md documents {flag}, which serve does not have"


def test_the_curl_tour_answers(endpoint: str) -> None:
    query = re.search(r"--data-urlencode 'query=(.*?)'\n", README, re.S)
    assert query, "the README's curl example moved: update this test"
    response = httpx.post(endpoint, data={"query": query.group(1)}, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert "Ralph Goodale" in response.text and response.text.startswith("date,meeting,who")


def test_the_sparqlwrapper_tour_answers(endpoint: str) -> None:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "SPARQLWrapper(" in b)
    query = re.search(r'setQuery\("""(.*?)"""\)', block, re.S)
    assert query, "the README's SPARQLWrapper example moved: update this test"
    sparql = SPARQLWrapper(endpoint)
    sparql.setReturnFormat("json")
    sparql.setQuery(query.group(1))
    answer = sparql.queryAndConvert()
    assert isinstance(answer, dict), type(answer)
    quotes = {b["quote"]["value"] for b in answer["results"]["bindings"]}
    assert any("almost 13 million air passengers every year" in q for q in quotes)
    assert any("nearly 12 million passengers a year" in q for q in quotes)


def test_the_records_registry_is_the_table_cog_generates_from_the_data(built: Built) -> None:
    """Regenerate it with `make docs` (cog) after changing the records."""
    blocks = COG_BLOCK.findall(REGISTRY)
    assert len(blocks) == 1, "docs/records-registry.md lost its cog block"
    assert blocks[0] == shared_records_table(built.store) + "\n"


def test_the_registry_lists_exactly_the_records_several_source_graphs_type(built: Built) -> None:
    """Checked by a second route: rdflib over the loaded dataset, not the Oxigraph query behind the table."""
    dataset = built.loaded.dataset
    rdf_type = PREFIXES["rdf"] + "type"
    sources = {str(o) for o in dataset.objects(None, dataset.namespace_manager.expand_curie("bg:sourceGraph"))}
    typed_in: dict[str, set[str]] = {}
    for s, p, _o, g in dataset.quads((None, None, None, None)):
        name = str(getattr(g, "identifier", g))
        if str(p) == rdf_type and name in sources and str(s).startswith(PREFIXES["bgr"]):
            typed_in.setdefault(str(s).removeprefix(PREFIXES["bgr"]), set()).add(name.removeprefix(PREFIXES["bgg"]))
    shared = {slug: graphs for slug, graphs in typed_in.items() if len(graphs) > 1}
    assert shared, "no record is shared between source graphs: the registry would be empty"
    assert {r.slug: set(r.names) for r in shared_records(built.store)} == shared
    rows = {row[0].strip("`") for row in _table(COG_BLOCK.findall(REGISTRY)[0])}
    assert rows == set(shared)


def test_the_wikidata_counts_are_the_ones_cog_generates(built: Built, paths: Paths) -> None:
    blocks = COG_BLOCK.findall(WIKIDATA_LINKS)
    assert len(blocks) == 1, "docs/wikidata-links.md lost its cog block"
    assert blocks[0] == link_summary(link_health(built.store, paths)) + "\n"


def test_the_links_table_is_the_sssom_file_row_by_row(built: Built, paths: Paths) -> None:
    """Record, QID, label in the evidence, repository, commit and path of each row, against the mapping file."""
    (path,) = mapping_files(paths)
    expected = {}
    for link in read_table(path).links:
        evidence = link.evidence
        assert evidence is not None, link.subject
        expected[compact(link.subject)] = (link.object.rsplit("/", 1)[1], link.object_label, evidence)
    rows = _table(_section(WIKIDATA_LINKS, "Links made"))
    documented = {row[0].strip("`"): row for row in rows}
    assert len(documented) == len(rows), "a record has two rows in the table of links"
    assert set(documented) == set(expected), "the table of links and data/mappings/wikidata.sssom.tsv differ"
    for record, (qid, label, evidence) in expected.items():
        _, doc_qid, doc_label, doc_evidence, _ = documented[record]
        assert (doc_qid, doc_label) == (qid, label), record
        where = re.fullmatch(r"(\S+) @ ([0-9a-f]{7,40}) `(?:…)?([^`]+)`(?: .*)?", doc_evidence)
        assert where, f"{record}: evidence cell is not 'repo @ commit `path`': {doc_evidence}"
        repo, commit, file = where.groups()
        assert evidence.repo == repo and evidence.commit.startswith(commit), record
        assert evidence.path.endswith(file), f"{record}: {file} is not the path {evidence.path}"
    labelled = {row["record"].value for row in built.store.query("SELECT ?record WHERE { ?record a ?type }")}
    assert {r for r in expected if r.replace("bgr:", PREFIXES["bgr"], 1) not in labelled} == set()


def test_the_not_linked_table_is_the_not_linked_file(built: Built, paths: Paths) -> None:
    """Every record of data/mappings/wikidata-not-linked.tsv has a row (alone or with others), and only those."""
    reasons = {compact(record) for record in not_linked_reasons(paths)}
    rows = _table(_section(WIKIDATA_LINKS, "Not linked yet"))
    documented = {slug for row in rows for slug in re.findall(r"`(bgr:[a-z0-9-]+)`", row[0])}
    assert documented == reasons
    unlinked = {compact(s.record) for s in link_health(built.store, paths) if not s.item}
    assert reasons <= unlinked, f"listed as not linked but no longer a record or now linked: {reasons - unlinked}"


def test_every_record_the_docs_name_exists(built: Built) -> None:
    """A `bgr:slug` in README.md or docs/ is a record of the data, unless the sentence says it was removed."""
    records = {row["r"].value for row in built.store.query("SELECT DISTINCT ?r WHERE { ?r ?p ?o }")}
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r"\bbgr:([a-z0-9]+(?:-[a-z0-9]+)*)(?![-<\w])", text):
            sentence = text[text.rfind(".", 0, match.start()) + 1 : text.find(".", match.end())]
            if PREFIXES["bgr"] + match.group(1) not in records and "removed" not in sentence:
                raise AssertionError(f"{doc.name} names bgr:{match.group(1)}, which no record file describes")
