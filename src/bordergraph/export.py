"""Everything users download: RDF dumps, the one property-graph projection and its writers, checksums, releases.

The RDF dumps stream from the store through an on-disk sort, blank nodes labelled canonically in a
scratch SQLite database, so memory stays flat as the data grows (bench/export_1m.py measures it).
Every property-graph file (GraphML, GEXF, Cytoscape.js JSON, Neo4j CSV, Cypher) is written by a
streaming writer from the one projection, ``StreamedGraph``: on disk for exports, materialised as a
``PropertyGraph`` for ``to_networkx`` and the endpoint's CONSTRUCT results (``project_triples``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import heapq
import io
import json
import re
import shutil
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO
from xml.sax.saxutils import escape

import pyoxigraph as ox

from bordergraph.prefixes import BGG, ONTOLOGY_IRI, PREFIXES

if TYPE_CHECKING:
    import networkx as nx

    from bordergraph.build import Built
    from bordergraph.querystore import QueryStore

# --------------------------------------------------------------------------------------------
# What is written, and as what (VoID's void:dataDump and the manifest read these)
# --------------------------------------------------------------------------------------------

NQ, NT, TTL, TRIG, JSONLD, RDFXML = (
    "bordergraph.nq",
    "bordergraph.nt",
    "bordergraph.ttl",
    "bordergraph.trig",
    "bordergraph.jsonld",
    "bordergraph.rdf",
)
CONTEXT = "context.jsonld"
GRAPHML, GEXF, CYJS = "bordergraph.graphml", "bordergraph.gexf", "bordergraph.cyjs"
NEO4J_NODES, NEO4J_EDGES, CYPHER = "neo4j/nodes.csv", "neo4j/edges.csv", "neo4j/import.cypher"

GRAPHML_TYPE = "application/graphml+xml"
GEXF_TYPE = "application/gexf+xml"
CYJS_TYPE = "application/vnd.cytoscape.js+json"  # no registered type exists; this one names the format

#: The RDF dumps, for VoID ``void:dataDump`` (file name relative to the dump folder, media type).
DUMPS: list[tuple[str, str]] = [
    (NQ, "application/n-quads"),
    (TRIG, "application/trig"),
    (JSONLD, "application/ld+json"),
    (NT, "application/n-triples"),
    (TTL, "text/turtle"),
    (RDFXML, "application/rdf+xml"),
]
#: Which dumps keep one named graph per source (the others hold the RDF merge, the served default graph).
DATASET_DUMPS = {NQ, TRIG, JSONLD}

FORMAT_NAMES = {
    NQ: "N-Quads (sorted, canonical blank nodes)",
    TRIG: "TriG",
    JSONLD: "JSON-LD",
    NT: "N-Triples (sorted, canonical blank nodes)",
    TTL: "Turtle",
    RDFXML: "RDF/XML",
    CONTEXT: "JSON-LD context",
    GRAPHML: "GraphML",
    GEXF: "GEXF 1.2",
    CYJS: "Cytoscape.js JSON",
    NEO4J_NODES: "neo4j-admin import nodes CSV",
    NEO4J_EDGES: "neo4j-admin import relationships CSV",
    CYPHER: "Cypher script (MERGE, idempotent)",
}

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = PREFIXES["xsd"]
OA_HAS_BODY = PREFIXES["oa"] + "hasBody"
SOURCE_GRAPH = PREFIXES["bg"] + "sourceGraph"
#: Fallback labels, in order, when a resource has no rdfs:label.
LABEL_PREDICATES = [
    PREFIXES["skos"] + "prefLabel",
    PREFIXES["foaf"] + "name",
    PREFIXES["dcterms"] + "title",
    PREFIXES["schema"] + "name",
]
#: Properties whose xsd:date value is a resource's start on a timeline (GEXF ``start``, Neo4j ``start``).
START_PREDICATES = [PREFIXES["bg"] + "date", PREFIXES["dcterms"] + "issued"]
INTS = {"integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "unsignedInt"}
FLOATS = {"decimal", "double", "float"}
#: IRIs in these namespaces are vocabulary or graph names: values of attributes, never nodes.
VOCABULARY = (*(iri for prefix, iri in PREFIXES.items() if prefix not in {"bgr", "bgt", "wd"}), ONTOLOGY_IRI)
_PREFIX_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def curie(iri: str) -> str:
    """``bg:Meeting`` for a project-prefixed IRI, else the IRI itself."""
    for prefix, namespace in _PREFIX_BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def term_name(iri: str) -> str:
    """Attribute or relation name of a property: ``participant`` for bg: terms, ``org_holds`` for others.

    No colon, so the names work unchanged as Neo4j header fields, Cypher keys and GraphML keys.
    """
    short = curie(iri)
    if short == iri:
        return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri
    prefix, _, local = short.partition(":")
    return local if prefix == "bg" else f"{prefix}_{local}"


def local_name(iri: str) -> str:
    """``Meeting`` for bg:Meeting, ``Person`` for foaf:Person: a node type as people say it."""
    short = curie(iri)
    return short.partition(":")[2] if short != iri else term_name(iri)


# --------------------------------------------------------------------------------------------
# The projection: RDF → property graph
# --------------------------------------------------------------------------------------------

Scalar = str | int | float | bool


@dataclass
class Node:
    """A typed resource: IRI, one label, a type, and its plain values as attributes."""

    id: str
    label: str
    type: str
    types: tuple[str, ...]
    start: str | None
    attrs: dict[str, Scalar]


@dataclass
class Edge:
    """A relation between two resources, with the graph (source release) and quote it came from."""

    id: str
    source: str
    target: str
    relation: str
    graph: str
    release: str
    quote: str
    start: str | None


@dataclass
class PropertyGraph:
    """Nodes, edges and the type of each attribute (``str``, ``int``, ``float`` or ``bool``), in memory."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    attr_types: dict[str, str] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.edges)

    @property
    def has_start(self) -> bool:
        return any(n.start for n in self.nodes.values()) or any(e.start for e in self.edges)

    def iter_nodes(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def iter_edges(self) -> Iterator[Edge]:
        return iter(self.edges)


class GraphSource(Protocol):
    """What every writer reads: a ``PropertyGraph`` in memory, or a ``StreamedGraph`` on disk."""

    attr_types: dict[str, str]

    @property
    def node_count(self) -> int: ...

    @property
    def edge_count(self) -> int: ...

    @property
    def has_start(self) -> bool: ...

    def iter_nodes(self) -> Iterator[Node]: ...

    def iter_edges(self) -> Iterator[Edge]: ...


def _key(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _is_node_iri(iri: str) -> bool:
    return not iri.startswith(VOCABULARY)


def _literal(lit: ox.Literal) -> tuple[str, str]:
    """(kind, lexical form) of a literal; language tags and other datatypes are kept as text."""
    datatype = lit.datatype.value
    if datatype.startswith(XSD):
        local = datatype[len(XSD) :]
        if local in INTS:
            return "int", lit.value
        if local in FLOATS:
            return "float", lit.value
        if local == "boolean":
            return "bool", lit.value
    return "str", lit.value


def _convert(kind: str, lexical: str) -> Scalar:
    if kind == "int":
        return int(lexical)
    if kind == "float":
        return float(lexical)
    if kind == "bool":
        return lexical in {"true", "1"}
    return lexical


def _sqlite(path: str) -> sqlite3.Connection:
    """A scratch SQLite database: no journal, no fsync, a bounded page cache (it spills to disk beyond it)."""
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-32768;")
    return db


class _Joined:
    """SQLite aggregate: the distinct values, sorted, joined with `` | ``."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def step(self, value: str) -> None:
        self.values.add(value)

    def finalize(self) -> str:
        return " | ".join(sorted(self.values))


_term_name = functools.lru_cache(maxsize=4096)(lambda iri: term_name(iri))
_DATES = {XSD + "date", XSD + "dateTime"}
_ARCS = (
    "SELECT q.p, q.kind, q.o, q.lk, q.dt, q.g, n.id IS NOT NULL FROM quads q "
    "LEFT JOIN nodes n ON q.kind = 0 AND n.id = q.o WHERE q.s = ?"
)


def _projection_rows(quads: Iterable[ox.Quad | ox.Triple]) -> Iterator[tuple[Any, ...]]:
    """One row per quad: subject key, is-blank, predicate, object kind (0 IRI, 1 blank, 2 literal) and value."""
    for quad in quads:
        named = isinstance(quad, ox.Quad) and isinstance(quad.graph_name, ox.NamedNode)
        g_name = quad.graph_name.value if named else ""  # type: ignore[union-attr]
        s, p, o = quad.subject, quad.predicate.value, quad.object
        blank = isinstance(s, ox.BlankNode)
        if isinstance(o, ox.Literal):
            kind, lexical = _literal(o)
            yield _key(s), blank, p, 2, lexical, kind, o.datatype.value, g_name
        elif isinstance(o, ox.BlankNode):
            yield _key(s), blank, p, 1, _key(o), None, None, g_name
        else:
            yield _key(s), blank, p, 0, o.value if isinstance(o, ox.NamedNode) else str(o), None, None, g_name


class StreamedGraph:
    """The projection, built in SQLite: on disk for exports (memory stays flat), in memory otherwise.

    Nodes come out sorted by IRI and edges by (source, relation, target, graph), decoded one at a
    time, so writers can stream them; ``project_quads`` materialises the same rows as a
    ``PropertyGraph``. Use as a context manager (the database is closed on exit).
    """

    def __init__(self, quads: Iterable[ox.Quad | ox.Triple], path: str | Path = ":memory:") -> None:
        self.db = _sqlite(str(path))
        self.db.create_function("is_node", 1, _is_node_iri, deterministic=True)
        self.db.create_aggregate("joined", 1, _Joined)  # type: ignore[arg-type]
        self.db.executescript(
            "CREATE TABLE quads(s TEXT, sb INTEGER, p TEXT, kind INTEGER, o TEXT, lk TEXT, dt TEXT, g TEXT);"
            "CREATE TABLE nodes(id TEXT PRIMARY KEY) WITHOUT ROWID;"
            "CREATE TABLE records(id TEXT, data TEXT);"
            "CREATE TABLE edges(source TEXT, rel TEXT, target TEXT, g TEXT, start TEXT);"
        )
        self.db.executemany("INSERT INTO quads VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _projection_rows(quads))
        self.db.executescript("CREATE INDEX quads_s ON quads(s); CREATE INDEX quads_o ON quads(o) WHERE kind = 1;")
        self.releases = dict(
            (o, s)
            for s, o in self.db.execute(
                "SELECT s, o FROM quads WHERE p = ? AND kind = 0 ORDER BY rowid", (SOURCE_GRAPH,)
            )
        )
        self.db.execute(
            "CREATE TABLE quotes AS SELECT g, o AS body, joined(s) AS quote FROM quads "
            "WHERE p = ? AND kind = 0 GROUP BY g, o",
            (OA_HAS_BODY,),
        )
        self.db.execute("CREATE INDEX quotes_body ON quotes(body, g)")
        # Nodes: IRIs outside the vocabulary and blank nodes nothing points to; then what those (and
        # blank nodes) point to.
        self.db.execute(
            "INSERT OR IGNORE INTO nodes SELECT s FROM quads q WHERE CASE WHEN q.sb THEN NOT EXISTS "
            "(SELECT 1 FROM quads b WHERE b.kind = 1 AND b.o = q.s) ELSE is_node(q.s) END"
        )
        self.db.execute(
            "INSERT OR IGNORE INTO nodes SELECT q.o FROM quads q WHERE q.kind = 0 AND q.p != ? AND is_node(q.o) "
            "AND (q.sb OR q.s IN (SELECT id FROM nodes))",
            (RDF_TYPE,),
        )
        self.attr_types: dict[str, str] = {}
        self._has_start = False
        self._walk()
        self._node_count = self.db.execute("SELECT count(*) FROM records").fetchone()[0]
        self._edge_count = self.db.execute("SELECT count(*) FROM edges").fetchone()[0]

    def _walk(self) -> None:
        """Each node's attributes and edges, its blank nodes folded in (one record per node, in IRI order)."""
        kinds: dict[str, set[str]] = defaultdict(set)
        arcs = self.db.cursor()
        writer = self.db.cursor()
        for (node_id,) in self.db.execute("SELECT id FROM nodes ORDER BY id"):
            attrs: dict[str, set[tuple[str, str]]] = defaultdict(set)
            edge_keys: set[tuple[str, str, str]] = set()
            dates: dict[str, list[str]] = defaultdict(list)
            stack: list[tuple[str, str, frozenset[str]]] = [(node_id, "", frozenset({node_id}))]
            while stack:
                subject, path, seen = stack.pop()
                for p, kind, o, lk, datatype, g, is_node in arcs.execute(_ARCS, (subject,)).fetchall():
                    name = path + _term_name(p)
                    if kind == 2:
                        attrs[name].add((lk, o))
                        if not path and datatype in _DATES:
                            dates[p].append(o[:10])
                    elif kind == 1:  # a blank object is pointed to, so never a node: fold it in
                        if o not in seen:
                            stack.append((o, name + ".", seen | {o}))
                    elif p == RDF_TYPE and not path:
                        attrs["\0type"].add(("str", o))
                    elif is_node:
                        edge_keys.add((name, o, g))
                    else:
                        attrs[name].add(("str", curie(o)))
            for name, vals in attrs.items():
                kinds[name].update({k for k, _ in vals} if len(vals) == 1 else {"str"})
            type_iris = sorted(v for _, v in attrs.pop("\0type", set()))
            own = sorted(type_iris, key=lambda iri: (not iri.startswith(PREFIXES["bg"]), iri))
            label = _first_value(attrs, [RDFS_LABEL, *LABEL_PREDICATES]) or curie(node_id)
            attrs.pop("rdfs_label", None)
            start = next((min(dates[p]) for p in START_PREDICATES if dates.get(p)), None)
            self._has_start = self._has_start or start is not None
            record = [
                label,
                local_name(own[0]) if own else "Resource",
                [local_name(t) for t in own],
                start,
                [[name, sorted(lex for _, lex in vals)] for name, vals in sorted(attrs.items())],
            ]
            writer.execute("INSERT INTO records VALUES (?, ?)", (node_id, json.dumps(record, ensure_ascii=False)))
            writer.executemany(
                "INSERT INTO edges VALUES (?, ?, ?, ?, ?)", [(node_id, n, t, g, start) for n, t, g in edge_keys]
            )
        self.attr_types = {name: _unify(k) for name, k in sorted(kinds.items()) if not name.startswith("\0")}
        self.attr_types.pop("rdfs_label", None)

    @property
    def node_count(self) -> int:
        return int(self._node_count)

    @property
    def edge_count(self) -> int:
        return int(self._edge_count)

    @property
    def has_start(self) -> bool:
        return self._has_start

    def iter_nodes(self) -> Iterator[Node]:
        for node_id, data in self.db.execute("SELECT id, data FROM records ORDER BY rowid"):
            label, type_, types, start, attrs = json.loads(data)
            flat: dict[str, Scalar] = {}
            for name, lexicals in attrs:
                kind = self.attr_types[name]
                flat[name] = _convert(kind, lexicals[0]) if len(lexicals) == 1 else " | ".join(lexicals)
            yield Node(id=node_id, label=label, type=type_, types=tuple(types), start=start, attrs=flat)

    def iter_edges(self) -> Iterator[Edge]:
        rows = self.db.execute(
            "SELECT e.source, e.rel, e.target, e.g, e.start, q.quote FROM edges e "
            "LEFT JOIN quotes q ON q.body = e.source AND q.g = e.g ORDER BY e.source, e.rel, e.target, e.g"
        )
        for index, (source, rel, target, g, start, quote) in enumerate(rows):
            yield Edge(
                id=f"e{index}",
                source=source,
                target=target,
                relation=rel,
                graph=g,
                release=self.releases.get(g, ""),
                quote=quote or "",
                start=start,
            )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StreamedGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def project_quads(quads: Iterable[ox.Quad | ox.Triple]) -> PropertyGraph:
    """Project RDF onto a property graph; the one projection every property-graph writer uses.

    Nodes are the resources (IRIs outside the vocabulary namespaces, and blank nodes nothing points
    to); literals and vocabulary IRIs (``bg:DateStated``) become attributes, never nodes. A blank
    node is folded into the resource that points to it: its values become that resource's attributes
    (and edges), named by the property path (``oa_hasTarget.oa_hasSelector.oa_exact``). Edges carry
    the named graph they are asserted in, its source release, and the annotations quoting their subject.
    Several values of one attribute are joined with `` | `` so that every format can hold them.

    This is ``StreamedGraph`` (in an in-memory database) materialised; exports stream it from disk instead.
    """
    with StreamedGraph(quads) as graph:
        return PropertyGraph(
            nodes={n.id: n for n in graph.iter_nodes()}, edges=list(graph.iter_edges()), attr_types=graph.attr_types
        )


def _unify(kinds: set[str]) -> str:
    if kinds <= {"int"}:
        return "int"
    if kinds <= {"int", "float"}:
        return "float"
    if kinds == {"bool"}:
        return "bool"
    return "str"


def _first_value(attrs: dict[str, set[tuple[str, str]]], predicates: list[str]) -> str | None:
    for predicate in predicates:
        vals = attrs.get(term_name(predicate))
        if vals:
            return min(lex for _, lex in vals)
    return None


def project_triples(triples: Iterable[ox.Triple | ox.Quad]) -> PropertyGraph:
    """The projection of a CONSTRUCT or DESCRIBE result (edges then carry no graph)."""
    return project_quads(triples)


def named_quads(store: QueryStore) -> Iterator[ox.Quad]:
    """Every quad of the named graphs (the default graph only repeats them as a merge)."""
    for graph in sorted(store.store.named_graphs(), key=str):
        yield from store.store.quads_for_pattern(None, None, None, graph)


def project_store(store: QueryStore) -> PropertyGraph:
    """The projection of the whole store, in memory (``bordergraph.to_networkx()``, tests)."""
    return project_quads(named_quads(store))


# --------------------------------------------------------------------------------------------
# Property-graph writers
#
# Hand-written and streaming: each reads nodes and edges one at a time and writes them out, so an
# export holds one node in memory, not the graph. networkx's GraphML and GEXF writers build the
# whole document as an ElementTree first (about 3 GB at 1 M triples); the files written here read
# back into networkx with the same nodes, edges and attributes (the tests check it).
# --------------------------------------------------------------------------------------------


def to_networkx(pg: PropertyGraph) -> nx.MultiDiGraph:
    """A NetworkX multigraph of the projection: node and edge attributes are plain scalars."""
    import networkx as nx

    graph = nx.MultiDiGraph(name="bordergraph")
    for node in pg.nodes.values():
        graph.add_node(node.id, **_node_data(node))
    for edge in pg.edges:
        graph.add_edge(edge.source, edge.target, key=edge.id, **_edge_data(edge))
    return graph


def _node_data(node: Node) -> dict[str, Scalar]:
    data: dict[str, Scalar] = {"label": node.label, "type": node.type, "types": ";".join(node.types)}
    if node.start:
        data["start"] = node.start
    data.update(node.attrs)
    return data


def _edge_data(edge: Edge) -> dict[str, Scalar]:
    data: dict[str, Scalar] = {"label": edge.relation, "relation": edge.relation, "graph": edge.graph}
    data["release"], data["quote"] = edge.release, edge.quote
    if edge.start:
        data["start"] = edge.start
    return data


def _text(value: str) -> str:
    return escape(value)


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _xml_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_GRAPHML_TYPES = {"str": "string", "int": "long", "float": "double", "bool": "boolean"}
_GEXF_TYPES = _GRAPHML_TYPES
_NODE_BASE = {"label": "str", "type": "str", "types": "str", "start": "str"}
_EDGE_KEYS = ["label", "relation", "graph", "release", "quote", "start"]


def _node_keys(graph: GraphSource) -> dict[str, str]:
    """Node attribute name → kind, as ``_node_data`` builds them (attributes override the fixed ones)."""
    return _NODE_BASE | graph.attr_types


def stream_graphml(graph: GraphSource, out: TextIO) -> None:
    """GraphML with a ``label`` key (Gephi, yEd) and a ``name`` key (Cytoscape's default label column)."""
    out.write(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    keys = [(name, "node", kind) for name, kind in _node_keys(graph).items()] + [("name", "node", "str")]
    keys += [(name, "edge", "str") for name in _EDGE_KEYS] + [("name", "graph", "str")]
    for name, scope, kind in keys:
        out.write(
            f'  <key id="{_attr(name)}" for="{scope}" attr.name="{_attr(name)}" attr.type="{_GRAPHML_TYPES[kind]}" />\n'
        )
    out.write('  <graph edgedefault="directed">\n')
    for node in graph.iter_nodes():
        out.write(f'    <node id="{_attr(node.id)}">\n')
        for name, value in (_node_data(node) | {"name": node.label}).items():
            out.write(f'      <data key="{_attr(name)}">{_text(_xml_value(value))}</data>\n')
        out.write("    </node>\n")
    for edge in graph.iter_edges():
        out.write(f'    <edge source="{_attr(edge.source)}" target="{_attr(edge.target)}" id="{_attr(edge.id)}">\n')
        for name, value in _edge_data(edge).items():
            out.write(f'      <data key="{name}">{_text(_xml_value(value))}</data>\n')
        out.write("    </edge>\n")
    out.write('    <data key="name">bordergraph</data>\n  </graph>\n</graphml>\n')


def stream_gexf(graph: GraphSource, out: TextIO) -> None:
    """GEXF 1.2 for Gephi; nodes and edges with a date get ``start`` so the timeline works."""
    node_keys = {name: kind for name, kind in _node_keys(graph).items() if name not in {"label", "start"}}
    node_ids = {name: str(i) for i, name in enumerate(node_keys)}
    edge_keys = {"relation": "str", "graph": "str", "release": "str", "quote": "str", "networkx_key": "str"}
    edge_ids = {name: str(i + len(node_ids)) for i, name in enumerate(edge_keys)}
    mode = ' mode="dynamic" name="bordergraph" timeformat="date"' if graph.has_start else ""
    mode = mode or ' mode="static" name="bordergraph"'
    out.write(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
        f'  <meta lastmodifieddate="{dt.date.today().isoformat()}">\n'
        "    <creator>bordergraph</creator>\n  </meta>\n"
        f'  <graph defaultedgetype="directed"{mode}>\n'
    )
    for cls, keys, ids in (("edge", edge_keys, edge_ids), ("node", node_keys, node_ids)):
        out.write(f'    <attributes mode="static" class="{cls}">\n')
        for name, kind in keys.items():
            out.write(f'      <attribute id="{ids[name]}" title="{_attr(name)}" type="{_GEXF_TYPES[kind]}" />\n')
        out.write("    </attributes>\n")
    out.write("    <nodes>\n")
    for node in graph.iter_nodes():
        data = _node_data(node)
        label, start = data.pop("label"), data.pop("start", None)
        when = f' start="{_attr(str(start))}"' if start is not None else ""
        out.write(f'      <node id="{_attr(node.id)}" label="{_attr(str(label))}"{when}>\n        <attvalues>\n')
        for name, value in data.items():
            out.write(f'          <attvalue for="{node_ids[name]}" value="{_attr(_xml_value(value))}" />\n')
        out.write("        </attvalues>\n      </node>\n")
    out.write("    </nodes>\n    <edges>\n")
    for edge in graph.iter_edges():
        data = _edge_data(edge)
        label, start = data.pop("label"), data.pop("start", None)
        data["networkx_key"] = edge.id
        when = f' start="{_attr(str(start))}"' if start is not None else ""
        out.write(
            f'      <edge source="{_attr(edge.source)}" target="{_attr(edge.target)}" id="{edge.id[1:]}" '
            f'label="{_attr(str(label))}"{when}>\n        <attvalues>\n'
        )
        for name, value in data.items():
            out.write(f'          <attvalue for="{edge_ids[name]}" value="{_attr(_xml_value(value))}" />\n')
        out.write("        </attvalues>\n      </edge>\n")
    out.write("    </edges>\n  </graph>\n</gexf>\n")


def stream_cytoscape(graph: GraphSource, out: TextIO) -> None:
    """Cytoscape.js JSON (``elements`` of ``data``), also what Cytoscape desktop imports as .cyjs.

    The bytes are those of ``json.dumps(document, indent=1)``, written one element at a time.
    """
    document = {
        "format_version": "1.0",
        "generated_by": "bordergraph",
        "target_cytoscapejs_version": "~3",
        "data": {"name": "bordergraph"},
        "elements": {"nodes": ["\0"], "edges": ["\0"]},
    }
    head, middle, tail = json.dumps(document, ensure_ascii=False, indent=1).split('"\\u0000"')
    item_indent = "\n" + head.rsplit("\n", 1)[1]
    close = middle.split("]", 1)[0] + "]"  # the line break and indent before a list's closing bracket

    def write_list(items: Iterator[dict[str, Any]]) -> None:
        first = True
        for item in items:
            text = json.dumps(item, ensure_ascii=False, indent=1).replace("\n", item_indent)
            out.write(("" if first else ",") + item_indent + text)
            first = False
        out.write("]" if first else close)  # json.dumps writes an empty list as []

    out.write(head[: -len(item_indent)])
    write_list({"data": _cytoscape_node(n)} for n in graph.iter_nodes())
    out.write(middle[len(close) : -len(item_indent)])
    write_list({"data": _cytoscape_edge(e)} for e in graph.iter_edges())
    out.write(tail[len(close) :])


def _cytoscape_node(n: Node) -> dict[str, Any]:
    data: dict[str, Any] = {"id": n.id, "name": n.label, "label": n.label, "type": n.type, "types": list(n.types)}
    if n.start:
        data["start"] = n.start
    data.update(n.attrs)
    return data


def _cytoscape_edge(e: Edge) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": e.id,
        "source": e.source,
        "target": e.target,
        "interaction": e.relation,
        "label": e.relation,
        "graph": e.graph,
        "release": e.release,
        "quote": e.quote,
    }
    if e.start:
        data["start"] = e.start
    return data


NEO4J_TYPES = {"int": ":long", "float": ":double", "bool": ":boolean", "str": ""}


def _csv_value(value: Scalar | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stream_neo4j_nodes(graph: GraphSource, out: TextIO) -> None:
    """``nodes.csv`` in the header format of ``neo4j-admin database import``.

    Every node has the label ``Resource`` plus its types; ``iri`` is the import ID and a property.
    Written by hand: the header format is Neo4j's own, and the csv module does the quoting.
    """
    attr_names = list(graph.attr_types)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["iri:ID", "label", "type", ":LABEL", "start:date"]
        + [f"{name}{NEO4J_TYPES[graph.attr_types[name]]}" for name in attr_names]
    )
    for n in graph.iter_nodes():
        labels = ";".join(dict.fromkeys(["Resource", *n.types]))
        writer.writerow(
            [n.id, n.label, n.type, labels, n.start or ""] + [_csv_value(n.attrs.get(a)) for a in attr_names]
        )


def stream_neo4j_edges(graph: GraphSource, out: TextIO) -> None:
    """``edges.csv`` (relationships) in the header format of ``neo4j-admin database import``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([":START_ID", ":END_ID", ":TYPE", "id", "graph", "release", "quote", "start:date"])
    for e in graph.iter_edges():
        writer.writerow([e.source, e.target, e.relation, e.id, e.graph, e.release, e.quote, e.start or ""])


def _cypher_string(value: str) -> str:
    # JSON's string escapes are a subset of Cypher's, so a JSON string is a valid Cypher string.
    return json.dumps(value, ensure_ascii=False)


def _cypher_value(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _cypher_string(value)


def _cypher_map(values: dict[str, Scalar]) -> str:
    return "{" + ", ".join(f"`{k}`: {_cypher_value(v)}" for k, v in values.items()) + "}"


def stream_cypher(graph: GraphSource, out: TextIO) -> None:
    """A Cypher script of MERGE statements: running it twice leaves the database unchanged.

    Nodes merge on ``iri``; edges merge on (start, type, graph, end), the projection's edge identity.
    """
    out.write("// bordergraph property graph. Idempotent: nodes MERGE on iri, relationships on (type, graph).\n")
    out.write("CREATE CONSTRAINT bordergraph_resource_iri IF NOT EXISTS FOR (n:Resource) REQUIRE n.iri IS UNIQUE;\n")
    for n in graph.iter_nodes():
        props: dict[str, Scalar] = {"label": n.label, "type": n.type}
        if n.start:
            props["start"] = n.start
        props.update(n.attrs)
        labels = "".join(f":`{t}`" for t in n.types)
        set_labels = f" SET n{labels}" if labels else ""
        out.write(f"MERGE (n:Resource {{iri: {_cypher_string(n.id)}}}){set_labels} SET n += {_cypher_map(props)};\n")
    for e in graph.iter_edges():
        props = {"release": e.release, "quote": e.quote}
        if e.start:
            props["start"] = e.start
        out.write(
            f"MATCH (a:Resource {{iri: {_cypher_string(e.source)}}}), (b:Resource {{iri: {_cypher_string(e.target)}}}) "
            f"MERGE (a)-[r:`{e.relation}` {{graph: {_cypher_string(e.graph)}}}]->(b) SET r += {_cypher_map(props)};\n"
        )


def _to_bytes(stream: Callable[[GraphSource, TextIO], None], graph: GraphSource) -> bytes:
    buffer = io.StringIO()
    stream(graph, buffer)
    return buffer.getvalue().encode("utf-8")


def write_graphml(pg: GraphSource) -> bytes:
    """GraphML with a ``label`` key (Gephi, yEd) and a ``name`` key (Cytoscape's default label column)."""
    return _to_bytes(stream_graphml, pg)


def write_gexf(pg: GraphSource) -> bytes:
    """GEXF 1.2 for Gephi; nodes and edges with a date get ``start`` so the timeline works."""
    return _to_bytes(stream_gexf, pg)


def write_cytoscape(pg: GraphSource) -> bytes:
    """Cytoscape.js JSON (``elements`` of ``data``), also what Cytoscape desktop imports as .cyjs."""
    return _to_bytes(stream_cytoscape, pg)


def write_neo4j_csv(pg: GraphSource) -> tuple[bytes, bytes]:
    """``nodes.csv`` and ``edges.csv`` in the header format of ``neo4j-admin database import``."""
    return _to_bytes(stream_neo4j_nodes, pg), _to_bytes(stream_neo4j_edges, pg)


def write_cypher(pg: GraphSource) -> bytes:
    """A Cypher script of MERGE statements: running it twice leaves the database unchanged."""
    return _to_bytes(stream_cypher, pg)


#: Property-graph formats the endpoint can answer CONSTRUCT/DESCRIBE with: media type → writer.
PROPERTY_GRAPH_FORMATS: dict[str, Callable[[GraphSource], bytes]] = {
    GRAPHML_TYPE: write_graphml,
    GEXF_TYPE: write_gexf,
    CYJS_TYPE: write_cytoscape,
}
#: Values of the endpoint's ``format`` parameter → media type.
PROPERTY_GRAPH_FORMAT_NAMES: dict[str, str] = {
    "graphml": GRAPHML_TYPE,
    "gexf": GEXF_TYPE,
    "cytoscape": CYJS_TYPE,
    "cyjs": CYJS_TYPE,
}


def property_graph_bytes(triples: Iterable[ox.Triple | ox.Quad], media_type: str) -> bytes:
    """Serialise a CONSTRUCT/DESCRIBE result as GraphML, GEXF or Cytoscape JSON (for the endpoint).

    Raises:
        KeyError: ``media_type`` is not one of ``PROPERTY_GRAPH_FORMATS``.

    """
    writer = PROPERTY_GRAPH_FORMATS[media_type]
    with StreamedGraph(triples) as graph:
        return writer(graph)


# --------------------------------------------------------------------------------------------
# RDF dumps: streamed, sorted on disk, blank nodes labelled canonically
# --------------------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Content:
    """SQLite aggregate: the digest of a blank node's outgoing quads, as sorted lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, line: str | None) -> None:
        if line is not None:
            self.lines.append(line)

    def finalize(self) -> str:
        return _digest("\n".join(sorted(self.lines)))


_BLANK_SCHEMA = """
CREATE TABLE q(g TEXT, s TEXT, p TEXT, o TEXT, sb INTEGER, ob INTEGER);
CREATE TABLE b(
  id TEXT PRIMARY KEY, indeg INTEGER, parent TEXT, pb INTEGER, pp TEXT, pg TEXT, c TEXT, k TEXT, label TEXT
);
"""
_BLANK_INDEX = """
CREATE INDEX q_s ON q(s) WHERE sb;
CREATE INDEX q_o ON q(o) WHERE ob;
INSERT OR IGNORE INTO b(id) SELECT s FROM q WHERE sb;
INSERT OR IGNORE INTO b(id) SELECT o FROM q WHERE ob;
UPDATE b SET indeg = (SELECT count(*) FROM q WHERE q.ob AND q.o = b.id);
UPDATE b SET (parent, pb, pp, pg) = (SELECT s, sb, p, g FROM q WHERE q.ob AND q.o = b.id) WHERE indeg = 1;
"""
# Bottom-up: a blank node's content digest, once every blank node it points to has one (an aggregate
# over no rows is NULL in Python's sqlite3, hence the coalesce for blank nodes without quads of their own).
_CONTENT_ROUND = """
UPDATE b SET c = coalesce((
  SELECT content(q.g || ' ' || q.p || ' ' || CASE WHEN q.ob THEN '_:' || ch.c ELSE q.o END)
  FROM q LEFT JOIN b ch ON q.ob AND ch.id = q.o WHERE q.sb AND q.s = b.id), digest(''))
WHERE c IS NULL AND indeg <= 1 AND NOT EXISTS (
  SELECT 1 FROM q JOIN b ch ON ch.id = q.o WHERE q.sb AND q.s = b.id AND q.ob AND ch.c IS NULL)
"""
# Top-down: a key from where the blank node hangs (an IRI, or its labelled parent) and its content.
_ROOT_KEYS = """
UPDATE b SET k = digest(coalesce(parent, '') || ' ' || coalesce(pp, '') || ' ' || coalesce(pg, '') || ' ' || c)
WHERE c IS NOT NULL AND (indeg = 0 OR NOT pb)
"""
_CHILD_KEYS = """
UPDATE b SET k = digest('_:' || (SELECT label FROM b up WHERE up.id = b.parent) || ' ' || pp || ' ' || pg || ' ' || c)
WHERE k IS NULL AND c IS NOT NULL AND pb AND (SELECT label FROM b up WHERE up.id = b.parent) IS NOT NULL
"""
_LABELS = """
UPDATE b SET label = 'c14n' || (? + r.n - 1)
FROM (SELECT id, row_number() OVER (ORDER BY k) AS n FROM b WHERE label IS NULL AND k IS NOT NULL) AS r
WHERE b.id = r.id
"""
# Every blank-node quad, relabelled, and whether both its blank nodes have tree labels.
_BLANK_QUADS = """
SELECT q.g, CASE WHEN q.sb THEN '_:' || bs.label ELSE q.s END, q.p, CASE WHEN q.ob THEN '_:' || bo.label ELSE q.o END,
  (NOT q.sb OR bs.label IS NOT NULL) AND (NOT q.ob OR bo.label IS NOT NULL), q.s, q.o
FROM q LEFT JOIN b bs ON q.sb AND bs.id = q.s LEFT JOIN b bo ON q.ob AND bo.id = q.o
"""


def _canonical(quads: Iterable[ox.Quad], workdir: Path) -> Iterator[tuple[str, str, str, str]]:
    """The quads as N-Quads terms (graph, subject, predicate, object), blank nodes labelled canonically.

    Labels are the same run after run and depend on the data alone, without holding it in memory.
    Blank nodes that form trees (each is the object of at most one quad, as annotation targets and
    selectors are) are labelled from a digest of where they hang (the IRI or labelled blank node
    pointing to them, the predicate and the graph) and of their content (their quads, children by
    content digest), computed in a scratch SQLite database on disk; ``c14n<n>`` numbers them level
    by level in digest order. Two blank nodes with equal keys are interchangeable (same parent,
    predicate, graph and content), so either order writes the same bytes. Any other blank node
    (pointed to twice, in a cycle, or connected to such a one) falls back to RDFC-1.0 in memory,
    with only its own quads held, numbered after the tree labels.
    """
    scratch = Path(tempfile.mkdtemp(prefix="blank-", dir=workdir)) / "blank.sqlite"
    db = _sqlite(str(scratch))
    db.create_function("digest", 1, _digest, deterministic=True)
    db.create_aggregate("content", 1, _Content)  # type: ignore[arg-type]
    db.executescript(_BLANK_SCHEMA)

    source = iter(quads)
    plain: list[tuple[str, str, str, str]] = []
    exhausted = False

    def blank_rows() -> Iterator[tuple[str, str, str, str, bool, bool]]:
        """Quads with a blank node, for the database; the others are set aside (a bounded batch at a time)."""
        nonlocal exhausted
        for quad in source:
            s, o = quad.subject, quad.object
            row = (str(quad.graph_name), str(s), str(quad.predicate), str(o))
            sb, ob = isinstance(s, ox.BlankNode), isinstance(o, ox.BlankNode)
            if sb or ob:
                yield (*row, sb, ob)
            else:
                plain.append(row)
                if len(plain) >= 10_000:
                    return
        exhausted = True

    fallback: list[str] = []
    try:
        while not exhausted:
            db.executemany("INSERT INTO q VALUES (?, ?, ?, ?, ?, ?)", blank_rows())
            yield from plain
            plain.clear()
        db.executescript(_BLANK_INDEX)
        while db.execute(_CONTENT_ROUND).rowcount:
            pass
        db.execute(_ROOT_KEYS)
        labelled = db.execute(_LABELS, (0,)).rowcount
        while db.execute(_CHILD_KEYS).rowcount:
            labelled += db.execute(_LABELS, (labelled,)).rowcount
        for g, s, p, o, done, old_s, old_o in db.execute(_BLANK_QUADS):
            if done:
                yield g, s, p, o
            else:
                fallback.append(f"{old_s} {p} {old_o}" + (f" {g} .\n" if g != "DEFAULT" else " .\n"))
    finally:
        db.close()
        shutil.rmtree(scratch.parent)
    if fallback:
        dataset = ox.Dataset(ox.parse("".join(fallback), format=ox.RdfFormat.N_QUADS))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)

        def relabel(term: Any) -> str:
            if isinstance(term, ox.BlankNode):
                return f"_:c14n{labelled + int(term.value[4:])}"
            return str(term)

        for quad in dataset:
            yield str(quad.graph_name), relabel(quad.subject), str(quad.predicate), relabel(quad.object)


def _external_sort(lines: Iterable[str], workdir: Path, chunk: int = 200_000) -> Iterator[str]:
    """Sorted, de-duplicated lines with at most ``chunk`` of them in memory (runs spilled to disk).

    Written by hand around ``heapq.merge``: nothing maintained sorts a Python stream on disk.
    """
    runs: list[Path] = []
    buffer: list[str] = []

    def spill() -> None:
        run = workdir / f"run-{len(runs)}.txt"
        with run.open("w", encoding="utf-8") as handle:
            handle.writelines(line + "\n" for line in sorted(buffer))
        runs.append(run)
        buffer.clear()

    for line in lines:
        buffer.append(line)
        if len(buffer) >= chunk:
            spill()
    if not runs:
        yield from sorted(set(buffer))
        return
    if buffer:
        spill()
    handles = [run.open(encoding="utf-8") for run in runs]
    try:
        previous = None
        for line in heapq.merge(*handles):
            if line != previous:
                yield line.rstrip("\n")
                previous = line
    finally:
        for handle in handles:
            handle.close()


def write_sorted_nquads(store: QueryStore, target: Path, workdir: Path) -> int:
    """Named graphs as N-Quads, sorted by graph then triple; returns the number of quads."""
    keyed = (f"{g} {s} {p} {o}" for g, s, p, o in _canonical(named_quads(store), workdir))
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for line in _external_sort(keyed, workdir):
            graph, _, triple = line.partition(" ")
            out.write(f"{triple} {graph} .\n")
            count += 1
    return count


def write_sorted_ntriples(store: QueryStore, target: Path, workdir: Path) -> int:
    """The default graph (the RDF merge of all graphs) as sorted N-Triples; returns the number of triples."""
    default = store.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    lines = (f"{s} {p} {o}" for _g, s, p, o in _canonical(default, workdir))
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for line in _external_sort(lines, workdir):
            out.write(line + " .\n")
            count += 1
    return count


def jsonld_context() -> dict[str, Any]:
    """The published JSON-LD context: the project prefix map, nothing else."""
    return {"@context": dict(PREFIXES)}


def _write_jsonld(nquads: Path, target: Path) -> None:
    """Stream pyoxigraph's JSON-LD of the named graphs inside a document carrying the published context."""
    context = json.dumps(jsonld_context()["@context"], ensure_ascii=False, indent=1)
    with target.open("wb") as out:
        out.write(b'{"@context": ' + context.encode("utf-8") + b',\n"@graph": ')
        ox.serialize(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS), out, ox.RdfFormat.JSON_LD)
        out.write(b"}\n")


def write_rdf_dumps(store: QueryStore, out: Path) -> dict[str, int]:
    """Write every RDF dump into ``out``; returns the triple (or quad) count of each file.

    N-Quads and N-Triples are sorted with canonical blank nodes; Turtle, TriG and RDF/XML are
    streamed from them by pyoxigraph, so every dump is byte-stable from run to run.
    """
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bordergraph-sort-") as tmp:
        counts[NQ] = write_sorted_nquads(store, out / NQ, Path(tmp))
        counts[NT] = write_sorted_ntriples(store, out / NT, Path(tmp))
    for name, source, fmt in [
        (TRIG, NQ, ox.RdfFormat.TRIG),
        (TTL, NT, ox.RdfFormat.TURTLE),
        (RDFXML, NT, ox.RdfFormat.RDF_XML),
    ]:
        source_format = ox.RdfFormat.N_QUADS if source == NQ else ox.RdfFormat.N_TRIPLES
        ox.serialize(ox.parse(path=out / source, format=source_format), out / name, fmt, prefixes=PREFIXES)
        counts[name] = counts[source]
    _write_jsonld(out / NQ, out / JSONLD)
    counts[JSONLD] = counts[NQ]
    (out / CONTEXT).write_text(json.dumps(jsonld_context(), indent=1) + "\n", encoding="utf-8")
    return counts


# --------------------------------------------------------------------------------------------
# The export folder: dumps, property graph, vocabulary, manifest and SHA256SUMS
# --------------------------------------------------------------------------------------------

MEDIA_TYPES = dict(DUMPS) | {
    CONTEXT: "application/ld+json",
    GRAPHML: GRAPHML_TYPE,
    GEXF: GEXF_TYPE,
    CYJS: CYJS_TYPE,
    NEO4J_NODES: "text/csv",
    NEO4J_EDGES: "text/csv",
    CYPHER: "application/x-cypher-query",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_property_graph(graph: GraphSource, out: Path) -> None:
    """Every property-graph file, from the one projection, each streamed to disk."""
    (out / "neo4j").mkdir(parents=True, exist_ok=True)
    for name, stream in [
        (GRAPHML, stream_graphml),
        (GEXF, stream_gexf),
        (CYJS, stream_cytoscape),
        (NEO4J_NODES, stream_neo4j_nodes),
        (NEO4J_EDGES, stream_neo4j_edges),
        (CYPHER, stream_cypher),
    ]:
        with (out / name).open("w", encoding="utf-8", newline="\n") as handle:
            stream(graph, handle)


def write_store_property_graph(store: QueryStore, out: Path) -> tuple[int, int]:
    """Project the store's named graphs through a scratch database on disk and write every file; (nodes, edges)."""
    with (
        tempfile.TemporaryDirectory(prefix="bordergraph-projection-") as tmp,
        StreamedGraph(named_quads(store), Path(tmp) / "projection.sqlite") as graph,
    ):
        write_property_graph(graph, out)
        return graph.node_count, graph.edge_count


def export(
    store: QueryStore,
    out: Path,
    vocabulary: Iterable[Path] = (),
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write all dumps, the property graph, the vocabulary files, ``manifest.json`` and ``SHA256SUMS``.

    Args:
        store: the validated store (its default graph is the merge of its named graphs).
        out: the folder to write into (created if needed).
        vocabulary: ontology and shapes files, copied unchanged into ``out/ontology/``.
        metadata: extra top-level manifest fields (a release's version, date and version IRI).

    Returns:
        The manifest.

    """
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {name: {"triples": n} for name, n in write_rdf_dumps(store, out).items()}
    for name in DATASET_DUMPS:
        counts[name] = {"quads": counts[name]["triples"]}
    nodes, edges = write_store_property_graph(store, out)
    for name in (GRAPHML, GEXF, CYJS, NEO4J_NODES, NEO4J_EDGES, CYPHER):
        counts[name] = {"nodes": nodes, "edges": edges}
    files = [*counts, CONTEXT]
    for source in vocabulary:
        name = f"ontology/{source.name}"
        (out / "ontology").mkdir(exist_ok=True)
        shutil.copyfile(source, out / name)
        MEDIA_TYPES.setdefault(name, "text/turtle")
        files.append(name)
    from bordergraph import __version__

    manifest: dict[str, Any] = {"generator": f"bordergraph {__version__}", **(metadata or {}), "files": []}
    for name in sorted(files):
        path = out / name
        entry: dict[str, Any] = {
            "file": name,
            "format": FORMAT_NAMES.get(name, "Turtle"),
            "media_type": MEDIA_TYPES[name],
            "size": path.stat().st_size,
        }
        entry.update(counts.get(name, {}))
        entry["sha256"] = _sha256(path)
        manifest["files"].append(entry)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_checksums(out)
    return manifest


def write_checksums(out: Path) -> Path:
    """``SHA256SUMS`` for every file under ``out`` (``sha256sum -c SHA256SUMS`` checks them)."""
    target = out / "SHA256SUMS"
    lines = [
        f"{_sha256(path)}  {path.relative_to(out).as_posix()}"
        for path in sorted(out.rglob("*"))
        if path.is_file() and path != target
    ]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def export_built(built: Built, out: Path, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Export a validated build, with its ontology, topics and shapes beside the dumps."""
    paths = built.loaded.paths
    return export(built.store, out, [*paths.ontology_files, paths.shapes_file], metadata)


# --------------------------------------------------------------------------------------------
# Releases
# --------------------------------------------------------------------------------------------

VERSION_IRI = re.compile(r"owl:versionIRI\s+<[^>]*>")
VERSION_INFO = re.compile(r'owl:versionInfo\s+"[^"]*"')


class ReleaseError(Exception):
    """A release cannot be written; the message says what to change."""


def version_iri(date: dt.date) -> str:
    """The dated version IRI of the ontology in a release."""
    return f"{ONTOLOGY_IRI}/{date.isoformat()}"


def _stamp_ontology(path: Path, version: str, date: dt.date) -> None:
    """Set owl:versionIRI and owl:versionInfo in the released copy of the ontology (text edit keeps comments)."""
    text = path.read_text(encoding="utf-8")
    if len(VERSION_IRI.findall(text)) != 1 or len(VERSION_INFO.findall(text)) != 1:
        raise ReleaseError(f'{path.name} must state owl:versionIRI <...> and owl:versionInfo "..." exactly once')
    text = VERSION_IRI.sub(f"owl:versionIRI <{version_iri(date)}>", text)
    text = VERSION_INFO.sub(f'owl:versionInfo "{version}"', text)
    path.write_text(text, encoding="utf-8")


def _stamped(store: QueryStore, version: str, date: dt.date) -> QueryStore:
    """A copy of the store whose ontology states the release's version IRI and version."""
    from bordergraph.querystore import QueryStore

    owl = PREFIXES["owl"]
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    replaced = {ox.NamedNode(owl + "versionIRI"), ox.NamedNode(owl + "versionInfo")}
    copy = ox.Store()
    copy.bulk_extend(
        q
        for q in store.store.quads_for_pattern(None, None, None, None)
        if not (q.subject == ontology and q.predicate in replaced)
    )
    new: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (ox.NamedNode(owl + "versionIRI"), ox.NamedNode(version_iri(date))),
        (ox.NamedNode(owl + "versionInfo"), ox.Literal(version)),
    ]
    for graph in (ox.NamedNode(str(BGG["ontology"])), ox.DefaultGraph()):
        copy.bulk_extend(ox.Quad(ontology, p, o, graph) for p, o in new)
    return QueryStore(copy)


def _previous_release(dist: Path, current: str) -> Path | None:
    """The most recent other release in ``dist`` (by date, then version), if any."""
    found: list[tuple[str, str, Path]] = []
    for manifest in dist.glob("*/manifest.json"):
        if manifest.parent.name == current:
            continue
        data = json.loads(manifest.read_text(encoding="utf-8"))
        found.append((str(data.get("date", "")), str(data.get("version", "")), manifest.parent))
    return max(found)[2] if found else None


def graph_changes(previous: Path | None, current: Path) -> dict[str, dict[str, int]]:
    """Triples added and removed per named graph between two N-Quads dumps (blank nodes compared canonically)."""
    from rdflib import Dataset, URIRef
    from rdflib.compare import graph_diff, to_isomorphic

    def graphs(path: Path | None) -> dict[str, Any]:
        if path is None:
            return {}
        dataset = Dataset()
        dataset.parse(path, format="nquads")
        return {str(g.identifier): g for g in dataset.graphs() if len(g) and isinstance(g.identifier, URIRef)}

    old, new = graphs(previous), graphs(current)
    changes: dict[str, dict[str, int]] = {}
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            changes[name] = {"added": len(new.get(name, ())), "removed": len(old.get(name, ()))}
            continue
        _both, removed, added = graph_diff(to_isomorphic(old[name]), to_isomorphic(new[name]))
        changes[name] = {"added": len(added), "removed": len(removed)}
    return changes


def _changelog(version: str, date: dt.date, previous: Path | None, changes: dict[str, dict[str, int]]) -> str:
    against = f"release {previous.name}" if previous else "nothing (first release)"
    lines = [
        f"# bordergraph {version} ({date.isoformat()})",
        "",
        f"Ontology version IRI: <{version_iri(date)}>",
        "",
        f"Changes against {against}, in triples per named graph:",
        "",
        "| graph | added | removed |",
        "|---|---:|---:|",
    ]
    lines += [f"| {curie(g)} | {c['added']} | {c['removed']} |" for g, c in changes.items()]
    total_added = sum(c["added"] for c in changes.values())
    total_removed = sum(c["removed"] for c in changes.values())
    lines += [f"| **total** | {total_added} | {total_removed} |", ""]
    return "\n".join(lines)


def release(built: Built, dist: Path, version: str, date: dt.date, force: bool = False) -> Path:
    """Write ``dist/<version>/``: every export, the dated version IRI, and a changelog against the last release.

    Raises:
        ReleaseError: the release folder exists (and ``force`` is off), or the ontology cannot be stamped.

    """
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]*", version):
        raise ReleaseError(f"version {version!r} is not a plain version string such as 0.2.0")
    target = dist / version
    if target.exists():
        if not force:
            raise ReleaseError(f"{target} exists: bump the version in pyproject.toml, or pass --force to rewrite it")
        shutil.rmtree(target)
    previous = _previous_release(dist, version)
    paths = built.loaded.paths
    stamped = _stamped(built.store, version, date)
    metadata = {"version": version, "date": date.isoformat(), "versionIRI": version_iri(date)}
    export(stamped, target, [*paths.ontology_files, paths.shapes_file], metadata)
    _stamp_ontology(target / "ontology" / "bordergraph.ttl", version, date)
    changes = graph_changes(previous / NQ if previous else None, target / NQ)
    (target / "CHANGELOG.md").write_text(_changelog(version, date, previous, changes), encoding="utf-8")
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["previous"] = previous.name if previous else None
    manifest["changes"] = changes
    for entry in manifest["files"]:
        path = target / entry["file"]
        entry["size"], entry["sha256"] = path.stat().st_size, _sha256(path)
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_checksums(target)
    return target


__all__ = [
    "DUMPS",
    "PROPERTY_GRAPH_FORMATS",
    "PROPERTY_GRAPH_FORMAT_NAMES",
    "Edge",
    "GraphSource",
    "Node",
    "PropertyGraph",
    "StreamedGraph",
    "export",
    "project_quads",
    "project_triples",
    "property_graph_bytes",
    "release",
    "to_networkx",
]
