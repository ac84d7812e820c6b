"""Entity pages and the query editor in a real headless chromium (fixture ``chromium``, tests/web/conftest.py).

Per-value sources and the "sources disagree" panel on an entity page; in the editor, result links
that stay on this server, plain literals, a readable error for a misspelt keyword, the elapsed
time and Cancel, the URL following the query; no sideways scrolling on a 390 px wide screen.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import unquote

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from bordergraph.build import Built
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT = 60  # an upper bound for a slow CI machine, not a speed check
TIMEOUT = 8.0  # the server's query timeout here: the query Cancel stops runs at least this long
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def site(serve: Serve, built: Built) -> Iterator[str]:
    with serve(built, Settings(rate=0, timeout=TIMEOUT)) as (base, _):
        yield base


@pytest.fixture(scope="module")
def driver(chromium: Chromium) -> Iterator[webdriver.Chrome]:
    with chromium(1280, 1600) as d:
        yield d


def wait(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], object]) -> None:
    """Until ``condition`` holds; an element the page replaced meanwhile is looked up again.

    Regression: the editor's second query replaced the first one's error box while the condition
    read it, and StaleElementReferenceException (not ignored by default) failed the test.
    """
    WebDriverWait(driver, WAIT, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
        condition
    )


def open_page(driver: webdriver.Chrome, url: str) -> None:
    driver.get(url)
    wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def shot(driver: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def no_console_errors(driver: webdriver.Chrome, site: str) -> None:
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    urls = [
        json.loads(e["message"])["message"]["params"]["request"]["url"]
        for e in driver.get_log("performance")
        if json.loads(e["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert [u for u in urls if u.split(":", 1)[0] in ("http", "https") and not u.startswith(site + "/")] == []


# -- entity pages ------------------------------------------------------------------------


def test_each_value_is_followed_by_the_sources_that_state_it(driver: webdriver.Chrome, site: str) -> None:
    open_page(driver, site + "/id/signing-beyond-the-border")
    values = driver.find_elements(By.CSS_SELECTOR, "dl.facts dd")
    assert values
    for value in values:
        cites = value.find_elements(By.CSS_SELECTOR, "sup.cite a")
        assert cites, f"no source after {value.text!r}"
    footnotes = driver.find_elements(By.CSS_SELECTOR, ".footnotes li")
    assert len(footnotes) == 2  # the signing is told by the 2011 release and the Border Issues page
    # A value's footnote links to the quote in its source, and carries the source's title and date.
    name_row = driver.find_element(By.XPATH, "//dl[contains(@class,'facts')]/dt[.='name']/following-sibling::dd[1]")
    links = [a.get_attribute("href") or "" for a in name_row.find_elements(By.CSS_SELECTOR, "sup.cite a")]
    assert len(links) == 2 and all("/source/" in h and "#ann-" in h for h in links)
    titles = [a.get_attribute("title") or "" for a in name_row.find_elements(By.CSS_SELECTOR, "sup.cite a")]
    assert any("2011-" in t for t in titles) and any("undated" in t for t in titles)
    # No name row repeated as foaf:name, curator notes folded away, one-line summary.
    assert "foaf:name" not in driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    notes = driver.find_element(By.CSS_SELECTOR, "details.curator-notes")
    assert notes.get_attribute("open") is None
    assert "signing" in driver.find_element(By.CSS_SELECTOR, "p.summary").text.lower()
    # Place not stated, with where each source was issued.
    place = driver.find_element(
        By.XPATH, "//dl[contains(@class,'facts')]/dt[.='place status']/following-sibling::dd[1]"
    )
    assert "place not stated" in place.text and "issued at" in place.text
    no_console_errors(driver, site)


def test_sources_disagree_panel_shows_both_dates_with_their_sources(driver: webdriver.Chrome, site: str) -> None:
    open_page(driver, site + "/id/signing-beyond-the-border")
    panel = driver.find_element(By.CSS_SELECTOR, "section.disagree")
    assert panel.find_element(By.TAG_NAME, "h2").text == "Sources disagree"
    text = panel.text
    assert "2011-02-04" in text and "year only" in text
    assert len(panel.find_elements(By.CSS_SELECTOR, "sup.cite a")) >= 4  # two dates and two statuses, each sourced
    shot(driver, "entity-signing-beyond-the-border")
    # A figure printed differently by two sources.
    open_page(driver, site + "/id/figure-2017-preclearance-passengers")
    figures = driver.find_element(By.CSS_SELECTOR, "section.disagree").text
    assert "12 million" in figures and "13 million" in figures


def test_evidence_is_grouped_by_source_in_date_order_without_repeats(driver: webdriver.Chrome, site: str) -> None:
    open_page(driver, site + "/id/ralph-goodale")
    groups = driver.find_elements(By.CSS_SELECTOR, ".evidence .source-group")
    assert len(groups) >= 2
    dates = [g.find_element(By.CSS_SELECTOR, "h3 .note").text for g in groups]
    dated = [d for d in dates if d != "undated"]
    assert dated == sorted(dated) and dates[: len(dated)] == dated
    quotes = [q.get_attribute("cite") for q in driver.find_elements(By.CSS_SELECTOR, ".evidence blockquote")]
    assert len(quotes) == len(set(quotes))
    shot(driver, "entity-ralph-goodale")


# -- the query editor --------------------------------------------------------------------


def run(driver: webdriver.Chrome, query: str) -> WebElement:
    """Put ``query`` in the current tab and run it; return the tab's panel."""
    driver.execute_script("window.bordergraphYasgui.getTab().getYasqe().setValue(arguments[0])", query)
    panel_id = driver.execute_script("return window.bordergraphYasgui.getTab().getId()")
    panel = driver.find_element(By.ID, panel_id)
    panel.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    return panel


