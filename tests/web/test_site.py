"""The Linked Data site through a real uvicorn server.

Conneg, 303s, 406s, 404s, a crawl of every IRI of the namespace, the VoID/DCAT description
against the endpoint's own counts, and escaping.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef, Variable
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bordergraph.build import Built, build
from bordergraph.describe import DATASET, partition_iri, subset_iri
from bordergraph.prefixes import BASE
from bordergraph.web.drawings import label_box, node_box, overlapping
from bordergraph.web.settings import Settings
from bordergraph.web.sparql import SparqlRouter

#: The ``serve`` fixture (tests/conftest.py): ``serve(built, settings)`` → (base URL, SPARQL router).
Serve = Callable[[Built, Settings], AbstractContextManager[tuple[str, SparqlRouter]]]
#: The ``chromium`` fixture: ``chromium(width, height)`` → a headless Chromium driver.
Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]


VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
OA = Namespace("http://www.w3.org/ns/oa#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
GOODALE = BASE + "id/ralph-goodale"
FORMATS = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("rdf", "xml"),
}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def count(endpoint: str, query: str) -> list[dict[str, str]]:
    answer = httpx.post(endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    return [{k: v["value"] for k, v in b.items()} for b in answer.json()["results"]["bindings"]]


# -- content negotiation -----------------------------------------------------------------


@pytest.mark.parametrize("media", list(FORMATS))
def test_entity_iri_answers_303_to_the_negotiated_document(client: httpx.Client, media: str) -> None:
    ext, parser = FORMATS[media]
    answer = client.get("/id/ralph-goodale", headers={"Accept": media})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/id/ralph-goodale.{ext}"
    assert "accept" in answer.headers["vary"].lower()
    document = client.get(answer.headers["location"])
    assert document.status_code == 200
    assert document.headers["content-type"].startswith(media)
    graph = Graph().parse(data=document.content, format=parser)
    goodale = URIRef(GOODALE)
    assert (goodale, RDFS_LABEL, Literal("Ralph Goodale", lang="en")) in graph
    # incoming links, labels of targets, and the evidence (quotes) of the facts around it
    assert any(graph.triples((None, None, goodale)))
    holds = graph.value(goodale, URIRef("http://www.w3.org/ns/org#holds"))
    assert graph.value(holds, RDFS_LABEL) is not None
    assert any("Goodale" in str(q) for q in graph.objects(None, OA.exact))


def test_browsers_get_html_and_the_page_works_without_javascript(client: httpx.Client) -> None:
    answer = client.get("/id/ralph-goodale", headers={"Accept": BROWSER_ACCEPT}, follow_redirects=True)
    assert answer.status_code == 200
    assert str(answer.url).endswith("/id/ralph-goodale.html")
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "<h1>Ralph Goodale</h1>" in page
    assert "Why we say this" in page
    assert re.search(r'<blockquote class="quote" cite="/source/release-[a-z0-9-]+#ann-[a-z0-9-]+">', page)
    assert 'href="/sparql#query=DESCRIBE%20%3Chttps%3A%2F%2Fw3id.org%2Fbordergraph%2Fid%2Fralph-goodale%3E"' in page
    assert "http://www.wikidata.org/entity/Q" in page  # skos:exactMatch, from the mappings graph
    assert '<table class="links">' in page  # the drawing's text equivalent


def test_no_accept_header_means_html(client: httpx.Client) -> None:
    answer = client.get("/topic/preclearance", headers={"Accept": ""})
    assert answer.status_code == 303 and answer.headers["location"] == "/topic/preclearance.html"


def test_unacceptable_types_get_406_like_the_endpoint(client: httpx.Client) -> None:
    for path in ("/id/ralph-goodale", "/ontology", "/.well-known/void"):
        answer = client.get(path, headers={"Accept": "image/png"})
        assert answer.status_code == 406
        message = answer.json()["message"]
        assert "image/png" in message and "text/turtle" in message


def test_q_values_are_honoured(client: httpx.Client) -> None:
    answer = client.get("/id/ralph-goodale", headers={"Accept": "text/html;q=0.5, application/ld+json"})
    assert answer.headers["location"] == "/id/ralph-goodale.jsonld"
    answer = client.get("/id/ralph-goodale", headers={"Accept": "text/turtle;q=0, */*;q=0.1"})
    assert answer.headers["location"] == "/id/ralph-goodale.html"


# -- not found -----------------------------------------------------------------------------


def test_unknown_iri_gets_a_helpful_404_page(client: httpx.Client) -> None:
    answer = client.get("/id/ralph-godale", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "https://w3id.org/bordergraph/id/ralph-godale" in answer.text
    assert 'href="/id/ralph-goodale"' in answer.text  # the suggestion
    assert "Traceback" not in answer.text


def test_unknown_iri_404_for_machines(client: httpx.Client) -> None:
    for path in ("/id/no-such-record", "/id/no-such-record.ttl", "/graph/nothing", "/source/nothing", "/topic/x.rdf"):
        answer = client.get(path, headers={"Accept": "text/turtle"})
        assert answer.status_code == 404, path
        assert answer.json()["detail"]
    assert client.get("/nowhere", headers={"Accept": BROWSER_ACCEPT}).status_code == 404


# -- every IRI resolves ----------------------------------------------------------------------


def test_every_iri_of_the_namespace_resolves(client: httpx.Client, built: Built) -> None:
    void = Graph().parse(data=client.get("/.well-known/void.ttl").content, format="turtle")
    iris: set[str] = set()
    for quad in built.loaded.dataset.quads((None, None, None, None)):
        iris.update(str(t) for t in (*quad[:3], quad[3]) if isinstance(t, URIRef))
    iris.update(str(t) for triple in void for t in triple if isinstance(t, URIRef))
    documents = sorted({iri.split("#", 1)[0] for iri in iris if iri.startswith(BASE)})
    assert len(documents) > 400
    failures = []
    for iri in documents:
        path = "/" + iri[len(BASE) :]
        for accept in ("text/html", "text/turtle"):
            answer = client.get(path, headers={"Accept": accept})
            if answer.status_code != 303:
                failures.append((path, accept, answer.status_code))
                continue
            document = client.get(answer.headers["location"])
            if document.status_code != 200 or not document.content:
                failures.append((answer.headers["location"], accept, document.status_code))
    assert failures == []


def test_ontology_resolves_in_every_format(client: httpx.Client) -> None:
    for media, (ext, parser) in FORMATS.items():
        answer = client.get("/ontology", headers={"Accept": media}, follow_redirects=True)
        assert answer.status_code == 200 and str(answer.url).endswith(f"/ontology.{ext}")
        graph = Graph().parse(data=answer.content, format=parser)
        assert (URIRef(BASE + "ontology"), RDF.type, URIRef("http://www.w3.org/2002/07/owl#Ontology")) in graph
    page = client.get("/ontology.html").text
    for term in ("Meeting", "EvidencedFact", "participant", "sha256", "DateNotStated"):
        assert f'id="{term}"' in page
    assert re.search(r'id="Meeting">\s*<h3>.*used [1-9]\d*×', page)


def test_named_graph_iri_gives_the_graph(client: httpx.Client, built: Built) -> None:
    name = BASE + "graph/release-2018-goodale-nielsen"
    answer = client.get("/graph/release-2018-goodale-nielsen", headers={"Accept": "application/n-triples"})
    graph = Graph().parse(data=client.get(answer.headers["location"]).content, format="nt")
    assert len(graph) == len(built.loaded.dataset.graph(URIRef(name)))


# -- source pages ------------------------------------------------------------------------------


def test_source_page_highlights_and_anchors_every_quote(client: httpx.Client, built: Built) -> None:
    slug = "release-2017-goodale-kelly"
    anns = {
        str(b[Variable("ann")]).rsplit("/", 1)[-1]
        for b in built.loaded.dataset.query(
            "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT DISTINCT ?ann WHERE { ?ann oa:hasTarget/oa:hasSource ?s }",
            initBindings={"s": URIRef(BASE + f"id/{slug}")},
        ).bindings
    }
    page = client.get(f"/source/{slug}").text
    assert anns and all(f'<span class="anchor" id="{a}"></span>' in page for a in anns)
    assert all(f'id="q-{a}"' in page for a in anns)
    assert page.count("<mark>") >= len(anns)
    assert "2017-03-10" in page and "9775487b1137fbd37cd0b57cd5a0370615ee7c780fcba59372d84235085fc414" in page
    assert re.search(r"<strong>Coverage:</strong> \d+ of \d+ non-blank characters", page)
    text = client.get(f"/source/{slug}.txt")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    assert text.text == (built.loaded.paths.root / "data/sources/000_2db6e870aa618c6b.txt").read_text(encoding="utf-8")


def test_undated_source_says_undated(client: httpx.Client) -> None:
    page = client.get("/source/page-border-issues").text
    assert "<dt>Date</dt><dd>undated" in page
    assert "<dt>Publisher as stated</dt><dd>not stated" in page


# -- landing page -----------------------------------------------------------------------------


def test_landing_page(client: httpx.Client, built: Built) -> None:
    page = client.get("/", headers={"Accept": BROWSER_ACCEPT}).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block
    dataset = json.loads(block.group(1))
    assert dataset["@type"] == "Dataset" and dataset["license"].startswith("https://creativecommons.org/")
    assert 'href="/.well-known/void"' in page and 'href="http' in page
    examples = list(built.loaded.paths.examples_dir.glob("*.rq"))
    assert page.count('class="example"') == len(examples)
    dates = re.findall(r'<li><time datetime="([^"]+)">', page)
    assert len(dates) >= 5 and dates == sorted(dates)
    assert "Year not stated" in page and "Date not stated" in page
    for dump in ("/downloads/bordergraph.nq", "/downloads/bordergraph.trig"):
        assert dump in page


# -- the home page's network drawing ------------------------------------------------------

#: Each node's drawn label box and circle, in the drawing's units, as cytoscape.js measures them.
DRAWN_BOXES = """
var cy = document.getElementById("actors").bgCy;
function box(n, labels) {
  var b = n.boundingBox({includeNodes: !labels, includeEdges: false, includeLabels: labels});
  return [b.x1, b.y1, b.x2, b.y2];
}
return cy.nodes().map(function (n) {
  return {id: n.id(), label: n.data("label"), x: n.position("x"), y: n.position("y"),
          text: box(n, true), circle: box(n, false)};
});
"""


def network_data(client: httpx.Client) -> tuple[dict[str, Any], float, float]:
    """The home page's network as the server sends it: (nodes and edges, width, height of its box)."""
    page = client.get("/", headers={"Accept": BROWSER_ACCEPT}).text
    block = re.search(r'<script type="application/json" id="actors-data">(.*?)</script>', page, re.S)
    ratio = re.search(r'id="actors"[^>]*style="aspect-ratio: (\d+) / (\d+)', page)
    assert block and ratio
    return json.loads(block.group(1)), float(ratio.group(1)), float(ratio.group(2))


