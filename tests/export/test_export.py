"""Exports: RDF dumps that re-parse to the served dataset, a property graph that graph tools read, releases."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef

from bordergraph.build import Built
from bordergraph.export.dumps import CYJS, CYPHER, DATASET_DUMPS, DUMPS, GEXF, GRAPHML, NEO4J_EDGES, NEO4J_NODES
from bordergraph.export.projection import PropertyGraph, project_store, project_triples
from bordergraph.export.release import export_checkout
from bordergraph.export.writers import PROPERTY_GRAPH_FORMAT_NAMES, PROPERTY_GRAPH_FORMATS, property_graph_bytes

RDFLIB_FORMATS = {
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
}

WHO_MET_WHOM_SPARQL = """
PREFIX bg: <https://w3id.org/bordergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?a ?b WHERE {
  ?m a bg:Meeting ; bg:participant ?x, ?y .
  ?x rdfs:label ?a . ?y rdfs:label ?b .
  FILTER(STR(?a) < STR(?b))
}"""
WHO_MET_WHOM_CYPHER = (
    'MATCH (a)<-[r1]-(m)-[r2]->(b) WHERE m.type == "Meeting" AND r1.relation == "participant" '
    'AND r2.relation == "participant" AND a.label < b.label RETURN DISTINCT a.label, b.label'
)


@pytest.fixture(scope="module")
def exported(built: Built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("export")
    return out, export_checkout(built.store, built.paths, out)


@pytest.fixture(scope="module")
def projection(built: Built) -> PropertyGraph:
    return project_store(built.store)


def who_met_whom(built: Built) -> set[tuple[str, str]]:
    return {(row["a"].value, row["b"].value) for row in built.store.query(WHO_MET_WHOM_SPARQL)}


def canonical(quads: list[ox.Quad]) -> set[str]:
    """RDFC-1.0 canonical form: two datasets are isomorphic exactly when these sets are equal."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def served(built: Built, graph: ox.NamedNode | ox.DefaultGraph) -> set[str]:
    """One graph of the served store, canonical and moved to the default graph (for comparison)."""
    quads = built.store.store.quads_for_pattern(None, None, None, graph)
    return canonical([ox.Quad(q.subject, q.predicate, q.object) for q in quads])


