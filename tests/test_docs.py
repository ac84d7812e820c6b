"""Docs that cannot drift: the README's commands, settings and tour are checked against the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import httpx
from SPARQLWrapper import SPARQLWrapper

from bordergraph.cli import main, serve, settings_table
from bordergraph.web.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


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
    options = {p.name for p in serve.params if isinstance(p, click.Option)} - {"root"}
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
