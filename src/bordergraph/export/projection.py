"""The one projection: RDF → property graph (nodes, edges with release and quote); ``to_networkx``.

``StreamedGraph`` projects on disk (a scratch SQLite database) for exports; ``PropertyGraph`` is the
same projection materialised, for ``to_networkx`` and the endpoint's CONSTRUCT answers.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from bordergraph.prefixes import ONTOLOGY_IRI, PREFIXES, RDF_TYPE, RDFS_LABEL, compact

if TYPE_CHECKING:
    import networkx as nx

    from bordergraph.querystore import QueryStore

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


def term_name(iri: str) -> str:
    """Attribute or relation name of a property: ``participant`` for bg: terms, ``org_holds`` for others.

    No colon, so the names work unchanged as Neo4j header fields, Cypher keys and GraphML keys.
    """
    short = compact(iri)
    if short == iri:
        return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri
    prefix, _, local = short.partition(":")
    return local if prefix == "bg" else f"{prefix}_{local}"


def local_name(iri: str) -> str:
    """``Meeting`` for bg:Meeting, ``Person`` for foaf:Person: a node type as people say it."""
    short = compact(iri)
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
        self.has_start = False
        self._walk()
        self.node_count = int(self.db.execute("SELECT count(*) FROM records").fetchone()[0])
        self.edge_count = int(self.db.execute("SELECT count(*) FROM edges").fetchone()[0])

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
                        attrs[name].add(("str", compact(o)))
            for name, vals in attrs.items():
                kinds[name].update({k for k, _ in vals} if len(vals) == 1 else {"str"})
            type_iris = sorted(v for _, v in attrs.pop("\0type", set()))
            own = sorted(type_iris, key=lambda iri: (not iri.startswith(PREFIXES["bg"]), iri))
            label = _first_value(attrs, [RDFS_LABEL, *LABEL_PREDICATES]) or compact(node_id)
            attrs.pop("rdfs_label", None)
            start = next((min(dates[p]) for p in START_PREDICATES if dates.get(p)), None)
            self.has_start = self.has_start or start is not None
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
