"""Compare a query's answer with its reviewed snapshot, without failing on rows that ORDER BY leaves tied.

Rows are compared in order between groups of equal sort keys and as multisets within a group; a query
without ORDER BY is compared as a multiset. Only the ORDER BY keys that are plain projected variables
can be read from the answer, so grouping stops at the first key that is not: the groups get coarser
(never a false failure on ties), the order between them is still checked. Under a LIMIT that cuts a
group, which of the tied rows made the cut is the engine's choice: the last group is compared by its
key and size only. Written by hand: no library compares SPARQL answers modulo ties.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Variable


@dataclass(frozen=True)
class Ordering:
    """What a query's solution modifiers say about the order of its rows."""

    keys: tuple[str, ...] | None  # ORDER BY variables, outermost query; None when there is no ORDER BY
    limited: bool  # a LIMIT may cut a group of ties


def ordering(query: str) -> Ordering:
    """The ORDER BY variables (in order, while they are plain variables) and whether there is a LIMIT."""
    node = prepareQuery(query).algebra.get("p")
    limited = False
    while isinstance(node, CompValue):
        if node.name == "Slice":
            limited = limited or node.get("length") is not None
        if node.name == "OrderBy":
            keys: list[str] = []
            for condition in node.get("expr") or []:
                expr = condition.get("expr") if isinstance(condition, CompValue) else condition
                if not isinstance(expr, Variable):
                    break  # an expression: the keys after it cannot be read from the answer
                keys.append(str(expr))
            return Ordering(tuple(keys), limited)
        if node.name not in ("Slice", "Project", "Distinct", "Reduced", "ToMultiSet", "Extend"):
            break
        node = node.get("p")
    return Ordering(None, limited)


def _table(tsv: str) -> tuple[list[str], list[str]]:
    lines = tsv.rstrip("\n").split("\n")
    return lines[0].split("\t"), lines[1:]


def _groups(rows: list[str], columns: list[int]) -> list[tuple[tuple[str, ...], Counter[str]]]:
    groups: list[tuple[tuple[str, ...], Counter[str]]] = []
    for row in rows:
        cells = row.split("\t")
        key = tuple(cells[i] if i < len(cells) else "" for i in columns)
        if groups and groups[-1][0] == key:
            groups[-1][1][row] += 1
        else:
            groups.append((key, Counter([row])))
    return groups


def differences(expected: str, actual: str, order: Ordering) -> list[str]:
    """What differs between two SPARQL TSV answers, modulo the order of ties; empty when they agree."""
    expected_header, expected_rows = _table(expected)
    actual_header, actual_rows = _table(actual)
    if expected_header != actual_header:
        return [f"columns differ: expected {expected_header}, got {actual_header}"]
    columns: list[int] = []
    for name in order.keys or ():
        if f"?{name}" not in actual_header:
            break  # not projected: the rest of the order cannot be checked
        columns.append(actual_header.index(f"?{name}"))
    if order.keys is None or not columns:
        missing = Counter(expected_rows) - Counter(actual_rows)
        extra = Counter(actual_rows) - Counter(expected_rows)
        return [f"missing row: {r}" for r in sorted(missing.elements())] + [
            f"unexpected row: {r}" for r in sorted(extra.elements())
        ]
    want, got = _groups(expected_rows, columns), _groups(actual_rows, columns)
    if [k for k, _ in want] != [k for k, _ in got]:
        return [
            "the order of the sort keys differs: expected "
            f"{[list(k) for k, _ in want]}, got {[list(k) for k, _ in got]}"
        ]
    out: list[str] = []
    for index, ((key, rows), (_, answer)) in enumerate(zip(want, got, strict=True)):
        if order.limited and index == len(want) - 1:
            if sum(rows.values()) != sum(answer.values()):
                out.append(
                    f"last group {list(key)} (cut by LIMIT) has {sum(answer.values())} rows, not {sum(rows.values())}"
                )
            continue
        out += [f"group {list(key)}: missing row: {r}" for r in sorted((rows - answer).elements())]
        out += [f"group {list(key)}: unexpected row: {r}" for r in sorted((answer - rows).elements())]
    return out
