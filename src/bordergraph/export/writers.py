"""Property-graph writers: GraphML, GEXF, Cytoscape.js JSON, Neo4j CSV and Cypher, and the format registry.

Hand-written and streaming: each reads nodes and edges one at a time and writes them out, so an
export holds one node in memory, not the graph. networkx's GraphML and GEXF writers build the
whole document as an ElementTree first (about 3 GB at 1 M triples); the files written here read
back into networkx with the same nodes, edges and attributes (the tests check it).

"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO
from xml.sax.saxutils import escape

import pyoxigraph as ox

from bordergraph.export.projection import Edge, GraphSource, Node, Scalar, StreamedGraph, _edge_data, _node_data

GRAPHML_TYPE = "application/graphml+xml"
GEXF_TYPE = "application/gexf+xml"
CYJS_TYPE = "application/vnd.cytoscape.js+json"  # no registered type exists; this one names the format


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
        _gexf_element(out, "node", f'id="{_attr(node.id)}"', _node_data(node), node_ids)
    out.write("    </nodes>\n    <edges>\n")
    for edge in graph.iter_edges():
        data = _edge_data(edge) | {"networkx_key": edge.id}
        ends = f'source="{_attr(edge.source)}" target="{_attr(edge.target)}" id="{edge.id[1:]}"'
        _gexf_element(out, "edge", ends, data, edge_ids)
    out.write("    </edges>\n  </graph>\n</gexf>\n")


def _gexf_element(out: TextIO, tag: str, identity: str, data: dict[str, Scalar], ids: dict[str, str]) -> None:
    """One GEXF node or edge: its label and start as XML attributes, the rest as attvalues."""
    label, start = data.pop("label"), data.pop("start", None)
    when = f' start="{_attr(str(start))}"' if start is not None else ""
    out.write(f'      <{tag} {identity} label="{_attr(str(label))}"{when}>\n        <attvalues>\n')
    for name, value in data.items():
        out.write(f'          <attvalue for="{ids[name]}" value="{_attr(_xml_value(value))}" />\n')
    out.write(f"        </attvalues>\n      </{tag}>\n")


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
