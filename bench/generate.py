"""Generate a dataset shaped like bordergraph's, at a given size, as the N-Quads every server loads.

Usage: .venv/bin/python bench/generate.py --triples 100000 --out bench/data/100k.nq

The real, validated dataset is copied as many times as needed: copy k renames every record IRI
(``…/id/x`` → ``…/id/x-k``), every source graph (``…/graph/g`` → ``…/graph/g-k``) and every blank
node, and suffixes labels with `` #k``; the ontology graph is kept once. So the shapes, degrees,
literal lengths and graph layout are the real ones, at scale. Copy 0 is the real dataset itself.

The file holds the named graphs and, in the default graph, their RDF merge: exactly what
bordergraph serves (its default graph is the merge of the named graphs). Loading this one file
into any server gives every server the same data and the same default-graph semantics.
A sidecar ``<out>.json`` records the copies and the triple counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bordergraph.build import build  # noqa: E402

ID = "https://w3id.org/bordergraph/id/"
GRAPH = "https://w3id.org/bordergraph/graph/"
ONTOLOGY = GRAPH + "ontology"
LABELS = {"http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel"}


def _rename(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, k: int, predicate: str = "") -> object:
    if isinstance(term, ox.NamedNode) and term.value.startswith(ID):
        return ox.NamedNode(f"{term.value}-{k}")
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(f"{term.value}k{k}")
    if isinstance(term, ox.Literal) and predicate in LABELS:
        if term.language:
            return ox.Literal(f"{term.value} #{k}", language=term.language)
        return ox.Literal(f"{term.value} #{k}", datatype=term.datatype)
    return term


def generate(target: int, out: Path) -> dict[str, int]:
    built = build()
    real = list(built.store.store.quads_for_pattern(None, None, None, None))
    named = [q for q in real if not isinstance(q.graph_name, ox.DefaultGraph)]
    ontology = [q for q in named if q.graph_name == ox.NamedNode(ONTOLOGY)]
    records = [q for q in named if q.graph_name != ox.NamedNode(ONTOLOGY)]
    copies = max(1, -(-(target - len(ontology)) // len(records)))
    store = ox.Store()
    store.bulk_extend(ontology)
    store.bulk_extend(records)
    for k in range(1, copies):
        store.bulk_extend(
            ox.Quad(
                _rename(q.subject, k),  # type: ignore[arg-type]
                q.predicate,
                _rename(q.object, k, q.predicate.value),  # type: ignore[arg-type]
                ox.NamedNode(f"{q.graph_name.value}-{k}"),  # type: ignore[union-attr]
            )
            for q in records
        )
    merged = ox.Dataset(store.quads_for_pattern(None, None, None, None))
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in merged)
    out.parent.mkdir(parents=True, exist_ok=True)
    store.dump(str(out), format=ox.RdfFormat.N_QUADS)
    default = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    meta = {"copies": copies, "named_graph_triples": len(ontology) + copies * len(records), "default_graph": default}
    out.with_suffix(out.suffix + ".json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, required=True, help="target number of triples in the named graphs")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    meta = generate(args.triples, args.out)
    print(f"wrote {args.out}: {meta} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
