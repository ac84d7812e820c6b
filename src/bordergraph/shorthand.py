"""Evidence written once: the curator's quote on a fact, expanded into a W3C Web Annotation at load time.

A curator writes the verbatim words on the fact itself (see docs/curation.md, "Evidence"):

    bgr:claim-x a bg:Claim ; ... ;
        bg:quote "the verbatim words" .                                  # they occur once in the source
    bgr:claim-y a bg:Claim ; ... ;
        bg:quoteSelector [ oa:exact "the words" ; bg:occurrence 2 ] .   # their 2nd occurrence
    bgr:claim-z a bg:Claim ; ... ;
        bg:quoteSelector [ oa:exact "the words" ; oa:prefix "said " ] . # the one after "said "

``expand`` turns that into the full annotation: an ``oa:Annotation`` (one per distinct passage,
whose ``oa:hasBody`` lists every fact citing it), its ``oa:SpecificResource`` target on the fact's
source, an ``oa:TextQuoteSelector`` with computed ``oa:prefix``/``oa:suffix`` and an
``oa:TextPositionSelector`` with computed code-point offsets. The shorthand itself is not served.
``derive`` adds the direct edges that the qualified nodes already say (``bg:participant``,
``org:holds``, ``bg:postHolding``), so each fact is written once.

Annotation IRIs: an annotation written before the shorthand existed keeps its IRI through
``data/annotation-iris.tsv`` (source graph, start, end → IRI; written by ``compact``); any other gets
``bgr:ann-<graph>-<start>-<end>``, which depends only on the passage (sources never change), so adding
a fact never renames another annotation.

``compact`` is the one-off migration of hand-written annotations into the shorthand
(``python -m bordergraph.shorthand compact``). It edits the records files as text, so comments and
layout stay, and refuses to write unless the expansion of the new file is isomorphic to the
expansion of the old one. It can be run again on whatever the records files hold.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGG, BGR, OA, ONTOLOGY_GRAPH, ORG, PREFIXES, SOURCES_GRAPH
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


# --- the migration: hand-written annotations → shorthand, as a text edit ------------------------------

_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<comment>#[^\n]*)|(?P<iri><[^>\s]*>)"
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r"|(?P<punct>[;,\[\](){}]|\^\^|\.(?![\w:]))"
    r"|(?P<word>(?:[^\s;,\[\](){}<\"'#.^]|\.(?=[\w:-]))+)",
    re.DOTALL,
)


@dataclass
class Token:
    """One lexical token of a TriG file and where it is."""

    kind: str
    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Tokens of a TriG file, whitespace and comments dropped (the subset the records use)."""
    out = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot tokenise TriG at offset {position}: {text[position : position + 30]!r}")
        kind = match.lastgroup or ""
        if kind not in ("ws", "comment"):
            out.append(Token(kind, match.group(), match.start(), match.end()))
        position = match.end()
    return out


@dataclass
class Segment:
    """One predicate of a statement with its objects: ``pred o1 , o2`` up to its ``;`` or ``.``."""

    predicate: Token
    objects: list[list[Token]]
    terminator: Token


@dataclass
class Statement:
    """A subject with its predicate-object list, ending at the ``.`` token."""

    subject: Token
    segments: list[Segment]
    dot: Token

    def last_token_end(self, index: int) -> int:
        """Where the text of segment ``index`` ends (its last object token)."""
        return self.segments[index].objects[-1][-1].end


def statements(toks: list[Token]) -> list[Statement]:
    """The top-level statements inside GRAPH blocks (directives and graph braces skipped)."""
    out: list[Statement] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.text in ("@prefix", "@base"):
            while i < len(toks) and toks[i].text != ".":
                i += 1
            i += 1
            continue
        if tok.text.upper() in ("PREFIX", "BASE"):  # SPARQL style: no closing dot
            i += 3 if tok.text.upper() == "PREFIX" else 2
            continue
        if tok.text.upper() == "GRAPH" or tok.text in ("{", "}"):
            i += 1
            continue
        if i + 1 < len(toks) and toks[i + 1].text == "{":  # a graph name without the GRAPH keyword
            i += 2
            continue
        subject = tok
        i += 1
        segments: list[Segment] = []
        while i < len(toks) and toks[i].text != ".":
            predicate = toks[i]
            i += 1
            objects: list[list[Token]] = [[]]
            depth = 0
            while i < len(toks):
                t = toks[i]
                if depth == 0 and t.text in (";", "."):
                    break
                if depth == 0 and t.text == ",":
                    objects.append([])
                else:
                    objects[-1].append(t)
                    depth += t.text in ("[", "(")
                    depth -= t.text in ("]", ")")
                i += 1
            terminator = toks[i]
            segments.append(Segment(predicate, objects, terminator))
            if terminator.text == ";":
                i += 1
                while i < len(toks) and toks[i].text == ";":  # a stray extra ';'
                    i += 1
        out.append(Statement(subject, segments, toks[i]))
        i += 1
    return out


