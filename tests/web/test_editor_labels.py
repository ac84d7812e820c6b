"""The query editor names result IRIs by their labels (one /labels request per batch), and /labels itself.

The names expected come from the data (a SPARQL query on the same server), never from this file.
A real uvicorn serves the build; a real headless Chromium drives the editor.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from test_pages_in_browser import open_editor, run, shot, wait

from bordergraph.prefixes import BASE, compact
from bordergraph.web.search_pages import MAX_LABEL_IRIS

RESULTS = {"Accept": "application/sparql-results+json"}
Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]
#: People, and the mapping axioms about them: IRIs of this site that have no name.
PEOPLE = (
    "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
    "SELECT ?person ?mapping WHERE { ?person a foaf:Person . "
    "OPTIONAL { ?mapping owl:annotatedSource ?person } } ORDER BY ?person ?mapping"
)
UNNAMED = (
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?m WHERE { ?m owl:annotatedSource ?x FILTER NOT EXISTS { ?m rdfs:label ?l } } ORDER BY ?m LIMIT 1"
)


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def select(client: httpx.Client, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT on the server's endpoint, as {variable: value}."""
    response = client.post("/sparql", data={"query": query}, headers=RESULTS)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


@pytest.fixture(scope="module")
def people(client: httpx.Client) -> dict[str, str]:
    """Every person of the data with their rdfs:label (English or no language), read with SPARQL."""
    rows = select(
        client,
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?p (MIN(?l) AS ?label) WHERE { ?p a foaf:Person ; rdfs:label ?l FILTER(LANG(?l) IN ('en', '')) } "
        "GROUP BY ?p",
    )
    assert rows, "the data has no labelled person"
    return {r["p"]: r["label"] for r in rows}


# -- /labels over HTTP ---------------------------------------------------------------------


def test_labels_answers_the_names_of_the_given_records(client: httpx.Client, people: dict[str, str]) -> None:
    iris = sorted(people)[:5]
    response = client.get("/labels", params=[("iri", i) for i in iris])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"labels": {i: people[i] for i in iris}}


def test_labels_leave_out_iris_without_a_name(client: httpx.Client, people: dict[str, str]) -> None:
    unnamed = select(client, UNNAMED)[0]["m"]
    person = sorted(people)[0]
    nowhere = BASE + "id/no-such-record"
    response = client.get("/labels", params=[("iri", unnamed), ("iri", person), ("iri", nowhere)])
    assert response.status_code == 200
    assert response.json() == {"labels": {person: people[person]}}


def test_labels_name_annotations_and_ontology_terms_too(client: httpx.Client) -> None:
    rows = select(
        client,
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nPREFIX oa: <http://www.w3.org/ns/oa#>\n"
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#>\n"
        "SELECT ?x (MIN(?l) AS ?label) WHERE { { ?x a oa:Annotation } UNION { ?x rdfs:isDefinedBy ?o } "
        "UNION { VALUES ?x { bg:Meeting } } ?x rdfs:label ?l FILTER(LANG(?l) IN ('en', '')) } GROUP BY ?x",
    )
    expected = {r["x"]: r["label"] for r in rows}
    annotation = next(i for i in sorted(expected) if i.startswith(BASE + "id/"))
    term = BASE + "ontology#Meeting"
    assert term in expected
    response = client.get("/labels", params=[("iri", annotation), ("iri", term)])
    assert response.json() == {"labels": {annotation: expected[annotation], term: expected[term]}}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ([], "at least one IRI"),
        ([("iri", "not an iri")], "is not an absolute IRI"),
        ([("iri", BASE + "id/x y")], "is not an absolute IRI"),
        ([("iri", "")], "is not an absolute IRI"),
        ([("q", "goodale")], "only iri= parameters"),
        ([("iri", f"{BASE}id/r{i}") for i in range(MAX_LABEL_IRIS + 1)], f"at most {MAX_LABEL_IRIS} IRIs"),
    ],
)
def test_a_bad_iri_list_gets_a_400_that_says_what_to_fix(
    client: httpx.Client, params: list[tuple[str, str]], words: str
) -> None:
    response = client.get("/labels", params=tuple(params))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert words in response.json()["message"]


def test_the_cap_itself_is_allowed(client: httpx.Client, people: dict[str, str]) -> None:
    iris = [sorted(people)[0]] + [f"{BASE}id/r{i}" for i in range(MAX_LABEL_IRIS - 1)]
    response = client.get("/labels", params=[("iri", i) for i in iris])
    assert response.status_code == 200
    assert list(response.json()["labels"]) == [iris[0]]


# -- the editor (helpers from test_pages_in_browser.py) ---------------------------------------


def no_console_errors(driver: webdriver.Chrome) -> None:
    """No error in the console."""
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []


@pytest.fixture(scope="module")
def driver(chromium: Chromium) -> Iterator[webdriver.Chrome]:
    with chromium(1280, 1600) as d:
        yield d


