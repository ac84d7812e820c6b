"""Docs that cannot drift: the README's commands, settings and tour are checked against the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
from SPARQLWrapper import SPARQLWrapper

from bordergraph.cli import main
from bordergraph.web.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_two_commands_come_first() -> None:
    first_block = README.split("```", 2)[1]
    assert "make serve" in first_block and "make test" in first_block


def test_every_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"bordergraph {name}" in README, f"README.md does not show `bordergraph {name}`"


def test_every_serve_setting_is_in_the_readme() -> None:
    for name in Settings.__dataclass_fields__:
        if name == "max_depth":  # a safety constant, not a flag
            continue
        assert f"BORDERGRAPH_{name.upper()}" in README, f"README.md does not document BORDERGRAPH_{name.upper()}"
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