def _expand_name(name: str, prefixes: dict[str, str]) -> str:
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    if name == "a":
        return str(RDF.type)
    prefix, _, local = name.partition(":")
    return prefixes.get(prefix, prefix + ":") + local


def _prefixes(text: str) -> dict[str, str]:
    return dict(re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", text, flags=re.IGNORECASE))


def _line_start(text: str, offset: int) -> int:
    start = text.rfind("\n", 0, offset) + 1
    return start if not text[start:offset].strip() else offset


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    end = len(text) if end == -1 else end
    return end + 1 if not text[offset:end].strip() else offset


def quote_literal(exact: str) -> str:
    """The Turtle spelling of a quote literal (rdflib's own escaping)."""
    return Literal(exact).n3()


@dataclass
class Compacted:
    """The result of compacting one records file."""

    text: str
    legacy: dict[tuple[str, int, int], URIRef]
    annotations: int
    derived_edges: int
    kept: list[str]


def compact_text(text: str, graph_iri: URIRef, sources: Sources) -> Compacted:
    """Rewrite one records file: annotations → ``bg:quote`` on their facts, derived edges dropped.

    Only annotations the build would generate exactly (one target on the graph's own source,
    offsets that hold, ``oa:describing``, the generated label or none) are compacted; any other is
    left as written and named in ``kept``.
    """
    dataset = Dataset()
    dataset.parse(data=text, format="trig")
    graph = dataset.graph(graph_iri)
    source = sources.of_graph.get(graph_iri)
    source_text = sources.text.get(source) if source is not None else None
    prefixes = _prefixes(text)
    legacy: dict[tuple[str, int, int], URIRef] = {}
    quotes: dict[Node, list[tuple[int, int, str]]] = defaultdict(list)
    drop_subjects: set[str] = set()
    kept: list[str] = []
    standard = {RDF.type, RDFS.label, OA.motivatedBy, OA.hasBody, OA.hasTarget}
    for annotation in sorted(set(graph.subjects(RDF.type, OA.Annotation)), key=str):
        targets = list(graph.objects(annotation, OA.hasTarget))
        reason = ""
        if not isinstance(annotation, URIRef) or source_text is None or len(targets) != 1:
            reason = "not one target on a readable source"
        else:
            target = targets[0]
            quote, _, start, end = _target_positions(graph, target)
            exact = str(graph.value(quote, OA.exact)) if quote is not None else None
            if (
                start is None
                or end is None
                or exact is None
                or graph.value(target, OA.hasSource) != source
                or source_text[start:end] != exact
            ):
                reason = "its target is not a verified quote of this graph's source"
            elif set(graph.predicates(annotation)) - standard or list(graph.objects(annotation, OA.motivatedBy)) != [
                OA.describing
            ]:
                reason = "it says more than the shorthand can"
            elif graph.value(annotation, RDFS.label) not in (None, annotation_label(annotation, graph_iri, start, end)):
                reason = "its label is not the generated one"
            elif len(list(graph.predicate_objects(target))) != 4 or len(list(graph.predicate_objects(quote))) != 2:
                reason = "its target or selectors say more than the shorthand can"
        if reason:
            kept.append(f"{annotation}: {reason}")
            continue
        assert start is not None and end is not None and exact is not None and source_text is not None
        starts = occurrences(source_text, exact)
        spelled = (
            f"bg:quote {quote_literal(exact)}"
            if len(starts) == 1
            else f"bg:quoteSelector [ oa:exact {quote_literal(exact)} ; bg:occurrence {starts.index(start) + 1} ]"
        )
        for body in graph.objects(annotation, OA.hasBody):
            quotes[body].append((start, end, spelled))
        if annotation_iri(graph_iri, start, end, {}) != annotation:
            legacy[(_local(graph_iri), start, end)] = URIRef(str(annotation))
        drop_subjects.add(str(annotation))
    derived = derived_triples(graph)
    edits: list[tuple[int, int, str]] = []
    placed: set[Node] = set()
    derived_edges = 0
    for statement in statements(tokens(text)):
        subject_iri = _expand_name(statement.subject.text, prefixes)
        subject = URIRef(subject_iri)
        if subject_iri in drop_subjects:
            start = _line_start(text, statement.subject.start)
            end = _line_end(text, statement.dot.end)
            if text[end : end + 1] == "\n" and text[start - 2 : start] == "\n\n":
                end += 1  # drop the blank line that separated it
            edits.append((start, end, ""))
            continue
        removable = []
        for index, segment in enumerate(statement.segments):
            predicate = URIRef(_expand_name(segment.predicate.text, prefixes))
            if predicate not in (BG.participant, ORG.holds, BG.postHolding):
                continue
            objects = [o for o in segment.objects if o]
            if objects and all(
                len(o) == 1 and (subject, predicate, URIRef(_expand_name(o[0].text, prefixes))) in derived
                for o in objects
            ):
                removable.append(index)
                derived_edges += len(objects)
        new_quotes = sorted(quotes.get(subject, [])) if subject not in placed else []
        placed.add(subject)
        if not removable and not new_quotes:
            continue
        kept_segments = [i for i in range(len(statement.segments)) if i not in removable]
        if len(kept_segments) == 0 and not new_quotes:
            edits.append((_line_start(text, statement.subject.start), _line_end(text, statement.dot.end), ""))
            continue
        if not kept_segments:
            raise ValueError(f"{subject}: every predicate is derived and quotes must go on it; edit by hand")
        last_kept = kept_segments[-1]
        for index in removable:
            if index < last_kept:
                segment = statement.segments[index]
                edits.append((_line_start(text, segment.predicate.start), _line_end(text, segment.terminator.end), ""))
        insertion = "".join(f" ;\n    {spelled}" for _, _, spelled in new_quotes)
        end_of_kept = statement.last_token_end(last_kept)
        if last_kept < len(statement.segments) - 1:  # trailing segments removed: cut up to the dot
            edits.append((end_of_kept, statement.dot.start, insertion + " "))
        elif insertion:
            edits.append((end_of_kept, end_of_kept, insertion))
    unplaced = [fact for fact in quotes if fact not in placed]
    if unplaced:
        close = text.rfind("}")
        separator = " ;\n    "
        block = "".join(
            f"{fact.n3()} {separator.join(s for _, _, s in sorted(quotes[fact]))} .\n\n"
            for fact in sorted(unplaced, key=str)
        )
        edits.append((close, close, block))
    out = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    return Compacted(out, legacy, len(drop_subjects), derived_edges, kept)


def expanded(text: str, graph_iri: URIRef, sources: Sources, legacy: dict[tuple[str, int, int], URIRef]) -> Graph:
    """The graph a records file's text expands to (what the build loads and serves)."""
    dataset = Dataset()
    dataset.parse(data=text, format="trig")
    graph = Graph()
    for triple in dataset.graph(graph_iri):
        graph.add(triple)
    problems = expand(graph, graph_iri, sources, legacy, str(graph_iri))
    if problems:
        raise ValueError("\n".join(str(p) for p in problems))
    return graph


def triple_count(text: str) -> int:
    """The number of triples a TriG text holds as parsed (what a curator wrote by hand)."""
    dataset = Dataset()
    dataset.parse(data=text, format="trig")
    return sum(1 for _ in dataset.quads((None, None, None, None)))


@dataclass
class MigrationReport:
    """What ``compact`` did to each file."""

    lines: list[str] = field(default_factory=list)


def compact(paths: Paths, files: Iterable[Path] | None = None, write: bool = True) -> MigrationReport:
    """Migrate records files to the shorthand, refusing any file whose expansion would change."""
    sources_dataset = Dataset(default_union=True)
    sources_dataset.parse(paths.sources_file, format="trig")
    sources = Sources.read(sources_dataset, paths)
    legacy = read_legacy(paths)
    report = MigrationReport()
    results: list[tuple[Path, Compacted]] = []
    for path in files if files is not None else paths.record_files:
        graph_iri = BGG[path.stem]
        before = path.read_text(encoding="utf-8")
        result = compact_text(before, graph_iri, sources)
        table = {**legacy, **result.legacy}
        old, new = expanded(before, graph_iri, sources, legacy), expanded(result.text, graph_iri, sources, table)
        if not isomorphic(old, new):
            raise ValueError(f"{paths.relative(path)}: the compacted file would expand differently; nothing written")
        legacy = table
        results.append((path, result))
        report.lines.append(
            f"{paths.relative(path)}: {triple_count(before)} → {triple_count(result.text)} triples written by hand "
            f"({result.annotations} annotations to bg:quote, {result.derived_edges} derived edges dropped"
            + (f"; kept as written: {'; '.join(result.kept)}" if result.kept else "")
            + ")"
        )
    if write:
        for path, result in results:
            path.write_text(result.text, encoding="utf-8")
        write_legacy(paths, legacy)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bordergraph.shorthand compact [--dry-run] [ROOT]``: run the migration."""
    from bordergraph.paths import find_paths

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "compact":
        print(main.__doc__, file=sys.stderr)
        return 2
    dry = "--dry-run" in args
    rest = [a for a in args[1:] if a != "--dry-run"]
    paths = find_paths(rest[0] if rest else None)
    report = compact(paths, write=not dry)
    print("\n".join(report.lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
