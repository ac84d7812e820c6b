"""The one-off migration of hand-written annotations into the shorthand, as a text edit of the records files.

``compact`` keeps comments and layout and refuses to write unless the expansion of the new file is isomorphic
to the expansion of the old one; ``python -m bordergraph.shorthand compact [--dry-run] [ROOT]`` runs it.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGG, OA, ORG
from bordergraph.quotes import occurrences
from bordergraph.shorthand.expansion import (
    Sources,
    _local,
    _target_positions,
    annotation_iri,
    annotation_label,
    derived_triples,
    expand,
    read_legacy,
    write_legacy,
)

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