def label_requests(driver: webdriver.Chrome, site: str) -> list[list[str]]:
    """The IRIs asked of /labels by each request the page sent since the log was last read.

    Every request the page sent went to this server (nothing off-site, no CDN).
    """
    asked, urls = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
            url = urlsplit(urls[-1])
            if url.path == "/labels":
                asked.append(parse_qs(url.query)["iri"])
    assert [u for u in urls if u.split(":", 1)[0] in ("http", "https") and not u.startswith(site + "/")] == []
    return asked


def test_result_links_show_names_with_the_curie_on_hover(
    driver: webdriver.Chrome, server: str, client: httpx.Client, people: dict[str, str]
) -> None:
    open_editor(driver, server)
    label_requests(driver, server)  # forget the page load's requests
    panel = run(driver, PEOPLE)
    wait(driver, lambda d: panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local[data-label-state=done]"))
    wait(
        driver,
        lambda d: not panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local:not([data-label-state=done])"),
    )
    links = panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local")
    by_iri: dict[str, list[tuple[str, str, str]]] = {}
    for a in links:
        by_iri.setdefault(a.get_attribute("data-iri") or "", []).append(
            (a.text, a.get_attribute("title") or "", a.get_attribute("href") or "")
        )
    shown_people = [i for i in by_iri if i in people]
    assert shown_people, "the result shows no labelled person"
    for iri in shown_people:
        for text, title, href in by_iri[iri]:
            assert text == people[iri]
            assert title == compact(iri)  # the CURIE on hover
            assert href == server + "/" + iri[len(BASE) :]  # still this site's page
    # A mapping axiom has no name: its link keeps the CURIE as its text and the IRI as its title.
    unnamed = [i for i in by_iri if i not in people]
    assert unnamed, "the query returns mapping axioms too"
    for iri in unnamed:
        assert by_iri[iri][0][:2] == (compact(iri), iri)
    # One request per batch of IRIs on the page, never one per cell.
    asked = label_requests(driver, server)
    assert sorted(i for batch in asked for i in batch) == sorted(by_iri)
    assert len(asked) == math.ceil(len(by_iri) / 50) < len(links)
    # The download is the data: IRIs, not the names shown.
    csv = driver.execute_script("return window.bordergraphYasgui.getTab().getYasr().plugins.table.download().getData()")
    for iri in shown_people:
        assert iri in csv
    assert not any(people[i] in csv for i in shown_people)
    shot(driver, "editor-labels")
    no_console_errors(driver)


def test_names_already_known_are_not_asked_again(driver: webdriver.Chrome, server: str) -> None:
    open_editor(driver, server)
    panel = run(driver, PEOPLE)
    wait(driver, lambda d: panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local[data-label-state=done]"))
    label_requests(driver, server)
    panel = run(driver, PEOPLE + " LIMIT 3")
    wait(driver, lambda d: len(panel.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr")) == 3)
    wait(
        driver,
        lambda d: all(
            a.get_attribute("data-label-state") == "done"
            for a in panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local")
        ),
    )
    assert label_requests(driver, server) == []


def test_the_next_page_of_results_is_named_too(driver: webdriver.Chrome, server: str, client: httpx.Client) -> None:
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f'SELECT DISTINCT ?x WHERE {{ ?x rdfs:label ?l FILTER(STRSTARTS(STR(?x), "{BASE}id/")) }} ORDER BY ?x'
    )
    rows = select(client, query)
    open_editor(driver, server)
    panel = run(driver, query)
    first = ".yasr table tbody tr:first-child a.iri.local"
    wait(driver, lambda d: panel.find_element(By.CSS_SELECTOR, first).get_attribute("data-label-state") == "done")
    shown = len(panel.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr"))
    assert shown < len(rows), "the result fits one page: nothing to turn"
    top = panel.find_element(By.CSS_SELECTOR, first).get_attribute("data-iri")
    label_requests(driver, server)
    panel.find_element(By.CSS_SELECTOR, ".dt-paging-button.next").click()
    wait(driver, lambda d: panel.find_element(By.CSS_SELECTOR, first).get_attribute("data-iri") != top)
    wait(
        driver,
        lambda d: all(
            a.get_attribute("data-label-state") == "done"
            for a in panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local")
        ),
    )
    links = panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri.local")
    labelled = [a for a in links if "labelled" in (a.get_attribute("class") or "")]
    assert labelled and all(a.get_attribute("title") == compact(a.get_attribute("data-iri") or "") for a in labelled)
    assert all(a.text != a.get_attribute("title") for a in labelled)
    asked = label_requests(driver, server)
    assert sorted(i for batch in asked for i in batch) == sorted({a.get_attribute("data-iri") or "" for a in links})
    assert 1 <= len(asked) <= math.ceil(len(links) / 50)