def open_editor(driver: webdriver.Chrome, site: str) -> None:
    open_page(driver, site + "/sparql")
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-yasgui-ready"))


def test_result_links_stay_on_this_server_and_literals_are_plain(driver: webdriver.Chrome, site: str) -> None:
    open_editor(driver, site)
    query = (
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#>\n"
        "SELECT ?event ?date WHERE { ?event bg:date ?date } ORDER BY ?date"
    )
    panel = run(driver, query)
    wait(driver, lambda d: len(panel.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr td a.iri")) > 0)
    hrefs = [a.get_attribute("href") or "" for a in panel.find_elements(By.CSS_SELECTOR, ".yasr table a.iri")]
    assert hrefs and all(h.startswith(site + "/") for h in hrefs), hrefs
    table = panel.find_element(By.CSS_SELECTOR, ".yasr table tbody").text
    assert "^^" not in table and "xsd:date" not in table and '"' not in table
    assert "year only" in table  # the partial date of the Border Issues page says so
    assert "query=" in driver.execute_script("return location.hash")
    assert unquote(driver.execute_script("return location.hash")).endswith(query)
    assert "Answered in" in driver.find_element(By.CSS_SELECTOR, ".run-status").text
    # The row number stays in its own column, clear of the first cell.
    gap = driver.execute_script(
        "var rows = arguments[0].querySelectorAll('.yasr table tbody tr'); var row = rows[rows.length - 1];"
        "var range = document.createRange(); range.selectNodeContents(row.querySelector('.rowNumber'));"
        "var first = row.children[1].querySelector('a, span'); range.detach;"
        "return first.getBoundingClientRect().left - range.getBoundingClientRect().right;",
        panel,
    )
    assert gap >= 4, f"the row number ends {gap} px from the first cell's text"
    shot(driver, "editor-results")
    no_console_errors(driver, site)


def test_a_misspelt_keyword_gets_a_readable_error(driver: webdriver.Chrome, site: str) -> None:
    open_editor(driver, site)
    panel = run(driver, "SELECT * WHERE { ?s ?p ?o } LIMT 10")
    wait(driver, lambda d: panel.find_elements(By.CSS_SELECTOR, ".bg-error-title"))
    message = panel.find_element(By.CSS_SELECTOR, ".bg-error-title").text
    assert "line 1, column 29" in message and "Did you mean LIMIT?" in message
    assert "{" not in message and "expected one of" not in message
    assert "LIMT" in panel.find_element(By.CSS_SELECTOR, ".bg-error-excerpt").text
    shot(driver, "editor-error")
    # An undeclared prefix is offered the project's PREFIX line.
    panel = run(driver, "SELECT * WHERE { ?s bg:date ?o }")
    wait(driver, lambda d: "prefix" in panel.find_element(By.CSS_SELECTOR, ".bg-error-title").text)
    assert (
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#>" in panel.find_element(By.CSS_SELECTOR, ".bg-error").text
    )


def test_a_running_query_shows_its_time_and_can_be_cancelled(driver: webdriver.Chrome, site: str) -> None:
    open_editor(driver, site)
    run(driver, SLOW)
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-query-running") == "true")
    cancel = driver.find_element(By.CSS_SELECTOR, ".cancel-query")
    wait(driver, lambda d: "Running" in d.find_element(By.CSS_SELECTOR, ".run-status").text)
    assert cancel.is_displayed()
    cancel.click()
    wait(driver, lambda d: "Cancelled after" in d.find_element(By.CSS_SELECTOR, ".run-status").text)
    seconds = float(driver.find_element(By.CSS_SELECTOR, ".run-status").text.split("after ")[1].split(" s")[0])
    assert seconds < TIMEOUT  # stopped by Cancel, not by the server's timeout
    assert not cancel.is_displayed()


def test_the_gallery_filters_and_marks_federated_examples(driver: webdriver.Chrome, site: str, built: Built) -> None:
    open_editor(driver, site)
    cards = driver.find_elements(By.CSS_SELECTOR, ".example-card")
    assert len(cards) == len(list(built.paths.examples_dir.glob("*.rq")))
    federated = [p.stem for p in built.paths.examples_dir.glob("*.rq") if "#+ federated: true" in p.read_text()]
    marked = [c.get_attribute("data-slug") or "" for c in cards if c.find_elements(By.CSS_SELECTOR, ".needs-service")]
    assert sorted(marked) == sorted(federated) and all(
        "--service-allow" in c.text for c in cards if c.get_attribute("data-slug") in federated
    )
    box = driver.find_element(By.ID, "gallery-filter")
    box.send_keys("wikidata")
    wait(driver, lambda d: len([c for c in cards if c.is_displayed()]) == len(federated))
    shot(driver, "editor-gallery")


# -- small screens -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/id/ralph-goodale", "/sparql"])
def test_no_sideways_scrolling_at_390_px(chromium: Chromium, site: str, path: str) -> None:
    with chromium(390, 844) as phone:
        # Headless chromium keeps windows at least 500 px wide: emulate the phone's viewport as DevTools does.
        phone.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
        )
        open_page(phone, site + path)
        if path == "/sparql":
            wait(phone, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-yasgui-ready"))
        width = phone.execute_script("return document.documentElement.scrollWidth")
        inner = phone.execute_script("return window.innerWidth")
        assert inner == 390
        assert width <= 390, f"{path} is {width} px wide"
        phone.save_screenshot(str(ARTIFACTS / f"phone{path.replace('/', '-') or '-home'}.png"))


# -- the home page's drawings ------------------------------------------------------------


def test_the_network_is_laid_out_the_same_on_every_load(driver: webdriver.Chrome, site: str) -> None:
    drawings = []
    for _ in range(2):
        open_page(driver, site + "/")
        wait(driver, lambda d: d.find_element(By.ID, "actors").get_attribute("data-ready") == "1")
        drawings.append(json.loads(driver.find_element(By.ID, "actors-data").get_attribute("textContent") or "{}"))
    assert drawings[0] == drawings[1]
    nodes = drawings[0]["nodes"]
    assert nodes and all("position" in n for n in nodes), "positions are computed on the server"
    # Actors and agreements are the nodes; meetings and events are the links, with a legend.
    kinds = {n["data"]["kind"] for n in nodes}
    assert "person" in kinds and "event" not in kinds
    legend = driver.find_element(By.CSS_SELECTOR, "#network ~ figure figcaption, .network-figure figcaption").text
    assert "Meeting" in legend and "Signing" in legend
    ids = {n["data"]["id"] for n in nodes}
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in drawings[0]["edges"])
    shot(driver, "home-network")


def test_the_timeline_has_a_time_axis_and_lanes_for_partial_and_missing_dates(
    driver: webdriver.Chrome, site: str, built: Built
) -> None:
    open_page(driver, site + "/")
    axis = driver.find_element(By.CSS_SELECTOR, "svg.timeline-axis")
    years = [t.text for t in axis.find_elements(By.CSS_SELECTOR, "text.year")]
    assert years == [str(y) for y in range(int(years[0]), int(years[-1]) + 1)], "one tick per year"
    rows = built.store.query(
        "PREFIX bg: <https://w3id.org/bordergraph/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT DISTINCT ?e ?g ?d WHERE { GRAPH ?g { ?e a ?t OPTIONAL { ?e bg:date ?d } } "
        "?t rdfs:subClassOf* bg:Event }"
    )
    dates = [r["d"].value if r["d"] is not None else "" for r in rows]
    with_year = [d for d in dates if d[:4].isdigit()]
    assert len(axis.find_elements(By.CSS_SELECTOR, "a.mark")) == len(with_year)
    assert len(axis.find_elements(By.CSS_SELECTOR, "a.mark-year")) == len([d for d in with_year if len(d) == 4])
    no_year = driver.find_element(By.CSS_SELECTOR, ".lane-no-year").text
    for d in dates:
        if d.startswith("--"):
            assert d in no_year
    no_date = driver.find_elements(By.CSS_SELECTOR, ".lane-no-date li")
    assert len(no_date) == max(1, dates.count(""))
    driver.execute_script("arguments[0].scrollIntoView()", axis)
    shot(driver, "home-timeline")
