"""The home page's drawings: the actors-and-agreements network and the timeline on a time axis.

The network is the export's actors-and-agreements projection (``export.actors``): actors and
documents as nodes, meetings and events as links, laid out once on the server with a seeded
force layout (networkx) followed by a label collision pass (no two labels overlap, the crowded
hubs included), so the drawing is the same on every load and every restart. The timeline places each
event as each source dates it: full dates at their day, a year or a month as a bar over that
span ("year only"), and keeps dates without a year and events with no date in lanes of their
own, never guessed onto the axis. networkx is imported when the network is first drawn, not with
the app: about 11 MB and 0.1 s that a server answering only SPARQL never needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from bordergraph.export.actors import actors_graph
from bordergraph.prefixes import PREFIXES

if TYPE_CHECKING:
    import networkx as nx

    from bordergraph.web.viewmodel import SiteData, Source, Term

#: Link colours by relation, in this order (Tableau 10); relations beyond get grey.
PALETTE = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#9c755f", "#edc948", "#ff9da7"]
EVENT_FIRST = ["Meeting", "Signing", "Announcement", "Launch", "Deployment", "Event"]
WIDTH, HEIGHT = 1000.0, 640.0
SEED = 20260101  # any fixed number: the same drawing on every load and every machine


def actor_drawing(data: SiteData) -> dict[str, Any]:
    """The actors-and-agreements network, positioned, with its legend and the same links as table rows."""
    import networkx as nx

    graph = actors_graph(data.qs)
    simple = nx.Graph()
    simple.add_nodes_from(sorted(graph.nodes))
    simple.add_edges_from(sorted((e.source, e.target) for e in graph.edges))
    labels = {iri: data.node(iri)["label"] for iri in simple.nodes}
    placed, width, height = layout(simple, labels)
    relations = sorted(
        {e.relation for e in graph.edges},
        key=lambda r: (r not in EVENT_FIRST, EVENT_FIRST.index(r) if r in EVENT_FIRST else 0, r),
    )
    colours = {r: PALETTE[i] if i < len(PALETTE) else "#999999" for i, r in enumerate(relations)}
    nodes = []
    for iri in sorted(graph.nodes):
        node = data.node(iri) | {"kind": graph.nodes[iri].attrs["kind"]}
        node["colour"] = data.node(iri)["colour"]
        x, y = placed[iri]
        nodes.append({"data": node, "position": {"x": round(x, 1), "y": round(y, 1)}})
    edges, rows = [], []
    for e in graph.edges:
        words = e.relation if e.relation in EVENT_FIRST else words_of(e.relation)
        when = f", {e.date}" if e.date else ""
        title = f"{e.event_label or words}{when}"
        edges.append(
            {
                "data": {
                    "id": e.id,
                    "source": e.source,
                    "target": e.target,
                    "label": words,
                    "title": title,
                    "colour": colours[e.relation],
                    "dashed": not e.event,
                }
            }
        )
        link = data.term(ox.NamedNode(e.event)) if e.event else None
        rows.append((data.term(ox.NamedNode(e.source)), words, data.term(ox.NamedNode(e.target)), link, e.date))
    kinds = sorted({n["data"]["kind"] for n in nodes})
    return {
        "width": round(width),
        "height": round(height),
        "nodes": nodes,
        "edges": edges,
        "rows": rows,
        "kinds": sorted({data.node(n["data"]["id"])["kind"] for n in nodes}),
        "node_kinds": kinds,
        "countries": sorted({n["data"]["country"] for n in nodes if n["data"]["country"]}),
        "relations": [(words_of(r) if r not in EVENT_FIRST else r, colours[r], r in EVENT_FIRST) for r in relations],
    }


# What network.js draws, in the layout's units (cytoscape scales text with the drawing, so boxes
# that do not overlap here do not overlap on screen): a node of 22 px, its label 13 px text below
# it, wrapped at 140 px, with a white background. The estimates err on the large side: a wider
# character than the fonts' average (so more lines), and a wrapped label as wide as the wrap.
NODE_RADIUS = 11.0
LABEL_TOP = 12.0  # from the node's centre to the top of its label box
LABEL_WRAP = 140.0  # network.js "text-max-width"
CHAR_PX = 7.6  # 13 px sans-serif: 6.5 to 7.2 px a small letter measured in Chromium
CAPITAL_PX = 10.0  # capitals: INTERPOL is 70 px, M and W wider still
LINE_PX = 13.0
LABEL_PAD = 4.0  # each side: the text background's padding and rounding
GAP = 6.0  # kept free between two boxes


def text_px(text: str) -> float:
    """The width of ``text`` in 13 px sans-serif, estimated on the large side."""
    return sum(CAPITAL_PX if c.isupper() else CHAR_PX for c in text)


def label_lines(label: str) -> int:
    """How many lines the label wraps to at ``LABEL_WRAP`` (greedy by words, wide characters)."""
    lines, width = 1, 0.0
    for word in label.split():
        need = text_px(word)
        if width and width + CHAR_PX + need > LABEL_WRAP:
            lines, width = lines + 1, need
        else:
            width += (CHAR_PX if width else 0.0) + need
    return lines


def label_box(label: str, x: float, y: float) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1) the label of a node at (x, y) takes, estimated on the large side."""
    longest = max((text_px(w) for w in label.split()), default=0.0)  # a word is never cut
    width = min(text_px(label), max(LABEL_WRAP, longest)) + 2 * LABEL_PAD
    height = label_lines(label) * LINE_PX + 2 * LABEL_PAD
    return x - width / 2, y + LABEL_TOP, x + width / 2, y + LABEL_TOP + height


