"""The site in a real headless browser: Debian's chromium driven through chromedriver (selenium).

Every page is checked for errors in the browser's console and for requests to any host but the
loopback test server; a screenshot of each page goes to test-artifacts/. CI installs chromium
(.ci/run), so a missing browser is a failure here, never a skip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from bordergraph.build import Built

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT = 60  # generous upper bound for a page to settle on a slow CI machine; not a speed check


#: The ``chromium`` fixture (tests/conftest.py): ``chromium(width, height)`` → a selenium driver.
Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]


class Browser:
    """One headless chromium with its console and network logs."""

    def __init__(self, driver: webdriver.Chrome, server: str) -> None:
        self.driver = driver
        self.server = server

    def open(self, path: str) -> None:
        self.driver.get(self.server + path)
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def wait(self, condition: object) -> None:
        # An element the page replaced meanwhile is looked up again (as in test_pages_in_browser.wait).
        stale = (NoSuchElementException, StaleElementReferenceException)
        WebDriverWait(self.driver, WAIT, ignored_exceptions=stale).until(condition)  # type: ignore[arg-type]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{name}.png"
        assert self.driver.save_screenshot(str(target))
        return target

    def check_logs(self) -> None:
        """No console errors, and no request to any host but the test server."""
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        # chrome:// and data: URLs are the browser's own; anything that can travel is checked.
        travelling = [u for u in urls if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]
        assert travelling, "the network log recorded no request at all"
        assert [u for u in travelling if not u.startswith(self.server + "/")] == []


@pytest.fixture(scope="module")
def browser(server: str, chromium: Chromium) -> Iterator[Browser]:
    with chromium(1400, 2000) as driver:
        yield Browser(driver, server)


def _drawn(browser: Browser, element_id: str) -> int:
    """Wait for a cytoscape drawing to be laid out; return its node count."""
    browser.wait(lambda d: d.execute_script(f"return document.getElementById('{element_id}').dataset.ready === '1'"))
    canvases = browser.driver.find_elements(By.CSS_SELECTOR, f"#{element_id} canvas")
    assert canvases, "cytoscape drew no canvas"
    return int(browser.driver.find_element(By.ID, element_id).get_attribute("data-nodes") or 0)


def test_landing_page_renders(browser: Browser, built: Built) -> None:
    browser.open("/")
    heading = browser.driver.find_element(By.TAG_NAME, "h1").text
    assert "border-security cooperation" in heading
    assert _drawn(browser, "actors") >= 10
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "ol.timeline li")) >= 5
    examples = browser.driver.find_elements(By.CSS_SELECTOR, "a.example")
    assert len(examples) == len(list(built.loaded.paths.examples_dir.glob("*.rq")))
    schema = browser.driver.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
    assert json.loads(schema.get_attribute("textContent") or "{}")["@type"] == "Dataset"
    browser.shot("landing")
    browser.check_logs()


def test_query_ui_runs_an_example_and_shows_rows(browser: Browser, built: Built) -> None:
    browser.open("/sparql")
    expected = len(list(built.loaded.paths.examples_dir.glob("*.rq")))
    browser.wait(lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-yasgui-ready") or 0) > expected)
    tab = browser.driver.find_element(By.XPATH, "//div[contains(@class,'tabsList')]//a[span[text()='01-meetings']]")
    tab.click()
    panel = browser.driver.find_element(By.ID, tab.get_attribute("aria-controls") or "")
    assert "bg:Meeting" in browser.driver.execute_script("return window.bordergraphYasgui.getTab().getQuery()")
    panel.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    browser.wait(lambda d: len(panel.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr td")) > 0)
    rows = panel.find_elements(By.CSS_SELECTOR, ".yasr table tbody tr")
    assert len(rows) >= 4
    assert "Goodale" in panel.find_element(By.CSS_SELECTOR, ".yasr table tbody").text
    browser.shot("query-ui")
    browser.check_logs()


def test_query_this_opens_a_describe_tab(browser: Browser) -> None:
    browser.open("/id/kirstjen-nielsen")
    browser.driver.find_element(By.CSS_SELECTOR, "a.query-this").click()
    browser.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-yasgui-ready"))
    query = browser.driver.execute_script("return window.bordergraphYasgui.getTab().getQuery()")
    assert query == "DESCRIBE <https://w3id.org/bordergraph/id/kirstjen-nielsen>"
    browser.check_logs()


def test_entity_page_shows_quotes_and_its_network(browser: Browser) -> None:
    browser.open("/id/ralph-goodale")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Ralph Goodale"
    quotes = browser.driver.find_elements(By.CSS_SELECTOR, ".evidence blockquote.quote")
    assert len(quotes) >= 5
    assert any("Goodale" in q.text for q in quotes)
    link = quotes[0].find_element(By.CSS_SELECTOR, "cite a").get_attribute("href") or ""
    assert "/source/" in link and "#ann-" in link
    assert _drawn(browser, "neighbourhood") >= 3
    browser.shot("entity-ralph-goodale")
    browser.check_logs()


def test_source_page_highlights_every_quote(browser: Browser, built: Built) -> None:
    slug = "release-2018-goodale-nielsen"
    quotes = [
        q
        for q in built.loaded.dataset.query(
            "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT DISTINCT ?ann WHERE { ?ann oa:hasTarget/oa:hasSource "
            f"<https://w3id.org/bordergraph/id/{slug}> }}"
        )
    ]
    browser.open(f"/source/{slug}#ann-2018-goodale-nielsen-01")
    marks = browser.driver.find_elements(By.CSS_SELECTOR, ".archived mark")
    anchors = browser.driver.find_elements(By.CSS_SELECTOR, ".archived span.anchor")
    assert len(anchors) == len(quotes) and marks
    background = marks[0].value_of_css_property("background-color")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    # The anchor an entity page links to exists and the browser scrolled to it.
    target = browser.driver.find_element(By.ID, "ann-2018-goodale-nielsen-01")
    assert browser.driver.execute_script("return arguments[0].getBoundingClientRect().top < window.innerHeight", target)
    browser.shot("source-release-2018-goodale-nielsen")
    browser.check_logs()


def test_ontology_page_renders(browser: Browser) -> None:
    browser.open("/ontology#Meeting")
    term = browser.driver.find_element(By.ID, "Meeting")
    assert "meeting" in term.text.lower() and "used" in term.text
    browser.shot("ontology")
    browser.check_logs()


# -- search and lists (issue 15) -----------------------------------------------------------------


def _no_sideways_scroll(browser: Browser) -> None:
    wide = browser.driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1], f"the page is {wide[0]} px wide in a {wide[1]} px window"


def test_typing_goodale_suggests_the_person_first(browser: Browser) -> None:
    browser.open("/ontology")  # any page: the box is in the header of every page
    box = browser.driver.find_element(By.CSS_SELECTOR, 'header form[role="search"] input[name="q"]')
    assert box.get_attribute("role") == "combobox"
    box.send_keys("Goodale")
    listbox = browser.driver.find_element(By.ID, box.get_attribute("aria-controls") or "")
    browser.wait(lambda d: listbox.is_displayed() and listbox.find_elements(By.CSS_SELECTOR, "[role=option] a"))
    options = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")
    first = options[0]
    assert first.find_element(By.CSS_SELECTOR, ".name").text == "Ralph Goodale"
    assert first.find_element(By.CSS_SELECTOR, "mark").text == "Goodale"
    assert "person" in first.find_element(By.CSS_SELECTOR, ".what").text.lower()
    assert len(options) > 2  # the meetings named after him follow, then "All results"
    browser.shot("search-suggestions")
    box.send_keys(Keys.ARROW_DOWN)
    assert options[0].get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    box.send_keys(Keys.ENTER)
    browser.wait(lambda d: "/id/ralph-goodale" in d.current_url)
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Ralph Goodale"
    browser.check_logs()


def test_search_page_groups_and_highlights(browser: Browser) -> None:
    browser.open("/")
    box = browser.driver.find_element(By.CSS_SELECTOR, 'header form[role="search"] input[name="q"]')
    box.send_keys("Goodale", Keys.ENTER)
    browser.wait(lambda d: "/search?q=Goodale" in d.current_url and d.find_elements(By.CSS_SELECTOR, "ol.hits"))
    hits = browser.driver.find_elements(By.CSS_SELECTOR, "ol.hits li a.name")
    assert hits[0].text == "Ralph Goodale" and (hits[0].get_attribute("href") or "").endswith("/id/ralph-goodale")
    headings = [h.text for h in browser.driver.find_elements(By.CSS_SELECTOR, "section.hit-group h2")]
    assert headings[0].startswith("People") and any(h.startswith("Meetings and events") for h in headings)
    mark = browser.driver.find_element(By.CSS_SELECTOR, "ol.hits mark")
    assert mark.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    browser.shot("search-goodale")
    browser.check_logs()


def test_a_list_page_with_a_facet(browser: Browser) -> None:
    browser.open("/list/people")
    total = int(browser.driver.find_element(By.CSS_SELECTOR, "h1 .count").text)
    assert total == len(browser.driver.find_elements(By.CSS_SELECTOR, "ol.records > li"))
    facet = browser.driver.find_element(By.XPATH, "//details[summary='Country']//a[text()='Canada']")
    expected = int(facet.find_element(By.XPATH, "following-sibling::span[@class='count']").text)
    facet.click()
    browser.wait(lambda d: "country=bgr:canada" in d.current_url)
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "ol.records > li")
    assert len(rows) == expected < total
    assert all("Canada" in r.find_element(By.CSS_SELECTOR, ".meta").text for r in rows)
    chip = browser.driver.find_element(By.CSS_SELECTOR, ".active-filters a.chip")
    assert "Country: Canada" in chip.text
    browser.shot("list-people-canada")
    chip.click()
    browser.wait(lambda d: "country=" not in d.current_url)
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "ol.records > li")) == total
    browser.check_logs()


@pytest.mark.parametrize("path", ["/search?q=Goodale", "/search?q=preclearance", "/list/people", "/list/claims",
                                  "/list/events?year=2017", "/search"])  # fmt: skip
def test_search_and_list_pages_fit_a_390px_screen(browser: Browser, path: str) -> None:
    browser.driver.set_window_size(390, 844)
    try:
        browser.open(path)
        _no_sideways_scroll(browser)
        box = browser.driver.find_element(By.CSS_SELECTOR, 'header form[role="search"] input[name="q"]')
        box.send_keys("Goodale")
        browser.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "header ul.suggestions [role=option]"))
        _no_sideways_scroll(browser)
        if path == "/list/people":
            browser.shot("list-people-390px")
    finally:
        browser.driver.set_window_size(1400, 2000)
    browser.check_logs()


FITS = [("/", "table.record-kinds"), ("/", "header.top"), ("/", "header form[role=search]"),
        ("/id/ralph-goodale", "header form[role=search]"), ("/sparql", "header form[role=search]")]  # fmt: skip


@pytest.mark.parametrize(("path", "selector"), FITS)
def test_the_search_box_and_the_counts_fit_a_390px_screen(browser: Browser, path: str, selector: str) -> None:
    """The parts of other pages that search adds (the header's box, the home page's counts) fit in 390 px."""
    browser.driver.set_window_size(390, 844)
    try:
        browser.open(path)
        right, inner, outer, window = browser.driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            "return [e.getBoundingClientRect().right, e.scrollWidth, e.clientWidth,"
            " document.documentElement.clientWidth]",
            selector,
        )
        assert right <= window, f"{selector} ends at {right} px in a {window} px window"
        assert inner <= outer, f"{selector} holds {inner} px of content in {outer} px"
    finally:
        browser.driver.set_window_size(1400, 2000)


def test_home_page_counts_open_the_lists(browser: Browser) -> None:
    browser.open("/#counts")
    table = browser.driver.find_element(By.CSS_SELECTOR, "table.record-kinds")
    links = table.find_elements(By.CSS_SELECTOR, "a")
    assert links and all((a.get_attribute("href") or "").startswith(browser.server + "/list/") for a in links)
    browser.driver.execute_script("arguments[0].scrollIntoView()", table)
    browser.shot("landing-record-kinds")
    people = table.find_element(By.XPATH, ".//tr[td/a[text()='People']]/td[@class='num']/a")
    count = int(people.text)
    people.click()
    browser.wait(lambda d: d.current_url.endswith("/list/people"))
    assert int(browser.driver.find_element(By.CSS_SELECTOR, "h1 .count").text) == count
    browser.check_logs()
