"""One report from three kinds of checks.

SHACL shapes, ``*-violation.rq`` queries, and the checks only Python can do (quotes and
offsets against the archived files, checksums).

Nothing here prints; the CLI renders the report.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SH
from rdflib.term import Node

from bordergraph.loader import Loaded
from bordergraph.prefixes import BG, OA, ONTOLOGY_GRAPH, SCHEMA, bind
from bordergraph.problems import Problem, Report
from bordergraph.querystore import QueryStore
from bordergraph.quotes import closest
from bordergraph.vocabulary import check_vocabulary, one_line_per_root_cause, without_consequences


def _owner(graph: Graph, node: Node) -> Node:
    """Climb from a blank node (a selector, a target) to the named record it belongs to."""
    seen: set[Node] = set()
    while isinstance(node, BNode) and node not in seen:
        seen.add(node)
        parent = next(graph.subjects(None, node), None)
        if parent is None:
            break
        node = parent
    return node


def _where(loaded: Loaded, union: Graph, node: Node | None) -> str:
    """The file(s) describing a node, or else the files of the records that point to it."""
    if node is None:
        return "?"
    if node in loaded.subject_files:
        return loaded.files_of(node)
    users = {f for s in union.subjects(None, node) for f in loaded.subject_files.get(s, ())}
    return ", ".join(sorted(users)) or "?"


def _shown_value(graph: Graph, value: Node) -> str:
    """A value as a curator wrote it: a prefixed name, a quoted literal, or a blank node's label."""
    if isinstance(value, URIRef):
        return graph.namespace_manager.normalizeUri(value)
    if isinstance(value, Literal):
        return value.n3(graph.namespace_manager)
    label = graph.value(value, RDFS.label)
    return f"[ {label} ]" if label is not None else "a blank node"


def _name(node: Node | None) -> str:
    return str(node) if isinstance(node, URIRef) else ""


def _union(loaded: Loaded) -> Graph:
    union = Graph()
    bind(union)
    for quad in loaded.dataset.quads((None, None, None, None)):
        union.add(quad[:3])
    return union


