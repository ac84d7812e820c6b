"""/search, /list and the search box over HTTP, on the real app served by a real uvicorn.

Expectations come from the index's own functions or from the store (never counted by hand).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from bordergraph.build import Built
from bordergraph.search import FACETS, KINDS, NONE, build_index, kind_counts

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


class Page(HTMLParser):
    """What the tests look at in a page: search forms and their inputs, links, and text by id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.scripts: list[str] = []
        self._form: dict[str, Any] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"role": a.get("role"), "action": a.get("action"), "inputs": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form["inputs"].append(a.get("name"))
        elif tag == "a" and "href" in a:
            self.links.append((a["href"], a.get("class", "")))
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None

    @property
    def search_forms(self) -> list[dict[str, Any]]:
        return [f for f in self.forms if f["role"] == "search" and "q" in f["inputs"]]


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60, follow_redirects=True) as c:
        yield c


def test_search_finds_goodale_the_person_first(client: httpx.Client, built: Built) -> None:
    page = client.get("/search", params={"q": "Goodale"}, headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    names = [href for href, cls in Page(page.text).links if cls == "name"]
    assert names[0] == "/id/ralph-goodale"
    assert "Ralph <mark>Goodale</mark>" in page.text
    # grouped by kind: the people's heading comes before the meetings'
    assert page.text.index('id="group-person"') < page.text.index('id="group-event"')
    # the first hit's page exists
    assert client.get(names[0], headers=HTML).status_code == 200


@pytest.mark.parametrize("how", ["accept", "format"])
def test_search_answers_json(client: httpx.Client, how: str) -> None:
    if how == "accept":
        answer = client.get("/search", params={"q": "Goodale"}, headers=JSON)
    else:
        answer = client.get("/search", params={"q": "Goodale", "format": "json"}, headers=HTML)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert data["results"][0]["path"] == "/id/ralph-goodale" and data["results"][0]["kind"] == "person"
    assert data["total"] == sum(data["counts"].values()) >= len(data["results"])
    assert data["groups"][0]["kind"] == "person"
    assert all("<mark>" in r["snippet_html"] for r in data["results"])


def test_quote_hits_link_to_the_words_in_the_source(client: httpx.Client) -> None:
    data = client.get("/search", params={"q": "asylum", "format": "json"}).json()
    quoted = [r for r in data["results"] if r["quote"]]
    assert quoted
    for hit in quoted:
        path, anchor = hit["quote_href"].split("#")
        source = client.get(path, headers=HTML)
        assert source.status_code == 200 and f'id="{anchor}"' in source.text


@pytest.mark.parametrize("q", ['"unclosed', "AND OR", "NEAR(a b)", "*", "", "goodale)", "\\", "%00", "x" * 3000])
def test_search_never_fails_on_odd_input(client: httpx.Client, q: str) -> None:
    for headers in (HTML, JSON):
        answer = client.get("/search", params={"q": q}, headers=headers)
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"q": "Goodale", "kind": "persons"}, 400, "unknown kind 'persons'"),
        ({"q": "Goodale", "page": "two"}, 400, "page must be a whole number"),
        ({"q": "Goodale", "format": "xml"}, 400, "format must be one of html, json"),
    ],
)
def test_search_says_what_to_fix(client: httpx.Client, params: dict[str, str], status: int, message: str) -> None:
    answer = client.get("/search", params=params, headers=JSON)
    assert answer.status_code == status and message in answer.json()["message"]
    if "format" not in params:  # a page asked for as a page says it on a page
        page = client.get("/search", params=params, headers=HTML)
        assert page.status_code == status and page.headers["content-type"].startswith("text/html")
        assert message.split("'")[0] in page.text


def test_search_refuses_what_it_cannot_write(client: httpx.Client) -> None:
    answer = client.get("/search", params={"q": "x"}, headers={"Accept": "text/csv"})
    assert answer.status_code == 406 and "application/json" in answer.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/", "/id/ralph-goodale", "/ontology.html", "/search", "/search?q=border", "/list", "/list/people",
     "/sparql", "/source/release-2017-goodale-kelly", "/.well-known/void.html", "/no/such/page"],
)  # fmt: skip
def test_every_page_has_the_search_box(client: httpx.Client, path: str) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code in (200, 404)
    parsed = Page(page.text)
    assert parsed.search_forms and all(f["action"] == "/search" for f in parsed.search_forms)
    assert "/static/search.js" in parsed.scripts
    assert 'role="search"' in page.text