def reparsed(graph: Graph) -> set[str]:
    """A graph rdflib parsed from a dump, in the same canonical form."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return canonical([ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)])


# --- RDF dumps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "media_type"), DUMPS)
def test_every_rdf_dump_reparses_isomorphic_to_the_served_dataset(
    built: Built, exported: tuple[Path, dict[str, Any]], name: str, media_type: str
) -> None:
    out, _ = exported
    if name in DATASET_DUMPS:
        parsed = Dataset()
        parsed.parse(out / name, format=RDFLIB_FORMATS[media_type])
        graphs = {str(g.identifier): g for g in parsed.graphs() if len(g) and isinstance(g.identifier, URIRef)}
        assert sorted(graphs) == built.store.graph_names()
        for iri, graph in graphs.items():
            assert reparsed(graph) == served(built, ox.NamedNode(iri)), f"{name}: graph {iri} differs"
    else:
        parsed_graph = Graph()
        parsed_graph.parse(out / name, format=RDFLIB_FORMATS[media_type])
        assert reparsed(parsed_graph) == served(built, ox.DefaultGraph()), f"{name} differs from the merge"


def test_dumps_are_byte_stable_from_run_to_run(built: Built, tmp_path: Path) -> None:
    """A second export in a fresh process writes the same bytes (sorted lines, RDFC-1.0 blank nodes)."""
    script = "import sys; from pathlib import Path; from bordergraph.build import build; "
    script += "from bordergraph.export.release import export_checkout; b = build(); "
    script += "export_checkout(b.store, b.paths, Path(sys.argv[1]))"
    for run in ("a", "b"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run)], check=True)
    first = (tmp_path / "a" / "SHA256SUMS").read_text(encoding="utf-8")
    assert first == (tmp_path / "b" / "SHA256SUMS").read_text(encoding="utf-8")
    nq = (tmp_path / "a" / "bordergraph.nq").read_text(encoding="utf-8").splitlines()
    keyed = [(line.rsplit(" ", 2)[-2], line) for line in nq]
    assert keyed == sorted(keyed), "N-Quads are sorted by graph, then triple"
    nt = (tmp_path / "a" / "bordergraph.nt").read_text(encoding="utf-8").splitlines()
    assert nt == sorted(nt)
    assert "_:c14n0 " in "\n".join(nt), "blank nodes carry canonical RDFC-1.0 labels"


def test_jsonld_carries_the_published_context(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    document = json.loads((out / "bordergraph.jsonld").read_text(encoding="utf-8"))
    published = json.loads((out / "context.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"]
    assert published["@context"]["bg"] == "https://w3id.org/bordergraph/ontology#"


def test_turtle_and_trig_use_the_project_prefixes(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    for name in ("bordergraph.ttl", "bordergraph.trig"):
        head = (out / name).read_text(encoding="utf-8")[:3000]
        assert "@prefix bgr: <https://w3id.org/bordergraph/id/> ." in head
    assert "bgg:release-2017-goodale-kelly {" in (out / "bordergraph.trig").read_text(encoding="utf-8")


# --- manifest, checksums, vocabulary -----------------------------------------------------------


def test_sha256sums_cover_every_file_and_check_with_sha256sum(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert listed == written
    result = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_describes_every_file(
    built: Built, exported: tuple[Path, dict[str, Any]], projection: PropertyGraph
) -> None:
    out, manifest = exported
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    entries = {e["file"]: e for e in manifest["files"]}
    expected = {name for name, _ in DUMPS} | {GRAPHML, GEXF, CYJS, NEO4J_NODES, NEO4J_EDGES, CYPHER, "context.jsonld"}
    expected |= {"ontology/bordergraph.ttl", "ontology/topics.ttl", "ontology/shapes.ttl"}
    assert set(entries) == expected
    for name, entry in entries.items():
        path = out / name
        assert entry["size"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["media_type"] and entry["format"]
    for name, media_type in DUMPS:
        assert entries[name]["media_type"] == media_type
    assert entries["bordergraph.nq"]["quads"] == len(built.store)
    assert entries["bordergraph.nt"]["triples"] == built.store.default_size
    assert entries[GRAPHML]["nodes"] == len(projection.nodes)
    assert entries[GRAPHML]["edges"] == len(projection.edges)


def test_vocabulary_is_copied_unchanged(built: Built, exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    paths = built.loaded.paths
    for source in [*paths.ontology_files, paths.shapes_file]:
        assert (out / "ontology" / source.name).read_bytes() == source.read_bytes()


# --- the projection ----------------------------------------------------------------------------


def test_projection_nodes_are_resources_and_literals_are_attributes(projection: PropertyGraph) -> None:
    goodale = projection.nodes["https://w3id.org/bordergraph/id/ralph-goodale"]
    assert (goodale.label, goodale.type) == ("Ralph Goodale", "Person")
    assert goodale.attrs["foaf_name"] == "Ralph Goodale"
    meeting = projection.nodes["https://w3id.org/bordergraph/id/meeting-2017-03-10-goodale-kelly"]
    assert meeting.type == "Meeting"
    assert meeting.start == "2017-03-10"
    assert meeting.attrs["dateStatus"] == "bg:DateStated", "vocabulary IRIs are attribute values, not nodes"
    assert not any(n.startswith("https://w3id.org/bordergraph/ontology") for n in projection.nodes)
    assert not any(n.startswith("_:") for n in projection.nodes), "blank nodes are folded into their owner"
    annotation = projection.nodes["https://w3id.org/bordergraph/id/ann-2017-goodale-kelly-01"]
    assert str(annotation.attrs["oa_hasTarget.oa_hasSelector.oa_exact"]).startswith("Joint Statement by Canadian")
    assert annotation.attrs["oa_hasTarget.oa_hasSelector.oa_start"] == 46
    assert projection.attr_types["oa_hasTarget.oa_hasSelector.oa_start"] == "int"


def test_projection_edges_carry_their_release_and_quote(projection: PropertyGraph) -> None:
    edges = [
        e
        for e in projection.edges
        if e.relation == "participant" and e.source.endswith("meeting-2017-03-10-goodale-kelly")
    ]
    assert {e.target.rsplit("/", 1)[1] for e in edges} == {"ralph-goodale", "john-kelly"}
    for edge in edges:
        assert edge.graph == "https://w3id.org/bordergraph/graph/release-2017-goodale-kelly"
        assert edge.release == "https://w3id.org/bordergraph/id/release-2017-goodale-kelly"
        assert edge.quote, "the annotation quoting the meeting"
        assert all(q in projection.nodes for q in edge.quote.split(" | "))
        assert edge.start == "2017-03-10"


def test_projection_of_a_small_graph_by_hand() -> None:
    """Blank nodes fold into their owner, several values join, vocabulary objects stay attributes."""
    data = """
    @prefix bg: <https://w3id.org/bordergraph/ontology#> .
    @prefix bgr: <https://w3id.org/bordergraph/id/> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    bgr:m a bg:Meeting ; rdfs:label "M"@en ; bg:participant bgr:p ; bg:dateStatus bg:DateNotStated ;
        skos:altLabel "b", "a" ; bg:extra [ bg:count 3 ; bg:where bgr:place ] .
    """
    pg = project_triples(ox.parse(data, format=ox.RdfFormat.TURTLE))
    assert set(pg.nodes) == {"https://w3id.org/bordergraph/id/" + s for s in ("m", "p", "place")}
    m = pg.nodes["https://w3id.org/bordergraph/id/m"]
    assert m.attrs == {"dateStatus": "bg:DateNotStated", "extra.count": 3, "skos_altLabel": "a | b"}
    assert pg.nodes["https://w3id.org/bordergraph/id/p"].label == "bgr:p"
    assert {(e.relation, e.target.rsplit("/", 1)[1], e.graph) for e in pg.edges} == {
        ("participant", "p", ""),
        ("extra.where", "place", ""),
    }


# --- property-graph files read back by the tools ------------------------------------------------


@pytest.mark.parametrize("reader", [nx.read_graphml, nx.read_gexf], ids=["graphml", "gexf"])
def test_networkx_reads_graphml_and_gexf_back(
    exported: tuple[Path, dict[str, Any]], projection: PropertyGraph, reader: Any
) -> None:
    out, _ = exported
    graph = reader(out / (GRAPHML if reader is nx.read_graphml else GEXF))
    assert graph.number_of_nodes() == len(projection.nodes)
    assert graph.number_of_edges() == len(projection.edges)
    labels = {node: data["label"] for node, data in graph.nodes(data=True)}
    assert labels == {n.id: n.label for n in projection.nodes.values()}
    relations = sorted(data["label"] for _, _, data in graph.edges(data=True))
    assert relations == sorted(e.relation for e in projection.edges)


def test_gexf_is_dynamic_with_start_dates(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    text = (out / GEXF).read_text(encoding="utf-8")
    assert re.search(r'<graph [^>]*mode="dynamic"', text) and 'timeformat="date"' in text
    graph = nx.read_gexf(out / GEXF)
    assert graph.nodes["https://w3id.org/bordergraph/id/meeting-2017-03-10-goodale-kelly"]["start"] == "2017-03-10"


def test_graphml_has_label_and_name_keys_for_gephi_yed_and_cytoscape(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    text = (out / GRAPHML).read_text(encoding="utf-8")
    assert '<key id="label" for="node" attr.name="label" attr.type="string"' in text
    assert '<key id="name" for="node" attr.name="name" attr.type="string"' in text


def test_cytoscape_json_elements(exported: tuple[Path, dict[str, Any]], projection: PropertyGraph) -> None:
    out, _ = exported
    document = json.loads((out / CYJS).read_text(encoding="utf-8"))
    nodes, edges = document["elements"]["nodes"], document["elements"]["edges"]
    assert len(nodes) == len(projection.nodes) and len(edges) == len(projection.edges)
    ids = {n["data"]["id"] for n in nodes}
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in edges)
    assert all(n["data"]["name"] for n in nodes)


def test_grand_cypher_over_the_graphml_answers_who_met_whom_like_sparql(
    built: Built, exported: tuple[Path, dict[str, Any]]
) -> None:
    from grandcypher import GrandCypher

    out, _ = exported
    result = GrandCypher(nx.read_graphml(out / GRAPHML)).run(WHO_MET_WHOM_CYPHER)
    pairs = set(zip(result["a.label"], result["b.label"], strict=True))
    assert pairs == who_met_whom(built)
    assert ("Kirstjen Nielsen", "Ralph Goodale") in pairs


def test_ladybug_loads_the_neo4j_csvs_and_answers_who_met_whom_like_sparql(
    built: Built, exported: tuple[Path, dict[str, Any]]
) -> None:
    """The embedded Kuzu-fork database, loading the neo4j-admin CSVs as docs/neo4j.md shows."""
    import ladybug

    out, _ = exported
    connection = ladybug.Connection(ladybug.Database(":memory:"))
    for statement in [
        "CREATE NODE TABLE Resource(iri STRING PRIMARY KEY, label STRING, type STRING)",
        "CREATE REL TABLE Rel(FROM Resource TO Resource, relation STRING, graph STRING, release STRING, quote STRING)",
        f"COPY Resource FROM (LOAD FROM '{out / NEO4J_NODES}' (header=true, parallel=false) "
        "RETURN `iri:ID`, label, type)",
        f"COPY Rel FROM (LOAD FROM '{out / NEO4J_EDGES}' (header=true, parallel=false) "
        "RETURN `:START_ID`, `:END_ID`, `:TYPE`, graph, release, quote)",
    ]:
        connection.execute(statement)
    result = connection.execute(
        "MATCH (a:Resource)<-[r1:Rel]-(m:Resource)-[r2:Rel]->(b:Resource) WHERE m.type = 'Meeting' "
        "AND r1.relation = 'participant' AND r2.relation = 'participant' AND a.label < b.label "
        "RETURN DISTINCT a.label, b.label"
    )
    assert not isinstance(result, list), "one statement gives one result"
    rows = result.get_all()
    assert {(a, b) for a, b in rows} == who_met_whom(built)


def test_neo4j_csv_headers_follow_neo4j_admin_import(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    nodes_header = (out / NEO4J_NODES).read_text(encoding="utf-8").splitlines()[0].split(",")
    assert nodes_header[:5] == ["iri:ID", "label", "type", ":LABEL", "start:date"]
    assert "oa_hasTarget.oa_hasSelector.oa_start:long" in nodes_header
    edges_header = (out / NEO4J_EDGES).read_text(encoding="utf-8").splitlines()[0]
    assert edges_header.startswith(":START_ID,:END_ID,:TYPE,")


def test_cypher_script_merges_each_node_and_edge_once(
    exported: tuple[Path, dict[str, Any]], projection: PropertyGraph
) -> None:
    out, _ = exported
    lines = (out / CYPHER).read_text(encoding="utf-8").splitlines()
    assert "IF NOT EXISTS" in lines[1], "the constraint statement can run twice"
    statements = lines[2:]
    assert all(s.endswith(";") for s in statements)
    assert not any(s.startswith("CREATE (") for s in statements), "MERGE only, so the script is idempotent"
    merged = [
        json.loads(m)
        for m in re.findall(r'^MERGE \(n:Resource \{iri: ("(?:[^"\\]|\\.)*")\}\)', "\n".join(statements), re.M)
    ]
    assert sorted(merged) == sorted(projection.nodes)
    assert sum(s.startswith("MATCH (a:Resource") for s in statements) == len(projection.edges)


# --- for the endpoint: CONSTRUCT results as property graphs -------------------------------------


@pytest.mark.parametrize("media_type", list(PROPERTY_GRAPH_FORMATS))
def test_construct_result_as_property_graph(built: Built, media_type: str, tmp_path: Path) -> None:
    """'Everyone who met Goodale', straight into Gephi/Cytoscape, through the same projection."""
    query = """
    PREFIX bg: <https://w3id.org/bordergraph/ontology#>
    PREFIX bgr: <https://w3id.org/bordergraph/id/>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    CONSTRUCT { ?m a bg:Meeting ; rdfs:label ?ml ; bg:participant ?p . ?p rdfs:label ?pl }
    WHERE { ?m a bg:Meeting ; rdfs:label ?ml ; bg:participant bgr:ralph-goodale, ?p . ?p rdfs:label ?pl }"""
    body = property_graph_bytes(built.store.query(query), media_type)
    if media_type == PROPERTY_GRAPH_FORMAT_NAMES["cytoscape"]:
        data = json.loads(body)
        labels = {n["data"]["label"] for n in data["elements"]["nodes"]}
    else:
        path = tmp_path / "result.xml"
        path.write_bytes(body)
        graph = nx.read_graphml(path) if media_type == PROPERTY_GRAPH_FORMAT_NAMES["graphml"] else nx.read_gexf(path)
        labels = {d["label"] for _, d in graph.nodes(data=True)}
    assert {"Ralph Goodale", "John Kelly", "Kirstjen Nielsen"} <= labels
    assert "Janet Napolitano" not in labels


def test_format_names_map_to_writers() -> None:
    assert set(PROPERTY_GRAPH_FORMAT_NAMES.values()) == set(PROPERTY_GRAPH_FORMATS)


# --- the commands ----------------------------------------------------------------------------


def bordergraph(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bordergraph", *args], capture_output=True, text=True, cwd=cwd)


def test_export_command_writes_the_folder(tmp_path: Path) -> None:
    result = bordergraph("export", "--to", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "SHA256SUMS" in result.stdout
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_export_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    for out, message in [(target, "is a file"), (target / "sub", "cannot write")]:
        result = bordergraph("export", "--to", str(out))
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr


def test_release_writes_version_iri_and_changelog_against_the_previous(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    first = bordergraph("release", "--out", str(dist), "--version", "0.1.0", "--date", "2026-12-01")
    assert first.returncode == 0, first.stderr
    assert "first release" in (dist / "0.1.0" / "CHANGELOG.md").read_text(encoding="utf-8")
    second = bordergraph("release", "--out", str(dist), "--version", "0.2.0", "--date", "2026-12-02")
    assert second.returncode == 0, second.stderr
    release = dist / "0.2.0"
    ontology = (release / "ontology" / "bordergraph.ttl").read_text(encoding="utf-8")
    assert "owl:versionIRI <https://w3id.org/bordergraph/ontology/2026-12-02>" in ontology
    assert 'owl:versionInfo "0.2.0"' in ontology
    changelog = (release / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "against release 0.1.0" in changelog
    assert "| bgg:ontology | 2 | 2 |" in changelog, "the version IRI and version changed, nothing else"
    assert "| bgg:release-2017-goodale-kelly | 0 | 0 |" in changelog
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["version"], manifest["date"], manifest["previous"]) == ("0.2.0", "2026-12-02", "0.1.0")
    dump = Dataset()
    dump.parse(release / "bordergraph.trig", format="trig")
    assert (
        URIRef("https://w3id.org/bordergraph/ontology"),
        URIRef("http://www.w3.org/2002/07/owl#versionIRI"),
        URIRef("https://w3id.org/bordergraph/ontology/2026-12-02"),
    ) in dump.graph(URIRef("https://w3id.org/bordergraph/graph/ontology"))
    checked = subprocess.run(["sha256sum", "--check", "SHA256SUMS"], cwd=release, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    again = bordergraph("release", "--out", str(dist), "--version", "0.2.0")
    assert again.returncode == 2
    assert "exists" in again.stderr and "--force" in again.stderr and "Traceback" not in again.stderr


def test_release_refuses_a_version_that_is_a_path(tmp_path: Path) -> None:
    result = bordergraph("release", "--out", str(tmp_path), "--version", "../escape")
    assert result.returncode == 2
    assert "not a plain version" in result.stderr
    assert not (tmp_path.parent / "escape").exists()


def test_blank_node_labels_are_stable_and_isomorphic_for_trees_and_the_rdfc_fallback(tmp_path: Path) -> None:
    """Twin trees, twin roots, a shared blank node and a cycle: same lines whatever the input order and ids."""
    import random

    from bordergraph.export.dumps import _canonical

    def e(local: str) -> ox.NamedNode:
        return ox.NamedNode("http://example.org/" + local)

    def data(seed: int) -> list[ox.Quad]:
        rnd = random.Random(seed)  # noqa: S311 - a shuffle, not a secret
        ids = iter(rnd.sample(range(10**6), 20))

        def b() -> ox.BlankNode:
            return ox.BlankNode(f"x{next(ids)}")

        g, g2, one, two = e("g"), e("g2"), ox.Literal("1"), ox.Literal("2")
        quads: list[tuple[Any, Any, Any, Any]] = []
        for _ in range(2):  # interchangeable trees under one IRI, and interchangeable root blank nodes
            t, c, r, rc = b(), b(), b(), b()
            quads += [(e("a"), e("p"), t, g), (t, e("q"), c, g), (c, e("v"), one, g)]
            quads += [(r, e("q"), rc, g), (rc, e("v"), two, g)]
        shared, child, parent, x, y = b(), b(), b(), b(), b()
        quads += [(e("a"), e("p"), shared, g), (e("b"), e("p"), shared, g), (shared, e("q"), child, g)]
        quads += [(child, e("v"), one, g), (e("c"), e("r"), parent, g), (parent, e("s"), shared, g2)]
        quads += [(x, e("n"), y, g), (y, e("n"), x, g), (e("f"), e("p"), b(), g2), (e("d"), e("m"), e("e"), g)]
        shuffled = [ox.Quad(*q) for q in quads]
        rnd.shuffle(shuffled)
        return shuffled

    outputs = []
    for seed in range(4):
        quads = data(seed)
        lines = sorted(f"{s} {p} {o} {g} ." for g, s, p, o in _canonical(iter(quads), tmp_path))
        assert canonical(list(ox.parse("\n".join(lines), format=ox.RdfFormat.N_QUADS))) == canonical(quads)
        outputs.append(lines)
    assert all(lines == outputs[0] for lines in outputs)
    assert list(tmp_path.iterdir()) == [], "the scratch database is removed"