def test_the_networks_labels_do_not_overlap_where_the_server_places_them(client: httpx.Client) -> None:
    data, width, height = network_data(client)
    nodes = data["nodes"]
    assert nodes and all("position" in n for n in nodes)
    boxes = [node_box(n["data"]["label"], n["position"]["x"], n["position"]["y"]) for n in nodes]
    assert [(nodes[i]["data"]["label"], nodes[j]["data"]["label"]) for i, j in overlapping(boxes)] == []
    # Every box inside the drawing's stated size (the page's aspect ratio is the drawing's).
    assert all(b[0] >= -1 and b[2] <= width + 1 and b[1] >= -1 and b[3] <= height + 1 for b in boxes)
    # The same layout on every load.
    assert network_data(client)[0] == data


LAYOUT_IN_A_PROCESS = """
import json, sys
import networkx as nx
from bordergraph.web.drawings import layout
data = json.load(sys.stdin)
graph = nx.Graph()
graph.add_nodes_from(sorted(n["data"]["id"] for n in data["nodes"]))
graph.add_edges_from(sorted((e["data"]["source"], e["data"]["target"]) for e in data["edges"]))
positions, _, _ = layout(graph, {n["data"]["id"]: n["data"]["label"] for n in data["nodes"]})
json.dump({n: [round(x, 1), round(y, 1)] for n, (x, y) in positions.items()}, sys.stdout)
"""


