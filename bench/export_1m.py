"""Export time and peak memory on a generated dataset of 100 k and 1 M triples (prints figures, asserts nothing).

Usage: .venv/bin/python bench/export_1m.py [--sizes 100000,1000000]

The data imitates bordergraph's shape (meetings, participations, annotations with blank-node
targets and selectors, persons shared across graphs, 10 named graphs). The store is written to
disk once per size; each phase then runs in a fresh process that opens it, so its peak RSS is that
phase's alone: ``scan`` (read every quad of the store, named graphs and default graph, and write
nothing: the floor under the other two, since RocksDB keeps index and filter blocks of the store in
memory), ``dumps`` (sorted N-Quads/N-Triples, Turtle, TriG, RDF/XML, JSON-LD) and
``property-graph`` (projection + GraphML, GEXF, Cytoscape JSON, Neo4j CSV, Cypher).
Peak RSS is the phase process's ``VmHWM``.

The "vs baseline" column compares peak RSS with the figures measured before the exports streamed
(blank nodes canonicalised by RDFC-1.0 in memory, the projection held in memory, GraphML/GEXF
built by networkx), at the nearest baseline size. Those were read from getrusage's ``ru_maxrss``,
which Linux carries across exec: the 1 M dumps figure (1,142 MiB) is the store-building parent's
peak; the old code re-measured with ``VmHWM`` peaks at 892 MiB there (the other three hold).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

BG = "https://w3id.org/bordergraph/ontology#"
BGR = "https://w3id.org/bordergraph/id/"
BGG = "https://w3id.org/bordergraph/graph/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
OA = "http://www.w3.org/ns/oa#"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPHS = 10
PERSONS = 2000
#: Peak RSS (MiB) per phase before the exports streamed, by generated size (quads).
BASELINE = {107_000: {"dumps": 155, "property-graph": 356}, 1_000_050: {"dumps": 1_142, "property-graph": 2_981}}


def _n(local: str, base: str = BGR) -> ox.NamedNode:
    return ox.NamedNode(base + local)


def generate(triples: int) -> Iterator[ox.Quad]:
    """About ``triples`` quads in named graphs, in units of about 25 quads (one meeting and its evidence)."""
    for i in range(triples * 10 // 252):
        g = _n(f"release-{i % GRAPHS}", BGG)
        release = _n(f"release-{i % GRAPHS}")
        meeting = _n(f"meeting-{i}")
        a, b = _n(f"person-{i % PERSONS}"), _n(f"person-{(i * 7 + 1) % PERSONS}")
        date = ox.Literal(f"{2000 + i % 25}-{1 + i % 12:02d}-{1 + i % 28:02d}", datatype=ox.NamedNode(XSD + "date"))
        quads: list[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]] = [
            (meeting, RDF_TYPE, _n("Meeting", BG)),
            (meeting, LABEL, ox.Literal(f"Meeting {i}", language="en")),
            (meeting, _n("date", BG), date),
            (meeting, _n("participant", BG), a),
            (meeting, _n("participant", BG), b),
            (meeting, _n("topic", BG), _n(f"topic-{i % 40}", "https://w3id.org/bordergraph/topic/")),
            (meeting, _n("wasDerivedFrom", "http://www.w3.org/ns/prov#"), release),
            (a, RDF_TYPE, ox.NamedNode("http://xmlns.com/foaf/0.1/Person")),
            (a, LABEL, ox.Literal(f"Person {i % PERSONS}", language="en")),
            (b, RDF_TYPE, ox.NamedNode("http://xmlns.com/foaf/0.1/Person")),
            (b, LABEL, ox.Literal(f"Person {(i * 7 + 1) % PERSONS}", language="en")),
        ]
        for who, person in (("a", a), ("b", b)):
            part = _n(f"meeting-{i}--{who}")
            quads += [
                (meeting, _n("participation", BG), part),
                (part, RDF_TYPE, _n("Participation", BG)),
                (part, _n("agent", BG), person),
            ]
        ann, target = _n(f"ann-{i}"), ox.BlankNode(f"t{i}")
        quote, position = ox.BlankNode(f"q{i}"), ox.BlankNode(f"p{i}")
        quads += [
            (ann, RDF_TYPE, ox.NamedNode(OA + "Annotation")),
            (ann, ox.NamedNode(OA + "hasBody"), meeting),
            (ann, ox.NamedNode(OA + "hasTarget"), target),
            (target, RDF_TYPE, ox.NamedNode(OA + "SpecificResource")),
            (target, ox.NamedNode(OA + "hasSource"), release),
            (target, ox.NamedNode(OA + "hasSelector"), quote),
            (target, ox.NamedNode(OA + "hasSelector"), position),
            (quote, RDF_TYPE, ox.NamedNode(OA + "TextQuoteSelector")),
            (quote, ox.NamedNode(OA + "exact"), ox.Literal(f"Minister {i % PERSONS} met Secretary {i} today.")),
            (position, RDF_TYPE, ox.NamedNode(OA + "TextPositionSelector")),
            (position, ox.NamedNode(OA + "start"), ox.Literal(str(i % 5000), datatype=ox.NamedNode(XSD + "integer"))),
            (
                position,
                ox.NamedNode(OA + "end"),
                ox.Literal(str(i % 5000 + 40), datatype=ox.NamedNode(XSD + "integer")),
            ),
        ]
        for s, p, o in quads:
            yield ox.Quad(s, p, o, g)


def make_store(size: int, path: Path) -> int:
    """Write the generated quads and their merge (the default graph, as QueryStore keeps it)."""
    store = ox.Store(str(path))
    store.bulk_extend(generate(size))
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in generate(size))
    store.flush()
    named = sum(
        1 for q in store.quads_for_pattern(None, None, None, None) if not isinstance(q.graph_name, ox.DefaultGraph)
    )
    del store
    return named


def rss_mib(field: str = "VmRSS") -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_phase(phase: str, store_path: str, out: str) -> None:
    """One phase in this (fresh) process; prints a JSON line of figures."""
    from bordergraph.export.dumps import write_rdf_dumps
    from bordergraph.export.projection import named_quads
    from bordergraph.export.release import write_store_property_graph
    from bordergraph.querystore import QueryStore

    store = QueryStore(ox.Store.read_only(store_path))
    before = rss_mib()
    start = time.perf_counter()
    result: dict[str, object] = {"phase": phase}
    if phase == "scan":  # what reading the store alone costs (RocksDB's index and filter blocks grow with it)
        named = sum(1 for _ in named_quads(store))
        result["counts"] = {"named": named, "default": store.default_size}
    elif phase == "dumps":
        result["counts"] = write_rdf_dumps(store, Path(out))
    else:
        result["nodes"], result["edges"] = write_store_property_graph(store, Path(out))
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["rss_before_mib"] = round(before)
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a phase process
    # started by this (large, store-building) parent would report the parent's peak as its own.
    result["peak_rss_mib"] = round(rss_mib("VmHWM"))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_phase(args.phase, args.store, args.out)
        return
    print(f"{'triples':>9} {'phase':<15} {'seconds':>8} {'RSS before':>11} {'peak RSS':>9} {'vs baseline':>18}  files")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bordergraph-bench-") as tmp:
            store_path = Path(tmp) / "store"
            named = make_store(size, store_path)
            for phase in ("scan", "dumps", "property-graph"):
                out = Path(tmp) / phase
                out.mkdir()
                line = subprocess.run(
                    [sys.executable, __file__, "--phase", phase, "--store", str(store_path), "--out", str(out)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.strip()
                r = json.loads(line.splitlines()[-1])
                files = ", ".join(
                    f"{p.relative_to(out)} {p.stat().st_size / 1e6:.0f} MB" for p in sorted(out.rglob("*.*"))
                )
                figures = f"{r['seconds']:>8} {r['rss_before_mib']:>8} MiB {r['peak_rss_mib']:>5} MiB"
                base_size = min(BASELINE, key=lambda n: abs(n - named))
                base = BASELINE[base_size].get(phase)
                figures += f" {r['peak_rss_mib'] / base:>5.2f}× of {base:>5} MiB" if base else f"{'':>18}"
                shape = f"  ({r['nodes']} nodes, {r['edges']} edges)" if "nodes" in r else ""
                print(f"{named:>9} {phase:<15} {figures}  {files}{shape}")


if __name__ == "__main__":
    main()