def check_shapes(loaded: Loaded, union: Graph, report: Report) -> None:
    """Run pySHACL over the union of all graphs, with the ontology's class hierarchy mixed in."""
    shapes = Graph().parse(loaded.paths.shapes_file, format="turtle")
    report.shapes = len(set(shapes.subjects(RDF.type, SH.NodeShape)))
    ontology = loaded.dataset.graph(ONTOLOGY_GRAPH)
    conforms, results, _ = shacl_validate(
        union, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    if conforms:
        return
    assert isinstance(results, Graph)
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if results.value(result, SH.resultSeverity) != SH.Violation or (None, SH.detail, result) in results:
            continue  # nested sh:detail results repeat their parent's finding in pySHACL's words
        focus = results.value(result, SH.focusNode)
        record = _owner(union, focus) if focus is not None else focus
        message = str(results.value(result, SH.resultMessage) or "violates a shape")
        shape = results.value(result, SH.sourceShape)
        if isinstance(shape, BNode):  # a property shape: name the node shape that holds it
            shape = next(shapes.subjects(SH.property, shape), shape)
        rule = str(shape).rsplit("#", 1)[-1] if isinstance(shape, URIRef) else "shape"
        pointing = list(shapes.objects(shape, SH.targetObjectsOf)) if shape is not None else []
        users = [s for p in pointing for s in union.subjects(p, focus)] if focus is not None else []
        if users:  # the fault is in the records that point to the focus node: name them
            for user in sorted(set(users), key=str):
                owner = _owner(union, user)
                report.problems.append(
                    Problem(rule, _where(loaded, union, owner), _name(owner), f"{message} (not <{focus}>)")
                )
            continue
        value = results.value(result, SH.value)
        if value is not None and str(value) not in message:  # name the bad value in every message
            message += f" (value: {_shown_value(union, value)})"
        report.problems.append(Problem(rule, _where(loaded, union, record), _name(record), message))


def check_queries(loaded: Loaded, store: QueryStore, report: Report) -> None:
    """Run every ``queries/checks/*-violation.rq``; each row is a problem (ODK convention)."""
    checks = sorted(loaded.paths.checks_dir.glob("*-violation.rq"))
    report.checks = len(checks)
    for check in checks:
        rule = check.stem
        for row in store.query(check.read_text(encoding="utf-8")):
            graph, record, message = row["graph"], row["record"], row["message"]
            graph_iri = URIRef(graph.value) if isinstance(graph, ox.NamedNode) else None
            file = loaded.graph_files.get(graph_iri, "") if graph_iri is not None else ""
            record_iri = record.value if isinstance(record, ox.NamedNode) else ""
            if not file and record_iri:
                file = loaded.files_of(URIRef(record_iri))
            report.problems.append(Problem(rule, file or "?", record_iri, message.value if message else rule))


def _source_texts(loaded: Loaded, report: Report) -> dict[Node, str]:
    """Read every archived source named by a source record, checking its sha256 first."""
    data = loaded.dataset
    texts: dict[Node, str] = {}
    for source in set(data.subjects(RDF.type, BG.SourceDocument)):
        file = loaded.files_of(source)
        local = data.value(source, BG.localPath)
        if local is None:
            continue  # the SHACL shape reports the missing path
        path = loaded.paths.root / str(local)
        if not path.is_file():
            report.problems.append(Problem("source-file", file, str(source), f"archived file {local} is missing"))
            continue
        raw = path.read_bytes()
        expected = str(data.value(source, BG.sha256) or "")
        actual = hashlib.sha256(raw).hexdigest()
        if expected and actual != expected:
            report.problems.append(
                Problem(
                    "source-checksum",
                    file,
                    str(source),
                    f"{local} has sha256 {actual}, the record says {expected}: the archive must stay byte for byte "
                    "as published (restore the file, or fix bg:sha256 if the record is wrong)",
                )
            )
        try:
            texts[source] = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.problems.append(Problem("source-file", file, str(source), f"{local} is not UTF-8: {exc}"))
    return texts


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_quotes(loaded: Loaded, report: Report) -> None:
    """Every quote is a verbatim substring at its stated offsets; every printed string is printed."""
    data = loaded.dataset
    texts = _source_texts(loaded, report)
    for target in set(data.objects(None, OA.hasTarget)):
        annotation = next(data.subjects(OA.hasTarget, target), None)
        record, file = (
            _name(annotation) if annotation else "",
            loaded.files_of(annotation) if annotation else "?",
        )
        source = data.value(target, OA.hasSource)
        if source not in texts:
            continue  # unknown sources are reported by the shapes and the dangling-IRI check
        text = texts[source]
        selectors = list(data.objects(target, OA.hasSelector))
        exact = next((data.value(s, OA.exact) for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in data), None)
        position = next((s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in data), None)
        if exact is None:
            continue  # the annotation shape reports it
        quote = str(exact)
        if quote not in text:
            near = closest(text, quote)
            report.problems.append(
                Problem(
                    "quote-in-source",
                    file,
                    record,
                    f'quote "{_short(quote)}" is not in {source}: '
                    + (near.explain() if near else "nothing in it is close")
                    + "; copy it verbatim",
                )
            )
            continue
        if position is not None:
            start, end = data.value(position, OA.start), data.value(position, OA.end)
            if isinstance(start, Literal) and isinstance(end, Literal):
                try:
                    s, e = int(str(start)), int(str(end))
                except ValueError:
                    continue  # the position-selector shape reports the ill-typed offset
                if text[s:e] != quote:
                    found = text.find(quote)
                    report.problems.append(
                        Problem(
                            "quote-offsets",
                            file,
                            record,
                            f'text[{s}:{e}] is not the quote "{_short(quote)}"; it first occurs at '
                            f"oa:start {found} ; oa:end {found + len(quote)} (offsets count code points)",
                        )
                    )
                    continue
        report.quotes_verified += 1
    printed = (
        BG.asPrinted,
        SCHEMA.text,
        BG.dateAsStated,
        BG.publisherAsStated,
        BG.placeOfIssueAsStated,
        DCTERMS.title,
    )
    for prop in printed:
        for subject, value in data.subject_objects(prop):
            sources = set(data.objects(subject, PROV.wasDerivedFrom))
            if (subject, RDF.type, BG.SourceDocument) in data:
                sources = {subject}
            known = [texts[s] for s in sources if s in texts]
            if not known:
                continue
            if any(str(value) in t for t in known):
                report.strings_verified += 1
                continue
            report.problems.append(
                Problem(
                    "printed-string",
                    loaded.files_of(subject),
                    _name(subject),
                    f'{data.namespace_manager.normalizeUri(prop)} "{_short(str(value))}" is not printed in its source: '
                    "copy the words verbatim",
                )
            )


def validate(loaded: Loaded, store: QueryStore | None = None) -> Report:
    """Validate a loaded dataset; pass the store built from it to check exactly what will be served."""
    report = Report()
    union = _union(loaded)
    check_shapes(loaded, union, report)
    check_queries(loaded, store or QueryStore.from_dataset(loaded.dataset), report)
    check_quotes(loaded, report)
    vocabulary, undeclared = check_vocabulary(loaded)
    report.problems = without_consequences(report.problems + vocabulary, undeclared)
    report.problems = one_line_per_root_cause(list(dict.fromkeys(report.problems)))
    return report
