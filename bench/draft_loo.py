"""Leave-one-out measure of ``bordergraph draft`` against the curated records.

Usage: .venv/bin/python bench/draft_loo.py [--root DIR] [--show-misses]

For every source record in data/sources.trig whose graph has a records file (however many there
are), the script drafts the archived text with every *other* records file as gazetteer (plus the
ontology and data/sources.trig, which holds the source record and its printed date, as after
`bordergraph add-source`), parses the TriG the tool writes, and compares it with the held-out
curated records. The held-out records file is read only to score, after drafting.

What is compared, each item carrying the offsets of its evidence (oa:TextPositionSelector):
- figures: every bg:Figure;
- quotations with speakers: bg:Quotation with bg:speaker, the speaker set must be the same;
- dated events: bg:Event (any subclass) with a bg:date, the date value must be the same;
- participants: bg:Participation, the bg:agent must be the same.
A drafted item matches a curated one when their evidence stretches overlap and the attribute
above agrees; matching is one-to-one (maximum bipartite matching, so one drafted item never
counts twice). An agent or speaker is "the same" when the IRI is, or when the draft proposes a
new record whose label is one of the curated record's names (the slug is the curator's choice).
Precision = matched / drafted, recall = matched / curated. On matched pairs the script also
reports how often the figure's value, hedge and period and the event's class agree (not part of
precision and recall).

Read the figures with this in mind: leave-one-out keeps the held-out release's *records* out of
the gazetteer, but the rules themselves were written by someone who had read all the archived
texts. It measures independence from the curated records, not how the rules carry over to a
kind of text nobody has looked at yet; the tests (tests/test_draft.py) exercise them on made-up text.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Graph, URIRef
from rdflib.namespace import FOAF, SKOS
from rdflib.term import Node

from bordergraph.draft import draft_text, source_info
from bordergraph.draft.write import render
from bordergraph.loader import load
from bordergraph.paths import find_paths
from bordergraph.prefixes import BG, BGG, OA, SCHEMA

TARGETS = {
    "figures": (0.9, 0.8),
    "quotations with speakers": (0.9, 0.8),
    "dated events": (0.8, 0.8),
    "participants": (0.8, 0.8),
}  # fmt: skip  (recall, precision)
EVENT_CLASSES = {BG.Event, BG.Meeting, BG.Signing, BG.Announcement, BG.Launch, BG.Deployment, BG.Disaster}


@dataclass
class Item:
    node: Node
    spans: list[tuple[int, int]]
    key: frozenset[str] = frozenset()  # what must agree: the date
    agents: list[frozenset[str]] = field(default_factory=list)  # speakers or the agent, each as its names
    text: str = ""
    details: dict[str, str] = field(default_factory=dict)  # compared on matched pairs only (not in P/R)


@dataclass
class Score:
    curated: int = 0
    drafted: int = 0
    matched: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    agree: dict[str, list[int]] = field(default_factory=dict)  # detail -> [agreeing, compared]

    def add(self, other: Score) -> None:
        self.curated += other.curated
        self.drafted += other.drafted
        self.matched += other.matched
        for detail, (yes, total) in other.agree.items():
            mine = self.agree.setdefault(detail, [0, 0])
            mine[0] += yes
            mine[1] += total


def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).replace("’", "'").casefold().strip()
    return text[4:] if text.startswith("the ") else text


def _names(graph: Graph, node: Node) -> frozenset[str]:
    names = {f"iri:{node}"}
    for prop in (RDFS.label, FOAF.name, SKOS.altLabel):
        names |= {_norm(str(v)) for v in graph.objects(node, prop)}
    return frozenset(names)


def _spans(graph: Graph, node: Node) -> list[tuple[int, int]]:
    spans = []
    for annotation in graph.subjects(OA.hasBody, node):
        for target in graph.objects(annotation, OA.hasTarget):
            for selector in graph.objects(target, OA.hasSelector):
                if (selector, RDF.type, OA.TextPositionSelector) in graph:
                    start, end = graph.value(selector, OA.start), graph.value(selector, OA.end)
                    spans.append((int(str(start)), int(str(end))))
    return sorted(spans)


def extract(graph: Graph) -> dict[str, list[Item]]:
    """The compared items of one graph (curated or drafted), each with its evidence offsets."""
    out: dict[str, list[Item]] = {name: [] for name in TARGETS}
    for node in set(graph.subjects(RDF.type, BG.Figure)):
        value = graph.value(node, SCHEMA.value)
        details = {
            "value": f"{Decimal(str(value)).normalize():f}" if value is not None else "",
            "hedge": str(graph.value(node, BG.approximation)),
            "period": str(graph.value(node, BG.period)),
        }
        out["figures"].append(
            Item(node, _spans(graph, node), text=str(graph.value(node, BG.asPrinted)), details=details)
        )
    for node in set(graph.subjects(RDF.type, BG.Quotation)):
        speakers = sorted(graph.objects(node, BG.speaker), key=str)
        if speakers:
            agents = [_names(graph, s) for s in speakers]
            out["quotations with speakers"].append(Item(node, _spans(graph, node), agents=agents, text=str(speakers)))
    for node in {s for c in EVENT_CLASSES for s in graph.subjects(RDF.type, c)}:
        date = graph.value(node, BG.date)
        if date is not None:
            classes = sorted(str(c).rsplit("#", 1)[-1] for c in graph.objects(node, RDF.type) if c in EVENT_CLASSES)
            details = {"class": ",".join(classes)}
            out["dated events"].append(
                Item(node, _spans(graph, node), frozenset({str(date)}), text=str(date), details=details)
            )
    for node in set(graph.subjects(RDF.type, BG.Participation)):
        agent = graph.value(node, BG.agent)
        if agent is not None:
            agents = [_names(graph, agent)]
            out["participants"].append(Item(node, _spans(graph, node), agents=agents, text=str(agent)))
    return out


def _overlap(a: Item, b: Item) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a.spans for s2, e2 in b.spans)


def _agrees(category: str, drafted: Item, curated: Item) -> bool:
    if category == "figures":
        return True
    if category == "dated events":
        return bool(drafted.key & curated.key)
    # the same speakers (or agent): as many, and each drafted one is one of the curated ones
    return len(drafted.agents) == len(curated.agents) and all(
        any(d & c for c in curated.agents) for d in drafted.agents
    )


def match(category: str, drafted: list[Item], curated: list[Item]) -> list[tuple[Item, Item]]:
    """Maximum one-to-one matching (augmenting paths; the sets are small)."""

    def preferred(d: Item, c: Item) -> bool:  # two figures in one sentence: pair them by their printed words
        return bool(d.text and c.text and (d.text in c.text or c.text in d.text))

    edges: dict[int, list[int]] = {}
    for i, d in enumerate(drafted):
        candidates = [j for j, c in enumerate(curated) if _overlap(d, c) and _agrees(category, d, c)]
        edges[i] = [j for j in candidates if preferred(d, curated[j])] + [
            j for j in candidates if not preferred(d, curated[j])
        ]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in edges:
        augment(i, set())
    return [(drafted[i], curated[j]) for j, i in owner.items()]


def run(root: Path | None, show: Callable[[str], None] | None) -> dict[str, dict[str, Score]]:
    paths = find_paths(root)
    everything = load(paths)
    sources = sorted((s, g) for s, g in everything.dataset.subject_objects(BG.sourceGraph) if isinstance(g, URIRef))
    table: dict[str, dict[str, Score]] = {}
    for source, graph_iri in sources:
        name = str(graph_iri)[len(str(BGG)) :]
        held_out = paths.data_dir / "records" / f"{name}.trig"
        if not held_out.is_file():
            continue
        others = [p for p in paths.record_files if p != held_out]
        gazetteer = load(paths, others)  # ontology + sources.trig + every other records file
        local = everything.dataset.value(source, BG.localPath)
        raw = (paths.root / str(local)).read_bytes()
        info = source_info(gazetteer.dataset, raw, Path(str(local)).name)
        drafted_graph = Dataset(default_union=True)
        drafted_graph.parse(data=render(draft_text(raw.decode("utf-8"), gazetteer.dataset, info)), format="trig")
        curated_graph = Graph()
        for part in (everything.dataset.graph(graph_iri), everything.dataset.graph(BGG["sources"])):
            for triple in part:  # the sources graph adds labels of records it names (dhs, places)
                curated_graph.add(triple)
        drafted, curated = extract(drafted_graph), extract(curated_graph)
        table[name] = {}
        for category in TARGETS:
            pairs = match(category, drafted[category], curated[category])
            score = Score(len(curated[category]), len(drafted[category]), len(pairs))
            for d, c in pairs:
                for detail, value in c.details.items():
                    score.agree.setdefault(detail, [0, 0])
                    score.agree[detail][1] += 1
                    score.agree[detail][0] += int(d.details.get(detail) == value)
                    if show and d.details.get(detail) != value:
                        show(
                            f"  {name} / {category}: {detail} differs: drafted {d.details.get(detail)}, curated {value}"
                        )
            matched_c = {id(c) for _, c in pairs}
            matched_d = {id(d) for d, _ in pairs}
            score.misses = [f"{c.node} {c.text} {c.spans}" for c in curated[category] if id(c) not in matched_c]
            score.extras = [f"{d.node} {d.text} {d.spans}" for d in drafted[category] if id(d) not in matched_d]
            table[name][category] = score
            if show:
                for line in score.misses:
                    show(f"  {name} / {category}: MISSED {line}")
                for line in score.extras:
                    show(f"  {name} / {category}: EXTRA  {line}")
    return table


def _ratio(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f} %" if b else "    – "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=None)
    parser.add_argument("--show-misses", action="store_true", help="List every missed and every extra item.")
    args = parser.parse_args()
    table = run(args.root, print if args.show_misses else None)
    totals = {category: Score() for category in TARGETS}
    print(f"\nLeave-one-out over {len(table)} sources (each drafted with the other {len(table) - 1} as gazetteer)\n")
    print(f"| {'source':32} | {'category':26} | curated | drafted | matched | precision | recall  |")
    print(f"|{'-' * 34}|{'-' * 28}|---------|---------|---------|-----------|---------|")
    for name, row in table.items():
        for category, score in row.items():
            totals[category].add(score)
            counts = f"{score.curated:7} | {score.drafted:7} | {score.matched:7}"
            ratios = f"{_ratio(score.matched, score.drafted):>9} | {_ratio(score.matched, score.curated):>7}"
            print(f"| {name:32} | {category:26} | {counts} | {ratios} |")
    ok = True
    print(
        f"\n| {'all sources':32} | {'category':26} | curated | drafted | matched | precision | recall  | target (R/P) |"
    )
    print(f"|{'-' * 34}|{'-' * 28}|---------|---------|---------|-----------|---------|--------------|")
    for category, score in totals.items():
        recall_target, precision_target = TARGETS[category]
        precision = score.matched / score.drafted if score.drafted else 0.0
        recall = score.matched / score.curated if score.curated else 0.0
        met = precision >= precision_target and recall >= recall_target
        ok = ok and met
        print(f"| {'':32} | {category:26} | {score.curated:7} | {score.drafted:7} | {score.matched:7} | "
              f"{_ratio(score.matched, score.drafted):>9} | {_ratio(score.matched, score.curated):>7} | "
              f"≥{recall_target:.0%} / ≥{precision_target:.0%} {'met' if met else 'NOT met'} |")  # fmt: skip
    print("\nOn matched items (not part of precision and recall): how often the drafted attribute is the curated one")
    for category, score in totals.items():
        for detail, (yes, total) in score.agree.items():
            print(f"  {category} / {detail}: {yes} of {total} ({_ratio(yes, total).strip()})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