def test_the_network_is_laid_out_the_same_in_every_process(client: httpx.Client) -> None:
    """Regression: the layout followed the order of a set of strings, so it changed with every restart."""
    data, _, _ = network_data(client)
    runs = []
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", LAYOUT_IN_A_PROCESS],
            input=json.dumps(data),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        runs.append(json.loads(done.stdout))
    served = {n["data"]["id"]: [n["position"]["x"], n["position"]["y"]] for n in data["nodes"]}
    assert runs[0] == runs[1] == served


def test_the_networks_labels_do_not_overlap_as_the_browser_draws_them(chromium: Chromium, server: str) -> None:
    with chromium(1280, 1600) as driver:
        driver.get(server + "/")
        WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, "actors").get_attribute("data-ready") == "1")
        drawn: list[dict[str, Any]] = driver.execute_script(DRAWN_BOXES)
    assert len(drawn) > 1
    texts = [tuple(n["text"]) for n in drawn]
    assert [(drawn[i]["label"], drawn[j]["label"]) for i, j in overlapping(texts)] == []
    # No label over another node's circle.
    hidden = [
        (n["label"], m["label"])
        for n in drawn
        for m in drawn
        if n is not m and overlapping([tuple(n["text"]), tuple(m["circle"])])
    ]
    assert hidden == []
    # The server's estimate of each label box holds the box the browser draws (so the server's
    # check above speaks for the screen), give or take a pixel of rounding.
    for n in drawn:
        ex0, ey0, ex1, ey1 = label_box(n["label"], n["x"], n["y"])
        x0, y0, x1, y1 = n["text"]
        assert ex0 - 1 <= x0 and x1 <= ex1 + 1 and ey0 - 1 <= y0 and y1 <= ey1 + 1, (n["label"], n["text"])


