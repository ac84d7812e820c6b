"""The RDF dumps: canonical N-Quads and N-Triples, then TriG, Turtle, RDF/XML and JSON-LD from them.

N-Quads and N-Triples are sorted on disk with blank nodes labelled canonically; the other files are
streamed from them by pyoxigraph; the JSON-LD context is the project prefix map.

The canonical N-Quads is the one dump of the dataset: ``bordergraph build`` writes it, the site
serves it, VoID gives its checksum, and exports and releases copy it.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from bordergraph.export.projection import _sqlite, named_quads
from bordergraph.prefixes import PREFIXES

if TYPE_CHECKING:
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


def write_canonical_dump(store: QueryStore, out: Path) -> Path:
    """Write the one canonical dump of the dataset, ``out/bordergraph.nq``, and return its path.

    Byte-stable: the same data gives the same bytes in every run (sorted lines, canonical blank
    nodes). ``bordergraph build`` and ``serve`` write it once per build; the site serves it and
    VoID gives its SHA-256; exports and releases write it with this same writer.
    """
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bordergraph-sort-") as tmp:
        write_sorted_nquads(store, out / NQ, Path(tmp))
    return out / NQ


def trig_of(nquads: Path) -> bytes:
    """The TriG form of a canonical N-Quads dump, with the project prefixes (as byte-stable as its source)."""
    return (
        ox.serialize(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
        or b""
    )


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