def node_box(label: str, x: float, y: float) -> tuple[float, float, float, float]:
    """The node's circle and its label together."""
    x0, _, x1, y1 = label_box(label, x, y)
    return min(x0, x - NODE_RADIUS), y - NODE_RADIUS, max(x1, x + NODE_RADIUS), y1


def overlapping(boxes: list[tuple[float, float, float, float]], gap: float = 0.0) -> list[tuple[int, int]]:
    """The pairs (i, j), i < j, of boxes that overlap (closer than ``gap``), in order.

    Sweeps the boxes from left to right, so only boxes that share a stretch of x are compared.
    """
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    pairs = []
    for k, i in enumerate(order):
        a = boxes[i]
        for j in order[k + 1 :]:
            b = boxes[j]
            if b[0] >= a[2] + gap:
                break
            if a[1] < b[3] + gap and b[1] < a[3] + gap:
                pairs.append((min(i, j), max(i, j)))
    return sorted(pairs)


def spread(nodes: list[str], labels: dict[str, str], positions: dict[str, tuple[float, float]]) -> None:
    """Move nodes apart until no two (circle and label) boxes overlap: a label collision pass.

    Each overlapping pair is pushed apart, half each, along the axis where they overlap least, in
    a fixed order (deterministic). Where pushes only shuffle a crowd (a node pushed back and forth
    between two neighbours), the part is stretched by a tenth about its centre and the pushes
    start again, which always ends: the boxes keep their size while their centres draw apart.
    Written by hand: networkx's layouts treat nodes as points.
    """
    for _ in range(100):
        for _ in range(60):
            boxes = [node_box(labels[n], *positions[n]) for n in nodes]
            pairs = overlapping(boxes, GAP)
            if not pairs:
                return
            for i, j in pairs:
                a, b = boxes[i], boxes[j]
                (ax, ay), (bx, by) = positions[nodes[i]], positions[nodes[j]]
                push_x = min(a[2], b[2]) - max(a[0], b[0]) + GAP
                push_y = min(a[3], b[3]) - max(a[1], b[1]) + GAP
                if push_x <= push_y:
                    sign = -1.0 if (ax, i) < (bx, j) else 1.0
                    positions[nodes[i]] = (ax + sign * push_x / 2, ay)
                    positions[nodes[j]] = (bx - sign * push_x / 2, by)
                else:
                    sign = -1.0 if (ay, i) < (by, j) else 1.0
                    positions[nodes[i]] = (ax, ay + sign * push_y / 2)
                    positions[nodes[j]] = (bx, by - sign * push_y / 2)
                boxes[i] = node_box(labels[nodes[i]], *positions[nodes[i]])
                boxes[j] = node_box(labels[nodes[j]], *positions[nodes[j]])
        cx = sum(positions[n][0] for n in nodes) / len(nodes)
        cy = sum(positions[n][1] for n in nodes) / len(nodes)
        for n in nodes:
            x, y = positions[n]
            positions[n] = (cx + (x - cx) * 1.1, cy + (y - cy) * 1.1)
    raise RuntimeError(f"the labels of {len(nodes)} nodes still overlap after 100 stretches")


