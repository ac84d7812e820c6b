"""The shorthand expanded at load time into W3C Web Annotations, and the derived direct edges.

``bg:quote``/``bg:quoteSelector`` become annotations whose IRIs are kept through ``data/annotation-iris.tsv``;
``derive`` adds the edges the qualified nodes already say. The package docstring tells the whole story.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGR, OA, ONTOLOGY_GRAPH, ORG, PREFIXES, SOURCES_GRAPH
from bordergraph.problems import Problem
from bordergraph.quotes import closest, context, occurrences, prefix_suffix, short

LEGACY_FILE = "annotation-iris.tsv"
LEGACY_HEADER = ["graph", "start", "end", "annotation"]

Triple = tuple[Node, Node, Node]


# --- derivation -----------------------------------------------------------------------------------


def derived_triples(graph: Graph) -> set[Triple]:
    """The direct edges the qualified nodes of ``graph`` imply.

    ``?event bg:participation ?p . ?p bg:agent ?a`` gives ``?event bg:participant ?a``;
    ``?h bg:holder ?person ; bg:post ?post`` gives ``?person org:holds ?post ; bg:postHolding ?h``.
    """
    out: set[Triple] = set()
    for event, participation in graph.subject_objects(BG.participation):
        for agent in graph.objects(participation, BG.agent):
            out.add((event, BG.participant, agent))
    for holding, person in graph.subject_objects(BG.holder):
        out.add((person, BG.postHolding, holding))
        for post in graph.objects(holding, BG.post):
            out.add((person, ORG.holds, post))
    return out


def derive(graph: Graph) -> None:
    """Add to ``graph`` the direct edges its qualified nodes imply."""
    for triple in derived_triples(graph):
        graph.add(triple)


# --- annotation IRIs and labels -------------------------------------------------------------------


def _local(iri: Node) -> str:
    return str(iri).rsplit("/", 1)[-1]


def legacy_path(paths: Paths) -> Path:
    """Where the IRIs of the annotations written before the shorthand are kept."""
    return paths.data_dir / LEGACY_FILE


def read_legacy(paths: Paths) -> dict[tuple[str, int, int], URIRef]:
    """(graph local name, start, end) → the annotation IRI it had when it was written by hand."""
    path = legacy_path(paths)
    if not path.is_file():
        return {}
    table: dict[tuple[str, int, int], URIRef] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        header = next(rows, None)
        if header != LEGACY_HEADER:
            raise ValueError(f"{path}: the first line after the comments must be {' '.join(LEGACY_HEADER)}")
        for row in rows:
            graph, start, end, iri = row
            table[(graph, int(start), int(end))] = URIRef(iri.replace("bgr:", PREFIXES["bgr"], 1))
    return table


def write_legacy(paths: Paths, table: dict[tuple[str, int, int], URIRef]) -> None:
    """Write the legacy IRI table, sorted, so that re-running the migration is a no-op."""
    lines = [
        "# Annotation IRIs from before the bg:quote shorthand (docs/curation.md, 'Evidence'). Written by",
        "# `python -m bordergraph.shorthand compact`; the build gives the annotation of this passage of",
        "# this graph's source this IRI, so every annotation IRI that resolved before still resolves.",
        "\t".join(LEGACY_HEADER),
    ]
    for (graph, start, end), iri in sorted(table.items()):
        lines.append(f"{graph}\t{start}\t{end}\t{str(iri).replace(PREFIXES['bgr'], 'bgr:', 1)}")
    legacy_path(paths).write_text("\n".join(lines) + "\n", encoding="utf-8")


def annotation_iri(graph_iri: URIRef, start: int, end: int, legacy: dict[tuple[str, int, int], URIRef]) -> URIRef:
    """The IRI of the annotation quoting ``start``–``end`` of the source of ``graph_iri``."""
    known = legacy.get((_local(graph_iri), start, end))
    return known if known is not None else BGR[f"ann-{_local(graph_iri)}-{start}-{end}"]


_NUMBERED = re.compile(r"-(\d{2,})$")


def annotation_label(annotation: Node, graph_iri: URIRef, start: int, end: int) -> Literal:
    """The label of a generated annotation (the numbered form is the one hand-written labels used)."""
    numbered = _NUMBERED.search(str(annotation))
    if numbered and not str(annotation).endswith(f"-{start}-{end}"):
        return Literal(f"Annotation {numbered.group(1)} of {_local(graph_iri)}", lang="en")
    return Literal(f"Annotation of {_local(graph_iri)}, code points {start}–{end}", lang="en")


# --- sources -----------------------------------------------------------------------------------


@dataclass
class Sources:
    """The source record of each graph and the decoded text of each source (None when unreadable)."""

    of_graph: dict[URIRef, URIRef] = field(default_factory=dict)
    text: dict[URIRef, str | None] = field(default_factory=dict)
    path: dict[URIRef, str] = field(default_factory=dict)
    changed: dict[URIRef, str] = field(default_factory=dict)  # source → why its bytes are not the recorded ones

    @classmethod
    def read(cls, sources_graph: Graph, paths: Paths) -> Sources:
        """Read the source records and the archived texts they point to."""
        found = cls()
        for source, graph in sources_graph.subject_objects(BG.sourceGraph):
            if isinstance(source, URIRef) and isinstance(graph, URIRef):
                found.of_graph[graph] = source
        for source, local in sources_graph.subject_objects(BG.localPath):
            if not isinstance(source, URIRef):
                continue
            found.path[source] = str(local)
            try:
                raw = (paths.root / str(local)).read_bytes()
                found.text[source] = raw.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                found.text[source] = None  # validate reports the missing or undecodable file
                continue
            expected, actual = str(sources_graph.value(source, BG.sha256) or ""), hashlib.sha256(raw).hexdigest()
            if expected and actual != expected:
                found.changed[source] = (
                    f"{local} has sha256 {actual}, the record says {expected}: the archive must stay byte for "
                    "byte as published (restore the file, or fix bg:sha256 if the record is wrong)"
                )
        return found


# --- expansion -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteSpec:
    """One quote as the curator wrote it on a fact."""

    fact: Node
    exact: str
    occurrence: int | None = None
    prefix: str | None = None
    suffix: str | None = None
    written: tuple[Triple, ...] = ()


def quote_specs(graph: Graph) -> list[QuoteSpec]:
    """Every ``bg:quote`` and ``bg:quoteSelector`` in ``graph``, with the triples that wrote it."""
    specs = []
    for fact, value in graph.subject_objects(BG.quote):
        specs.append(QuoteSpec(fact, str(value), written=((fact, BG.quote, value),)))
    for fact, node in graph.subject_objects(BG.quoteSelector):
        exact = graph.value(node, OA.exact)
        occurrence = graph.value(node, BG.occurrence)
        prefix, suffix = graph.value(node, OA.prefix), graph.value(node, OA.suffix)
        written = ((fact, BG.quoteSelector, node), *graph.triples((node, None, None)))
        try:
            number = int(str(occurrence)) if occurrence is not None else None
        except ValueError:
            number = -1  # reported below as an occurrence out of range
        specs.append(
            QuoteSpec(
                fact,
                str(exact) if exact is not None else "",
                number,
                str(prefix) if prefix is not None else None,
                str(suffix) if suffix is not None else None,
                tuple(written),
            )
        )
    return sorted(specs, key=lambda s: (str(s.fact), s.exact, s.occurrence or 0, s.prefix or "", s.suffix or ""))


def _fix_hint(spec: QuoteSpec) -> str:
    return f'bg:quoteSelector [ oa:exact "{short(spec.exact, 40)}" ; bg:occurrence N ]'


def locate(spec: QuoteSpec, text: str, where: str) -> tuple[int, int] | str:
    """The (start, end) the spec means in ``text``, or a message saying why there is no one answer."""
    if not spec.exact:
        return "bg:quoteSelector needs an oa:exact with the verbatim words"
    starts = occurrences(text, spec.exact)
    size = len(spec.exact)
    if not starts:
        near = closest(text, spec.exact)
        hint = near.explain() if near else "nothing in it is close"
        return f'quote "{short(spec.exact)}" is not in {where}: {hint}; copy the words verbatim'
    listing = "; ".join(f"{n}: oa:start {s} ({context(text, s, s + size)})" for n, s in enumerate(starts, 1))
    if spec.occurrence is not None:
        if not 1 <= spec.occurrence <= len(starts):
            return (
                f'bg:occurrence {spec.occurrence} but "{short(spec.exact)}" occurs {len(starts)} time(s) in {where}: '
                f"{listing}"
            )
        start = starts[spec.occurrence - 1]
        return start, start + size
    if spec.prefix is not None or spec.suffix is not None:
        fitting = [
            s for s in starts if text[:s].endswith(spec.prefix or "") and text[s + size :].startswith(spec.suffix or "")
        ]
        if len(fitting) == 1:
            return fitting[0], fitting[0] + size
        return (
            f'oa:prefix/oa:suffix fit {len(fitting)} of the {len(starts)} occurrences of "{short(spec.exact)}" '
            f"in {where} ({listing}): write {_fix_hint(spec)} instead"
        )
    if len(starts) > 1:
        return f'quote "{short(spec.exact)}" occurs {len(starts)} times in {where} ({listing}): write {_fix_hint(spec)}'
    return starts[0], starts[0] + size


def _target_positions(graph: Graph, target: Node) -> tuple[Node | None, Node | None, int | None, int | None]:
    """(quote selector, position selector, start, end) of an annotation target, where well-formed."""
    quote = position = None
    for selector in graph.objects(target, OA.hasSelector):
        if (selector, RDF.type, OA.TextQuoteSelector) in graph:
            quote = selector
        elif (selector, RDF.type, OA.TextPositionSelector) in graph:
            position = selector
    start = end = None
    if position is not None:
        try:
            start = int(str(graph.value(position, OA.start)))
            end = int(str(graph.value(position, OA.end)))
        except ValueError:
            start = end = None
    return quote, position, start, end


def add_annotation(
    graph: Graph, annotation: URIRef, graph_iri: URIRef, source: URIRef, text: str, start: int, end: int
) -> None:
    """Write the full W3C annotation of ``text[start:end]`` of ``source`` (without its bodies)."""
    target, quote, position = BNode(), BNode(), BNode()
    prefix, suffix = prefix_suffix(text, start, end)
    graph.add((annotation, RDF.type, OA.Annotation))
    graph.add((annotation, RDFS.label, annotation_label(annotation, graph_iri, start, end)))
    graph.add((annotation, OA.motivatedBy, OA.describing))
    graph.add((annotation, OA.hasTarget, target))
    graph.add((target, RDF.type, OA.SpecificResource))
    graph.add((target, OA.hasSource, source))
    graph.add((target, OA.hasSelector, quote))
    graph.add((target, OA.hasSelector, position))
    graph.add((quote, RDF.type, OA.TextQuoteSelector))
    graph.add((quote, OA.exact, Literal(text[start:end])))
    graph.add((quote, OA.prefix, Literal(prefix)))
    graph.add((quote, OA.suffix, Literal(suffix)))
    graph.add((position, RDF.type, OA.TextPositionSelector))
    graph.add((position, OA.start, Literal(start)))
    graph.add((position, OA.end, Literal(end)))


def complete_annotations(graph: Graph, graph_iri: URIRef, sources: Sources) -> None:
    """Give every well-formed annotation in ``graph`` its computed prefix, suffix and label.

    Hand-written annotations get them too, so a graph expands to the same thing whether its
    evidence was written in full or in the shorthand.
    """
    for annotation in set(graph.subjects(RDF.type, OA.Annotation)):
        for target in graph.objects(annotation, OA.hasTarget):
            source = graph.value(target, OA.hasSource)
            text = sources.text.get(source) if isinstance(source, URIRef) else None
            quote, _, start, end = _target_positions(graph, target)
            if text is None or quote is None or start is None or end is None:
                continue
            if text[start:end] != str(graph.value(quote, OA.exact)):
                continue  # validate reports the offsets
            if graph.value(quote, OA.prefix) is None and graph.value(quote, OA.suffix) is None:
                prefix, suffix = prefix_suffix(text, start, end)
                graph.add((quote, OA.prefix, Literal(prefix)))
                graph.add((quote, OA.suffix, Literal(suffix)))
            if graph.value(annotation, RDFS.label) is None:
                graph.add((annotation, RDFS.label, annotation_label(annotation, graph_iri, start, end)))


def expand(
    graph: Graph,
    graph_iri: URIRef,
    sources: Sources,
    legacy: dict[tuple[str, int, int], URIRef],
    file: str,
) -> list[Problem]:
    """Expand the shorthand of one records graph in place and derive its direct edges.

    Returns the problems that keep a quote from being placed (nothing is half-expanded: the loader
    refuses the whole load when any is returned).
    """
    derive(graph)
    specs = quote_specs(graph)
    problems: list[Problem] = []
    source = sources.of_graph.get(graph_iri)
    if specs and source is None:
        return [
            Problem(
                "source-record",
                file,
                "",
                f"no source record in data/sources.trig has bg:sourceGraph <{graph_iri}>, so its "
                f"{len(specs)} quote(s) cannot be placed: add the source record (bordergraph add-source writes it)",
            )
        ]
    text = sources.text.get(source) if source is not None else None
    if specs and source in sources.changed:  # the root cause, once: not every quote of the changed file
        assert source is not None
        why = f"{sources.changed[source]}; its {len(specs)} quote(s) cannot be placed until then"
        return [Problem("source-checksum", "data/sources.trig", str(source), why)]
    if specs and text is None:
        return [
            Problem(
                "source-file",
                file,
                str(source),
                f"archived file {sources.path.get(source, '(no bg:localPath)') if source else '?'} is missing "
                f"or not UTF-8, so its {len(specs)} quote(s) cannot be placed",
            )
        ]
    assert source is None or isinstance(source, URIRef)
    cited: dict[tuple[int, int], set[Node]] = defaultdict(set)
    for spec in specs:
        assert text is not None and source is not None
        found = locate(spec, text, sources.path.get(source, str(source)))
        if isinstance(found, str):
            problems.append(Problem("quote-in-source", file, str(spec.fact), found))
            continue
        cited[found].add(spec.fact)
        for triple in spec.written:
            graph.remove(triple)
    if problems:
        return problems
    existing: dict[tuple[int, int], Node] = {}
    for annotation, target in graph.subject_objects(OA.hasTarget):
        _, _, start, end = _target_positions(graph, target)
        if graph.value(target, OA.hasSource) == source and start is not None and end is not None:
            existing.setdefault((start, end), annotation)
    for (start, end), facts in sorted(cited.items()):
        assert text is not None and source is not None
        known = existing.get((start, end))
        if known is None:
            known = annotation_iri(graph_iri, start, end, legacy)
            add_annotation(graph, known, graph_iri, source, text, start, end)
        for fact in facts:
            graph.add((known, OA.hasBody, fact))
    complete_annotations(graph, graph_iri, sources)
    return problems


def expand_parsed(paths: Paths, parsed: Sequence[tuple[Path, URIRef, Graph]]) -> list[Problem]:
    """Expand every records graph among the loader's parsed files, in place."""
    sources_graph = next((g for _, iri, g in parsed if iri == SOURCES_GRAPH), Graph())
    sources = Sources.read(sources_graph, paths)
    try:
        legacy = read_legacy(paths)
    except (ValueError, OSError) as exc:
        return [Problem("annotation-iris", paths.relative(legacy_path(paths)), "", str(exc))]
    problems: list[Problem] = []
    for path, graph_iri, graph in parsed:
        if graph_iri in (ONTOLOGY_GRAPH, SOURCES_GRAPH):
            continue
        problems += expand(graph, graph_iri, sources, legacy, paths.relative(path))
    return problems
