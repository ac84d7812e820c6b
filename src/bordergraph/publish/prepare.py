"""Prepare a build for publishing: the named graphs as N-Triples ranges on disk, the merge, their checksum.

The input is bordergraph's canonical dump (``bordergraph.nq``, named graphs sorted by graph, as the
build writes it; with ``bordergraph.nt``, their RDF merge, as ``bordergraph export`` writes it, or
else the merge is computed here), or any N-Quads file whose named graphs each come in one block and
whose default graph holds the merge. Everything is streamed:
memory stays flat whatever the size, and what is uploaded later is read back from these files.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bordergraph.export.dumps import _external_sort  # the dumps' on-disk sort, reused


class PrepareError(Exception):
    """The input cannot be published as it is (the message says what to do)."""


@dataclass
class GraphPart:
    """One named graph: its bytes in ``named.nt`` and its triple count."""

    iri: str
    offset: int
    length: int
    triples: int


@dataclass
class Checksum:
    """Figures every store can compute with one SPARQL query over the merge, and we compute while streaming."""

    triples: int = 0
    literal_chars: int = 0
    iri_subject_chars: int = 0

    def add(self, triple: ox.Triple | ox.Quad) -> None:
        self.triples += 1
        if isinstance(triple.object, ox.Literal):
            self.literal_chars += len(triple.object.value)
        if isinstance(triple.subject, ox.NamedNode):
            self.iri_subject_chars += len(triple.subject.value)


#: The checksum query: evaluated on the merge (the default graph the front end gives its clients).
#: (``!isBlank``: Virtuoso 7.2.5 says isIRI() is true of blank nodes, whose STR() is "nodeID://b…".)
CHECKSUM_QUERY = (
    "SELECT (COUNT(*) AS ?triples) (SUM(IF(isLiteral(?o), STRLEN(STR(?o)), 0)) AS ?literal_chars) "
    "(SUM(IF(isIRI(?s) && !isBlank(?s), STRLEN(STR(?s)), 0)) AS ?iri_subject_chars) WHERE { ?s ?p ?o }"
)


@dataclass
class Prepared:
    """A build ready to publish, in ``folder``: named.nt (graph by graph) and merge.nt."""

    folder: Path
    graphs: list[GraphPart] = field(default_factory=list)
    merge_triples: int = 0
    checksum: Checksum = field(default_factory=Checksum)
    version: str = ""

    @property
    def named(self) -> Path:
        return self.folder / "named.nt"

    @property
    def merge(self) -> Path:
        return self.folder / "merge.nt"

    @property
    def named_triples(self) -> int:
        return sum(g.triples for g in self.graphs)


def _line(triple: ox.Triple | ox.Quad) -> bytes:
    return f"{triple.subject} {triple.predicate} {triple.object} .\n".encode()


def prepare(nquads: Path, merge: Path | None, folder: Path) -> Prepared:
    """Read the dump once into ``folder``: each named graph one range of named.nt, the merge in merge.nt.

    Args:
        nquads: the named graphs (N-Quads; each graph's quads together, as in bordergraph.nq).
        merge: the merge as N-Triples (bordergraph.nt); None when ``nquads`` holds it as its default graph.
        folder: a scratch folder (as large as the dump).

    Raises:
        PrepareError: the dump does not parse, a graph is split in two blocks, or there is no merge.

    """
    prepared = Prepared(folder)
    digest = hashlib.sha256()
    seen: set[str] = set()
    current: GraphPart | None = None
    offset = 0
    default_lines = 0
    try:
        with prepared.named.open("wb") as named, prepared.merge.open("wb") as merged:
            for quad in ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS):
                line = _line(quad)
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    if merge is None:
                        merged.write(line)
                        prepared.checksum.add(quad)
                        digest.update(b"D" + line)
                    default_lines += 1
                    continue
                iri = quad.graph_name.value
                if current is None or current.iri != iri:
                    if iri in seen:
                        raise PrepareError(
                            f"{nquads}: the quads of graph <{iri}> are not together; publish the canonical dump "
                            "(bordergraph export writes bordergraph.nq sorted by graph)"
                        )
                    seen.add(iri)
                    current = GraphPart(iri, offset, 0, 0)
                    prepared.graphs.append(current)
                    digest.update(b"G" + iri.encode() + b"\n")
                named.write(line)
                digest.update(line)
                current.length += len(line)
                current.triples += 1
                offset += len(line)
            if merge is not None:
                for triple in ox.parse(path=merge, format=ox.RdfFormat.N_TRIPLES):
                    line = _line(triple)
                    merged.write(line)
                    prepared.checksum.add(triple)
                    digest.update(b"D" + line)
    except SyntaxError as exc:
        raise PrepareError(f"the dump does not parse: {exc}") from exc
    if merge is None and not default_lines:
        _merge_of(prepared, digest)
    if not prepared.graphs:
        raise PrepareError(f"{nquads} holds no named graph: nothing to publish")
    prepared.merge_triples = prepared.checksum.triples
    prepared.version = digest.hexdigest()[:16]
    return prepared


def _merge_of(prepared: Prepared, digest: Any) -> None:
    """The RDF merge of the named graphs, into merge.nt: their triples, sorted on disk, duplicates dropped.

    Line equality is triple equality here: the canonical dump's blank node labels are the dataset's.
    """
    with (
        tempfile.TemporaryDirectory(prefix="merge-", dir=prepared.folder) as tmp,
        prepared.named.open(encoding="utf-8") as named,
        prepared.merge.open("wb") as merged,
    ):
        for line in _external_sort((line.rstrip("\n") for line in named), Path(tmp)):
            data = (line + "\n").encode()
            merged.write(data)
            digest.update(b"D" + data)
    for triple in ox.parse(path=prepared.merge, format=ox.RdfFormat.N_TRIPLES):
        prepared.checksum.add(triple)