def test_dumps_hold_the_validated_dataset(client: httpx.Client, built: Built) -> None:
    nquads = client.get("/downloads/bordergraph.nq")
    assert nquads.headers["content-type"].startswith("application/n-quads")
    dumped = Dataset()
    dumped.parse(data=nquads.content, format="nquads")
    assert len(dumped) == len(built.loaded.dataset)
    trig = Dataset()
    trig.parse(data=client.get("/downloads/bordergraph.trig").content, format="trig")
    assert len(trig) == len(built.loaded.dataset)


def test_the_download_is_the_builds_canonical_dump_and_void_states_its_sha256(
    client: httpx.Client, built: Built
) -> None:
    assert built.dump is not None
    served = client.get("/downloads/bordergraph.nq").content
    assert served == built.dump.read_bytes()
    void = Graph().parse(data=client.get("/.well-known/void.ttl").content, format="turtle")
    spdx = Namespace("http://spdx.org/rdf/terms#")
    stated = {}
    for dump in void.objects(None, URIRef("http://rdfs.org/ns/void#dataDump")):
        (distribution,) = void.subjects(URIRef("http://www.w3.org/ns/dcat#downloadURL"), dump)
        checksum = void.value(distribution, spdx.checksum)
        assert void.value(checksum, spdx.algorithm) == spdx.checksumAlgorithm_sha256
        stated[str(dump).rsplit("/", 1)[-1]] = str(void.value(checksum, spdx.checksumValue))
    assert stated["bordergraph.nq"] == hashlib.sha256(served).hexdigest()
    trig = client.get("/downloads/bordergraph.trig").content
    assert stated["bordergraph.trig"] == hashlib.sha256(trig).hexdigest()


# -- dataset description ------------------------------------------------------------------------


