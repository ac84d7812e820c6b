"""A closed vocabulary, and one line per root cause.

Every own term (``bg:`` and ``bgt:``) the data uses must be declared in ``ontology/``: a misspelt
property, class or modality is an error that names it and the nearest declared term (``difflib``).
A records graph that no source record claims is one problem with the fix; what follows from it
in that file waits until it is fixed.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from rdflib import OWL, RDF, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from bordergraph.loader import Loaded
from bordergraph.prefixes import BG, BGT, ONTOLOGY_GRAPH
from bordergraph.problems import Problem

OWN = (str(BG), str(BGT))
PROPERTIES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
CLASSES = (OWL.Class,)
CONCEPTS = (SKOS.Concept, SKOS.ConceptScheme, OWL.NamedIndividual)


def compact(term: Node) -> str:
    """``bg:x`` / ``bgt:x`` for own terms, ``<iri>`` for others."""
    text = str(term)
    for prefix, namespace in (("bg:", str(BG)), ("bgt:", str(BGT))):
        if text.startswith(namespace):
            return prefix + text[len(namespace) :]
    return f"<{text}>"


def _declared(loaded: Loaded) -> dict[str, set[URIRef]]:
    ontology = loaded.dataset.graph(ONTOLOGY_GRAPH)
    kinds: dict[str, set[URIRef]] = {"property": set(), "class": set(), "concept": set(), "any": set()}
    for term, kind in ontology.subject_objects(RDF.type):
        if not isinstance(term, URIRef) or not str(term).startswith(OWN):
            continue
        kinds["any"].add(term)
        if kind in PROPERTIES:
            kinds["property"].add(term)
        elif kind in CLASSES:
            kinds["class"].add(term)
        elif kind in CONCEPTS:
            kinds["concept"].add(term)
    return kinds


def nearest(term: URIRef, candidates: set[URIRef]) -> str:
    """The declared term closest in spelling to ``term`` (same namespace first), or ''."""
    names = {compact(c): c for c in candidates}
    found = difflib.get_close_matches(compact(term), sorted(names), n=1, cutoff=0.7)
    if not found:  # compare case-insensitively: 'bg:committed' for 'bg:Committed'
        lower = {n.lower(): n for n in names}
        found = [lower[m] for m in difflib.get_close_matches(compact(term).lower(), sorted(lower), n=1, cutoff=0.7)]
    return found[0] if found else ""


def _ratio(term: URIRef, name: str) -> float:
    return difflib.SequenceMatcher(None, compact(term).lower(), name.lower()).ratio()


def _kind_of(name: str, declared: dict[str, set[URIRef]]) -> str:
    kinds = {compact(t): kind for kind in ("property", "class", "concept") for t in declared[kind]}
    return kinds.get(name, "term")


def check_vocabulary(loaded: Loaded) -> tuple[list[Problem], set[URIRef]]:
    """Every own term used outside the ontology is declared there; one problem per term and file.

    Returns the problems and the undeclared terms (see ``without_consequences``).
    """
    declared = _declared(loaded)
    uses: dict[tuple[URIRef, str, str], list[Node]] = defaultdict(list)
    for s, p, o, g in loaded.dataset.quads((None, None, None, None)):
        graph = getattr(g, "identifier", g)
        if graph == ONTOLOGY_GRAPH:
            continue
        for term, role in ((s, "record"), (p, "property"), (o, "class" if p == RDF.type else "value")):
            if isinstance(term, URIRef) and str(term).startswith(OWN) and term not in declared["any"]:
                if role == "record" and str(term).startswith(str(BGT)):
                    role = "value"
                if role == "record":
                    continue  # records live under bgr:, never bg:/bgt:; a subject there is a typo of a term
                file = loaded.graph_files.get(URIRef(str(graph)), "") or loaded.files_of(s)
                uses[(term, role, file)].append(s)
    problems = []
    for (term, role, file), subjects in sorted(uses.items(), key=lambda item: (item[0][2], str(item[0][0]))):
        pool = {"property": declared["property"], "class": declared["class"]}.get(role, declared["concept"])
        if str(term).startswith(str(BGT)):
            pool = {t for t in declared["concept"] if str(t).startswith(str(BGT))}
        kind = {"property": "property", "class": "class"}.get(role, "term")
        in_kind, overall = nearest(term, pool), nearest(term, declared["any"])
        if in_kind:
            hint = f": did you mean {in_kind}?"
        elif overall:
            hint = f": did you mean {overall} (a {_kind_of(overall, declared)}, not a {kind})?"
        elif pool:
            closest = max(map(compact, pool), key=lambda name: _ratio(term, name))
            hint = f": none is close; the nearest declared {kind} is {closest}."
        else:
            hint = "."
        records = sorted({str(s) for s in subjects if isinstance(s, URIRef)})
        where = f"used {len(subjects)} time(s)" + (f", first by <{records[0]}>" if records else "")
        problems.append(
            Problem(
                "closed-vocabulary",
                file or "?",
                records[0] if records else "",
                f"{kind} {compact(term)} is not declared in ontology/ ({where}){hint}"
                + " Fix the spelling, or declare the term (label, definition, domain, range) in "
                "ontology/bordergraph.ttl",
            )
        )
    return problems, {term for term, _, _ in uses}


def without_consequences(problems: list[Problem], undeclared: set[URIRef]) -> list[Problem]:
    """Drop the shape and check results that only repeat an undeclared term (its own line says it)."""
    if not undeclared:
        return problems
    names = re.compile(
        "|".join(
            alternative
            for term in sorted(undeclared, key=str)
            for alternative in (re.escape(f"<{term}>"), re.escape(compact(term)) + r"(?![\w-])")
        )
    )
    return [p for p in problems if p.rule == "closed-vocabulary" or not names.search(p.message)]


ROOT_CAUSES = {
    "missing-source-graph-violation": "`bordergraph add-source FILE --title …` writes the source record with its "
    "sha256, path, dates and bg:sourceGraph",
}


def one_line_per_root_cause(problems: list[Problem]) -> list[Problem]:
    """Keep one line, with the fix, for a root cause that makes everything else in its file follow.

    A records graph that no source record claims cannot be checked at all (no source, no quotes, no
    offsets): each fact would report the missing record again. That file gets the root cause alone,
    with the number of problems left unlisted until it is fixed (problems of records it shares with
    other files included: their printed strings, for one, cannot be checked without its source).
    """
    roots = {p.file: p for p in problems if p.rule in ROOT_CAUSES}
    if not roots:
        return problems

    def files(problem: Problem) -> set[str]:  # a record described in several files names them all
        return set(problem.file.split(", "))

    kept = [p for p in problems if not files(p) & set(roots)]
    for file, root in sorted(roots.items()):
        hidden = sum(1 for p in problems if file in files(p)) - 1
        message = f"{root.message} ({ROOT_CAUSES[root.rule]})"
        if hidden:
            message += f"; {hidden} other problem(s) in this file follow from it and are not listed"
        kept.append(Problem(root.rule, root.file, root.record, message))
    return kept
