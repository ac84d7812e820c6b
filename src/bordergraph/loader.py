"""Files → one rdflib Dataset with a named graph per source, or an error naming every bad file.

Each file is parsed into its own scratch dataset first, so a file that fails never leaves a
half-loaded graph behind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from bordergraph.mappings import parsed_mappings
from bordergraph.paths import Paths
from bordergraph.prefixes import BGG, ONTOLOGY_GRAPH, SOURCES_GRAPH, bind
from bordergraph.problems import LoadError, Problem
from bordergraph.shorthand import expand_parsed


@dataclass
class Loaded:
    """The dataset and where each of its parts came from (for reports that name files)."""

    dataset: Dataset
    paths: Paths
    graph_files: dict[URIRef, str] = field(default_factory=dict)
    subject_files: dict[Node, set[str]] = field(default_factory=lambda: defaultdict(set))

    def files_of(self, node: Node) -> str:
        """The file(s) in which ``node`` is described, for a report line."""
        return ", ".join(sorted(self.subject_files.get(node, ()))) or "?"


def _parse(path: Path, fmt: str) -> Dataset:
    scratch = Dataset()
    scratch.parse(path, format=fmt)
    return scratch


def _graph_of_record_file(path: Path) -> URIRef:
    return BGG[path.stem]


def load(paths: Paths, record_files: list[Path] | None = None) -> Loaded:
    """Read the ontology, the source descriptions and the record files into one dataset.

    Args:
        paths: where the curated folders are.
        record_files: the TriG record files to load; the project's own by default.

    Raises:
        LoadError: a file does not parse, or a record file holds other graphs than its own.

    """
    files = record_files if record_files is not None else paths.record_files
    dataset = Dataset(default_union=True)
    bind(dataset)
    loaded = Loaded(dataset=dataset, paths=paths)
    problems: list[Problem] = []
    plan: list[tuple[Path, str, URIRef]] = [(p, "turtle", ONTOLOGY_GRAPH) for p in paths.ontology_files]
    plan.append((paths.sources_file, "trig", SOURCES_GRAPH))
    plan.extend((p, "trig", _graph_of_record_file(p)) for p in files)
    parsed: list[tuple[Path, URIRef, Graph]] = []
    for path, fmt, graph_iri in plan:
        rel = paths.relative(path)
        try:
            scratch = _parse(path, fmt)
        except Exception as exc:  # rdflib raises many types; all mean "does not parse"
            problems.append(Problem("syntax", rel, "", f"does not parse as {fmt}: {exc}"))
            continue
        if fmt == "turtle":
            parsed.append((path, graph_iri, scratch.default_graph))
            continue
        graphs = {g.identifier: g for g in scratch.graphs() if len(g)}
        extra = sorted(str(g) for g in graphs if g != graph_iri)
        if extra:
            problems.append(
                Problem(
                    "one-graph-per-file",
                    rel,
                    "",
                    f"must hold only GRAPH <{graph_iri}> (named after the file); also found: {', '.join(extra)}",
                )
            )
            continue
        if not graphs:
            continue  # an empty records file (`bordergraph add-source` writes one): nothing to load yet
        if graph_iri not in graphs:
            problems.append(Problem("one-graph-per-file", rel, "", f"holds no triples in GRAPH <{graph_iri}>"))
            continue
        parsed.append((path, graph_iri, graphs[graph_iri]))
    if not problems:  # the bg:quote shorthand → full annotations, and the derived direct edges
        problems.extend(expand_parsed(paths, parsed))
    if record_files is None:  # the mapping tables link the project's own records, so only with those
        parsed.extend(parsed_mappings(paths, problems))
    if problems:
        raise LoadError(problems)
    for path, graph_iri, source in parsed:
        rel = paths.relative(path)
        target = dataset.graph(graph_iri)
        for triple in source:
            target.add(triple)
            loaded.subject_files[triple[0]].add(rel)
        loaded.graph_files.setdefault(graph_iri, rel)
    return loaded