def test_void_and_dcat_parse_and_agree_with_the_endpoint(client: httpx.Client, endpoint: str) -> None:
    answer = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.headers["content-location"] == "/.well-known/void.ttl"
    void = Graph().parse(data=answer.content, format="turtle")
    ds = URIRef(DATASET)
    assert (ds, RDF.type, VOID.Dataset) in void and (ds, RDF.type, DCAT.Dataset) in void
    assert str(void.value(ds, VOID.sparqlEndpoint)) == endpoint
    total = count(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    assert int(str(void.value(ds, VOID.triples))) == int(total)
    graphs = {
        r["g"]: int(r["n"])
        for r in count(endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }
    subsets = {
        str(void.value(s, URIRef("http://www.w3.org/ns/sparql-service-description#name"))): int(
            str(void.value(s, VOID.triples))
        )
        for s in void.objects(ds, VOID.subset)
    }
    assert subsets == graphs
    for s in void.objects(ds, VOID.subset):
        assert str(s) == subset_iri(str(void.value(s, URIRef("http://www.w3.org/ns/sparql-service-description#name"))))
    classes = {
        r["c"]: int(r["n"])
        for r in count(endpoint, "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c")
    }
    partitions = {
        str(void.value(p, VOID["class"])): int(str(void.value(p, VOID.entities)))
        for p in void.objects(ds, VOID.classPartition)
    }
    assert partitions == classes
    meeting = URIRef(partition_iri("class", "https://w3id.org/bordergraph/ontology#Meeting"))
    assert str(meeting) == DATASET + "/class/bg-Meeting" and (ds, VOID.classPartition, meeting) in void
    properties = {
        r["p"]: int(r["n"]) for r in count(endpoint, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
    }
    parts = {
        str(void.value(p, VOID.property)): int(str(void.value(p, VOID.triples)))
        for p in void.objects(ds, VOID.propertyPartition)
    }
    assert parts == properties
    # DCAT: downloadable distributions and the data service
    for dump in void.objects(ds, VOID.dataDump):
        assert client.get(str(dump)).status_code == 200
    urls = {str(void.value(d, DCAT.downloadURL)) for d in void.objects(ds, DCAT.distribution)} - {"None"}
    assert urls > {str(d) for d in void.objects(ds, VOID.dataDump)}, "RDF dumps and the other exports"
    # Every download is served, and its bytes have the checksum the description states.
    spdx = Namespace("http://spdx.org/rdf/terms#")
    for dist in void.objects(ds, DCAT.distribution):
        url = void.value(dist, DCAT.downloadURL)
        if url is None:
            continue
        answer = client.get(str(url))
        assert answer.status_code == 200, url
        checksum = void.value(dist, spdx.checksum)
        assert checksum is not None, f"{url} has no checksum"
        assert str(void.value(checksum, spdx.checksumValue)) == hashlib.sha256(answer.content).hexdigest(), url
    served = {u.rsplit("/downloads/", 1)[1] for u in urls}
    assert {"bordergraph.graphml", "actors.graphml", "neo4j/nodes.csv", "bordergraph.ttl"} <= served
    service = next(void.subjects(RDF.type, DCAT.DataService))
    assert str(void.value(service, DCAT.endpointURL)) == endpoint
    assert (service, DCAT.servesDataset, ds) in void


def test_void_formats_and_html(client: httpx.Client) -> None:
    for media, (ext, parser) in FORMATS.items():
        answer = client.get(f"/.well-known/void.{ext}")
        assert answer.headers["content-type"].startswith(media)
        assert len(Graph().parse(data=answer.content, format=parser)) > 100
    html = client.get("/.well-known/void", headers={"Accept": BROWSER_ACCEPT})
    assert html.headers["content-type"].startswith("text/html") and "Class partitions" in html.text


# -- query UI -------------------------------------------------------------------------------------


def test_query_ui_is_vendored_and_has_the_example_tabs(client: httpx.Client, built: Built) -> None:
    page = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT}).text
    assert "/static/vendor/yasgui-4.6.2/yasgui.min.js" in page
    assert not re.search(r"(src|href)=\"https?://", page)  # nothing from another host
    tabs = json.loads(re.search(r'<script type="application/json" id="bg-tabs">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert [t["name"] for t in tabs] == sorted(p.stem for p in built.loaded.paths.examples_dir.glob("*.rq"))
    assert all(t["summary"] and t["query"] for t in tabs)
    script = client.get("/static/query.js").text
    assert '"property"' in script and '"class"' in script  # the LOV autocompleters are removed
    for path in (
        "/static/vendor/yasgui-4.6.2/yasgui.min.js",
        "/static/vendor/yasgui-4.6.2/yasgui.min.css",
        "/static/vendor/cytoscape-3.34.4/cytoscape.min.js",
        "/static/vendor/NOTICE",
    ):
        assert client.get(path).status_code == 200, path


# -- escaping -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def markup_server(test_data: Path, serve: Serve, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second server on the fixture whose meeting label holds a <script> element."""
    fixture = test_data / "valid/html-in-label/release-2018-goodale-nielsen.trig"
    markup = build(record_files=[fixture], dump_dir=tmp_path_factory.mktemp("markup"))
    with serve(markup, Settings(rate=0, concurrency=1)) as (base, _):
        yield base


def test_markup_in_labels_is_escaped_everywhere(markup_server: str) -> None:
    raw = "<script>alert(1)</script>"
    pages = [
        "/id/meeting-2018-02-05-goodale-nielsen.html",
        "/id/ralph-goodale.html",
        "/",
        "/source/release-2018-goodale-nielsen",
        "/graph/release-2018-goodale-nielsen.html",
    ]
    for path in pages:
        page = httpx.get(markup_server + path, timeout=30).text
        assert raw not in page, path
        assert "alert(1)" in page, path  # the label is there, as text
    entity = httpx.get(markup_server + pages[0], timeout=30).text
    assert "<h1>Meeting &lt;script&gt;alert(1)&lt;/script&gt; of Goodale and Nielsen</h1>" in entity
    landing = httpx.get(markup_server + "/", timeout=30).text
    assert "\\u003cscript\\u003e" in landing  # inside the drawing's JSON, escaped for a <script> block


def test_vendored_bundles_are_the_npm_files_unchanged() -> None:
    """Cytoscape 3.34.4 and @zazuko/yasgui 4.6.2 as published on npm (sha256 of the tarballs' files)."""
    import hashlib

    vendor = Path(__file__).parents[2] / "src/bordergraph/static/vendor"
    sums = [line.split() for line in (vendor / "SHA256SUMS").read_text(encoding="utf-8").splitlines()]
    assert {name for _, name in sums} == {str(p.relative_to(vendor)) for p in vendor.glob("*/*.min.*")}
    for digest, name in sums:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name


def test_the_home_page_and_the_dataset_description_count_the_sources(
    client: httpx.Client, built: Built, source_graphs: list[str]
) -> None:
    """No number of sources is written into a page: both say how many source records there are."""
    from rdflib import RDF

    from bordergraph.prefixes import BG

    sources = len(set(built.loaded.dataset.subjects(RDF.type, BG.SourceDocument)))
    assert sources == len(source_graphs)
    page = client.get("/", headers={"Accept": BROWSER_ACCEPT}).text
    assert f"built by hand from {sources} archived" in page
    assert f"{sources} documents only" in page
    void = client.get("/.well-known/void.ttl").text
    assert f"from {sources} archived public" in void


# -- HEAD ---------------------------------------------------------------------------------------

HEAD_PATHS = [
    "/",
    "/id/ralph-goodale",
    "/id/ralph-goodale.html",
    "/id/ralph-goodale.ttl",
    "/ontology",
    "/ontology.html",
    "/dataset.html",
    "/graph/release-2017-goodale-kelly.html",
    "/.well-known/void",
    "/.well-known/void.ttl",
    "/source/release-2017-goodale-kelly",
    "/source/release-2017-goodale-kelly.txt",
    "/sparql",
    "/api",
    "/openapi.json",
    "/healthz",
    "/downloads/bordergraph.nq",
    "/downloads/bordergraph.trig",
    "/downloads/actors.graphml",
    "/static/site.css",
    "/id/no-such-thing",
    "/labels?iri=https://w3id.org/bordergraph/id/ralph-goodale",
    "/search?q=Goodale",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_answers_like_get(client: httpx.Client, path: str) -> None:
    for accept in ("text/html", "*/*"):
        get = client.get(path, headers={"Accept": accept})
        head = client.head(path, headers={"Accept": accept})
        assert head.status_code == get.status_code != 405, path
        assert head.content == b""
        for header in ("content-type", "content-length", "location"):
            assert head.headers.get(header) == get.headers.get(header), (path, header)