def test_the_script_and_its_styles_are_served(client: httpx.Client) -> None:
    for path in ("/static/search.js", "/static/search.css"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.content
    assert "/reconcile/suggest/entity" in client.get("/static/search.js").text


def test_suggest_and_reconcile_put_the_person_first(client: httpx.Client) -> None:
    for typed in ("Goo", "Goodale", "goodale"):
        suggested = client.get("/reconcile/suggest/entity", params={"prefix": typed}).json()["result"]
        assert suggested[0]["id"] == "ralph-goodale", (typed, suggested[:3])
    answer = client.get("/reconcile", params={"queries": '{"q0": {"query": "Goodale"}}'}).json()
    candidates = answer["q0"]["result"]
    assert candidates[0]["id"] == "ralph-goodale"
    assert any(c["id"].startswith("meeting-") for c in candidates[1:])


# -- lists ---------------------------------------------------------------------------------------


def test_every_kind_has_a_list_page_with_csv_and_json(client: httpx.Client, server: str) -> None:
    data = client.get("/list", headers=JSON).json()
    kinds = {v["value"]: v["count"] for v in data["facets"]["kind"]}
    assert kinds and sum(kinds.values()) == data["total"] == len(data["rows"])
    for kind in KINDS:
        if kind.key not in kinds:
            continue
        page = client.get(f"/list/{kind.slug}", headers=HTML)
        assert page.status_code == 200
        assert re.search(rf"<h1>{re.escape(kind.plural.capitalize())} <span class=\"count\">{kinds[kind.key]}</span>",
                         page.text)  # fmt: skip
        listed = client.get(f"/list/{kind.slug}.json").json()
        assert listed["total"] == kinds[kind.key] == len(listed["rows"])
        table = client.get(f"/list/{kind.slug}.csv")
        assert table.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert [r["iri"] for r in rows] == [r["iri"] for r in listed["rows"]]
        assert client.get(f"/list/{kind.slug}", params={"format": "csv"}).text == table.text
        assert client.get(f"/list/{kind.slug}", headers={"Accept": "text/csv"}).text == table.text
        # no link of the list leaves the site (the footer's licence link is not the list's)
        main = page.text[page.text.index("<main>") : page.text.index("</main>")]
        assert all(href.startswith(("/", "#")) for href, _ in Page(main).links), kind


def test_a_facet_narrows_the_list_and_its_downloads(client: httpx.Client) -> None:
    people = client.get("/list/people.json").json()
    for facet in ("country", "source"):
        values = [v for v in people["facets"][facet] if v["value"] != NONE]
        assert values
        for value in values:
            params = {facet: value["value"]}
            narrowed = client.get("/list/people.json", params=params).json()
            assert narrowed["total"] == value["count"]
            assert narrowed["filters"] == {facet: [value["value"]]}
            rows = list(csv.DictReader(io.StringIO(client.get("/list/people.csv", params=params).text)))
            assert len(rows) == value["count"]
            page = client.get("/list/people", params=params, headers=HTML)
            assert 'class="selected" aria-current="true"' in page.text and value["label"] in page.text


def test_list_filters_accept_full_iris_and_say_what_is_wrong(client: httpx.Client) -> None:
    short = client.get("/list/people.json", params={"country": "bgr:canada"}).json()
    full = client.get("/list/people.json", params={"country": "https://w3id.org/bordergraph/id/canada"}).json()
    assert short["total"] == full["total"] > 0
    answer = client.get("/list/people.json", params={"sort": "size"})
    assert answer.status_code == 400 and "sort" in answer.json()["message"]
    missing = client.get("/list/persons", headers=JSON)
    assert missing.status_code == 404 and "people" in missing.json()["message"]
    assert client.get("/list/people.xml").status_code == 400


def test_home_page_counts_link_to_the_lists(client: httpx.Client, built: Built, tmp_path: Path) -> None:
    page = client.get("/", headers=HTML).text
    section = page[page.index('id="counts"') :]
    section = section[: section.index("</table>")]
    links = [href for href, _ in Page(section).links]
    assert links and all(href.startswith("/list/") for href in links)
    counts = kind_counts(build_index(built.store, tmp_path / "s.sqlite").path)
    for kind, n in counts:
        assert f'href="/list/{kind.slug}"' in section and f">{n}<" in section


def test_head_answers_like_get(client: httpx.Client) -> None:
    for path in ("/search?q=Goodale", "/list/people", "/list/people.csv"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]


def test_facets_of_the_list_are_the_indexs(client: httpx.Client) -> None:
    data = client.get("/list/events.json").json()
    assert set(data["facets"]) == set(FACETS) - {"kind"}


def test_the_readme_search_examples_answer(client: httpx.Client) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    urls = re.findall(r"curl -s 'http://127\.0\.0\.1:8000(/(?:search|list)[^']*)'", readme)
    assert len(urls) >= 2, "the README's search examples moved: update this test"
    for url in urls:
        answer = client.get(url, headers=JSON if "search" in url else {})
        assert answer.status_code == 200, (url, answer.text)
        assert answer.content.strip()