def layout(graph: nx.Graph, labels: dict[str, str]) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Seeded spring layout of each connected part, labels kept apart, the parts packed in rows; (positions, w, h).

    One spring layout of the whole graph throws the unconnected parts to the corners and crowds
    each part into a few pixels; laid out part by part, every part gets room for its labels. The
    spring layout places the nodes, :func:`spread` then moves them until no two labels overlap
    (the hubs, Canada and the United States with their governments, were a heap of labels), and
    each part takes the room its boxes need.
    """
    import networkx as nx

    parts = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    placed: list[tuple[list[str], dict[str, tuple[float, float]], tuple[float, float, float, float]]] = []
    for part in parts:
        side = min(WIDTH, 150.0 * len(part) ** 0.5 + 60)
        # A graph of its own, nodes and edges sorted: a subgraph view lists its nodes in the
        # order of a set of strings, which changes from process to process (hash randomisation),
        # and so did the seeded layout (regression: the drawing changed with every restart).
        sub = nx.Graph()
        sub.add_nodes_from(part)
        sub.add_edges_from(sorted(tuple(sorted(e)) for e in graph.subgraph(part).edges))
        k = 2.2 / len(part) ** 0.5  # twice networkx's default spacing: room for two-line labels
        spring = nx.spring_layout(sub, seed=SEED, k=k, iterations=500) if len(part) > 1 else {part[0]: (0.0, 0.0)}
        xs = [float(p[0]) for p in spring.values()]
        ys = [float(p[1]) for p in spring.values()]
        span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
        inner = side - 70
        local: dict[str, tuple[float, float]] = {}
        for node in part:
            px, py = spring[node]
            fx = (float(px) - min(xs)) / span_x if len(part) > 1 else 0.5
            fy = (float(py) - min(ys)) / span_y if len(part) > 1 else 0.5
            local[node] = (fx * inner, fy * inner)
        spread(part, labels, local)
        boxes = [node_box(labels[n], *local[n]) for n in part]
        bounds = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        placed.append((part, local, bounds))
    width = max([WIDTH, *(b[2] - b[0] + 2 * GAP for _, _, b in placed)])
    positions: dict[str, tuple[float, float]] = {}
    x = y = shelf = 0.0
    for part, local, (x0, y0, x1, y1) in placed:
        w, h = x1 - x0 + 2 * GAP, y1 - y0 + 2 * GAP
        if x and x + w > width:
            x, y, shelf = 0.0, y + shelf, 0.0
        for node in part:
            px, py = local[node]
            positions[node] = (x + GAP + px - x0, y + GAP + py - y0)
        x, shelf = x + w, max(shelf, h)
    return positions, width, y + shelf


def words_of(name: str) -> str:
    """``participatingCountry`` → ``participating country``."""
    return "".join(" " + c.lower() if c.isupper() else c for c in name).strip()


# -- the timeline --------------------------------------------------------------------------


@dataclass
class Mark:
    """One event as one source dates it, placed on the axis (x from, x to, row) or in a lane."""

    term: Term
    kind: str
    types: list[Term]
    date: str
    precision: str  # day | month | year | no-year | none
    as_stated: str
    source: Source | None
    x0: float = 0.0
    x1: float = 0.0
    row: int = 0
    label_left: bool = False  # near the right end the label runs left of the mark

    @property
    def label(self) -> str:
        """The words beside the mark: the name (cut at 48 characters), and the date when it is partial."""
        text = self.term.text if len(self.term.text) <= 48 else self.term.text[:47] + "…"
        return text if self.precision == "day" else f"{text} ({self.date})"


def _span(date: str) -> tuple[str, dt.date, dt.date] | None:
    """(precision, first day, last day) of a dated value on the calendar; None without a year."""
    if len(date) >= 10 and date[4] == "-" and date[:4].isdigit():
        day = dt.date.fromisoformat(date[:10])
        return "day", day, day
    if len(date) == 7 and date[4] == "-" and date[:4].isdigit():
        first = dt.date.fromisoformat(date + "-01")
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return "month", first, last
    if len(date) == 4 and date.isdigit():
        return "year", dt.date(int(date), 1, 1), dt.date(int(date), 12, 31)
    return None


def timeline(data: SiteData) -> dict[str, Any]:
    """Events and agreements as each source dates them: on the axis, without a year, or without a date."""
    rows = data.select(
        "SELECT DISTINCT ?x ?g ?d ?as ?status WHERE { GRAPH ?g { ?x a ?t . OPTIONAL { ?x bg:date ?d } "
        "OPTIONAL { ?x bg:dateAsStated ?as } OPTIONAL { ?x bg:dateStatus ?status } } "
        "?t rdfs:subClassOf* bg:Event } ORDER BY ?x ?g"
    )
    by_graph = {s.graph: s for s in data.sources.values()}
    marks: dict[tuple[str, str], Mark] = {}
    for r in rows:
        iri, graph = r["x"].value, r["g"].value
        date = r["d"].value if r["d"] is not None else ""
        span = _span(date)
        precision = span[0] if span else ("no-year" if date else "none")
        marks.setdefault(
            (iri, graph),
            Mark(
                term=data.term(ox.NamedNode(iri)),
                kind=data.kind(iri),
                types=[data.term(ox.NamedNode(t)) for t in data.types.get(iri, []) if t.startswith(PREFIXES["bg"])],
                date=date,
                precision=precision,
                as_stated=r["as"].value if r["as"] is not None else "",
                source=by_graph.get(graph),
            ),
        )
    placed = [m for m in marks.values() if m.precision in ("day", "month", "year")]
    no_year = sorted((m for m in marks.values() if m.precision == "no-year"), key=lambda m: (m.date, m.term.text))
    no_date = sorted((m for m in marks.values() if m.precision == "none"), key=lambda m: m.term.text)
    axis: dict[str, Any] = {"width": WIDTH, "years": [], "rows": 0, "height": 0}
    if placed:
        spans = {id(m): _span(m.date) for m in placed}
        first = min(s[1].year for s in spans.values() if s)
        last = max(s[2].year for s in spans.values() if s) + 1
        left, right = 20.0, WIDTH - 20.0

        def x(day: dt.date) -> float:
            start = dt.date(first, 1, 1).toordinal()
            return left + (day.toordinal() - start) / (dt.date(last, 1, 1).toordinal() - start) * (right - left)

        placed.sort(key=lambda m: (spans[id(m)][1], m.term.text))  # type: ignore[index]
        taken: list[list[tuple[float, float]]] = []  # per row, the stretches its marks and labels use
        for m in placed:
            _, a, b = spans[id(m)]  # type: ignore[misc]
            m.x0, m.x1 = x(a), max(x(b), x(a) + 2)
            width = 7.0 * len(m.label) + 16  # 12 px system-ui text is 6 to 7 px a character
            m.label_left = m.x1 + width > right
            stretch = (m.x0 - width, m.x1) if m.label_left else (m.x0, m.x1 + width)
            row = next(
                (i for i, used in enumerate(taken) if all(stretch[1] < s0 or stretch[0] > s1 for s0, s1 in used)),
                len(taken),
            )
            if row == len(taken):
                taken.append([])
            taken[row].append(stretch)
            m.row = row
        axis |= {
            "years": [(year, x(dt.date(year, 1, 1))) for year in range(first, last + 1)],
            "rows": len(taken),
            "height": 40 + 26 * len(taken),
        }
    return {"placed": placed, "no_year": no_year, "no_date": no_date, "axis": axis}
