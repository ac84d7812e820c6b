"""Find where pyoxigraph stops coping with long flat queries: one throwaway process per probe.

Usage: .venv/bin/python bench/guard_limits.py [--only plus,union] [--max-bytes 1048576] [--timeout 20]
       .venv/bin/python bench/guard_limits.py --accepted   # the guard's side: largest n it accepts, run

For each shape (a chain of ``+``, ``&&``, ``UNION``, triple patterns, path steps, VALUES rows, an
``IN`` list, ...) the query is built with n elements and evaluated in a fresh Python process
exactly the way a query worker does it (main thread, the same stack limit, a small store, every
solution consumed), with a wall-clock timeout and a 2 GiB address-space cap. A segfault or a stack
overflow kills only that process. n doubles from 16 until the process dies, overruns the timeout
or the query passes ``--max-bytes``; then the boundary is bisected to within 2 %. The table it
prints is the source of the figures in ``bordergraph.web.guard`` (see the comment there).

With ``--accepted`` it checks the other side: for each shape (and a few that mix chains and
nesting) the largest n the guard accepts at its default settings, evaluated the same way; every
one must pass.
"""

from __future__ import annotations

import argparse
import platform
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

# The child: what a worker does with a query (evaluate, consume, serialise), nothing else.
CHILD = r"""
import sys, time
import pyoxigraph as ox
store = ox.Store()
p = ox.NamedNode("urn:p")
store.extend([ox.Quad(ox.NamedNode(f"urn:s{i}"), p, ox.NamedNode(f"urn:s{i + 1}")) for i in range(20)])
query = sys.stdin.read()
started = time.perf_counter()
result = store.query(query)
if isinstance(result, ox.QuerySolutions):
    result.serialize(format=ox.QueryResultsFormat.JSON)
elif isinstance(result, ox.QueryTriples):
    ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
print(f"{time.perf_counter() - started:.3f}")
"""


def _chain(op: str, term: str = "1") -> Callable[[int], str]:
    return lambda n: f"SELECT ?x WHERE {{ BIND({(term + op) * (n - 1)}{term} AS ?x) }}"


SHAPES: dict[str, Callable[[int], str]] = {
    # binary operators, flat (no parentheses): n operands
    "plus": _chain(" + "),
    "minus": _chain(" - "),
    "times": _chain(" * "),
    "divide": _chain(" / "),
    "and": _chain(" && ", "true"),
    "or": _chain(" || ", "false"),
    # unary operators, no parentheses: n operators
    "not": lambda n: f"SELECT ?x WHERE {{ BIND({'!' * n}true AS ?x) }}",
    # (a chain of unary minus, "- - 1", is a syntax error in Oxigraph: nothing to limit)
    # nesting: n brackets one inside another (the guard's max_depth)
    "paren_nesting": lambda n: f"SELECT ?x WHERE {{ BIND({'(' * n}1{')' * n} AS ?x) }}",
    "group_nesting": lambda n: "SELECT * WHERE " + "{ " * n + "?s <urn:p> ?o" + " }" * n,
    "blank_node_nesting": lambda n: "SELECT * WHERE { ?s <urn:p> " + "[ <urn:p> " * n + "?o" + " ]" * n + " }",
    "path_nesting": lambda n: "SELECT * WHERE { ?s " + "(" * n + "<urn:p>" + ")" * n + " ?o }",
    "function_nesting": lambda n: f"SELECT ?x WHERE {{ BIND({'STR(' * n}1{')' * n} AS ?x) }}",
    "subselect_nesting": lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{ ?s <urn:p> ?o }" + " }" * n,
    # group graph patterns: n alternatives / n optional parts / n filters / n binds
    "union": lambda n: "SELECT * WHERE { " + " UNION ".join(["{ ?s <urn:q> ?o }"] * n) + " }",
    "optional": lambda n: "SELECT * WHERE { ?s <urn:p> ?o " + "OPTIONAL { ?s <urn:q> ?o } " * n + "}",
    "minus_pattern": lambda n: "SELECT * WHERE { ?s <urn:p> ?o " + "MINUS { ?s <urn:q> ?o } " * n + "}",
    "filter": lambda n: "SELECT * WHERE { ?s <urn:p> ?o " + "FILTER(true) " * n + "}",
    "bind": lambda n: (
        "SELECT * WHERE { BIND(1 AS ?v0) " + " ".join(f"BIND(?v{i} AS ?v{i + 1})" for i in range(n - 1)) + " }"
    ),
    "groups": lambda n: "SELECT * WHERE { " + "{ ?s <urn:p> ?o } " * n + "}",
    # triple patterns: n patterns joined on a chain of variables, or sharing a subject
    "triples": lambda n: "SELECT * WHERE { " + " ".join(f"?v{i} <urn:q> ?v{i + 1} ." for i in range(n)) + " }",
    "predicate_list": lambda n: "SELECT * WHERE { ?s " + " ; ".join(f"<urn:q> ?o{i}" for i in range(n)) + " }",
    "object_list": lambda n: "SELECT * WHERE { ?s <urn:q> " + " , ".join(f"?o{i}" for i in range(n)) + " }",
    "collection": lambda n: "SELECT * WHERE { ?s <urn:q> (" + " 1" * n + " ) }",
    # property paths: n steps
    "path_sequence": lambda n: "SELECT * WHERE { ?s " + "/".join(["<urn:p>"] * n) + " ?o }",
    "path_alternative": lambda n: "SELECT * WHERE { ?s " + "|".join(["<urn:p>"] * n) + " ?o }",
    "path_negated": lambda n: "SELECT * WHERE { ?s !(" + "|".join(f"<urn:q{i}>" for i in range(n)) + ") ?o }",
    # data: n rows / n list members / n arguments
    "values_rows": lambda n: "SELECT * WHERE { VALUES ?x { " + " ".join(str(i) for i in range(n)) + " } }",
    "values_pairs": lambda n: "SELECT * WHERE { VALUES (?x ?y) { " + " ".join(f"({i} {i})" for i in range(n)) + " } }",
    "in_list": lambda n: (
        "SELECT * WHERE { ?s <urn:p> ?o FILTER(?o IN (" + ", ".join(f"<urn:s{i}>" for i in range(n)) + ")) }"
    ),
    "concat_args": lambda n: "SELECT ?x WHERE { BIND(CONCAT(" + ", ".join(['"a"'] * n) + ") AS ?x) }",
    "coalesce_args": lambda n: f"SELECT ?x WHERE {{ BIND(COALESCE({', '.join(['1'] * n)}) AS ?x) }}",
    "select_vars": lambda n: "SELECT " + " ".join(f"?v{i}" for i in range(n)) + " WHERE { ?s <urn:p> ?o }",
    "construct_triples": lambda n: (
        "CONSTRUCT { " + " ".join(f"?s <urn:c{i}> ?o ." for i in range(n)) + " } WHERE { ?s <urn:p> ?o }"
    ),
}


@dataclass
class Probe:
    n: int
    size: int
    outcome: str  # "ok", "SIGSEGV", "SIGABRT", "timeout", "error: ..."
    seconds: float


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    cap = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def probe(query: str, n: int, timeout: float) -> Probe:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD],
            input=query.encode(),
            capture_output=True,
            timeout=timeout,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Probe(n, len(query.encode()), "timeout", timeout)
    elapsed = time.perf_counter() - started
    if done.returncode == 0:
        return Probe(n, len(query.encode()), "ok", float(done.stdout.decode().strip() or elapsed))
    if done.returncode < 0:
        return Probe(n, len(query.encode()), signal.Signals(-done.returncode).name, elapsed)
    last = (done.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
    if "overflowed its stack" in done.stderr.decode(errors="replace"):
        last = "stack overflow"
    return Probe(n, len(query.encode()), f"error: {last[:70]}", elapsed)


def boundary(shape: Callable[[int], str], max_bytes: int, timeout: float) -> tuple[Probe | None, Probe | None]:
    """(largest n that passed, smallest n that failed); the failure is None below ``max_bytes``."""
    good: Probe | None = None
    n = 16
    while True:
        query = shape(n)
        if len(query.encode()) > max_bytes:
            return good, None
        result = probe(query, n, timeout)
        if result.outcome != "ok":
            bad = result
            break
        good = result
        n *= 2
    low = good.n if good else 1
    high = bad.n
    while high - low > max(1, low // 50):
        middle = (low + high) // 2
        result = probe(shape(middle), middle, timeout)
        if result.outcome == "ok":
            good, low = result, middle
        else:
            bad, high = result, middle
    return good, bad


MIXED: dict[str, Callable[[int], str]] = {
    "60 STR( ) around a + chain": lambda n: (
        "SELECT ?x WHERE { BIND(" + "STR(" * 60 + " + ".join(["1"] * n) + ")" * 60 + " AS ?x) }"
    ),
    "60 { } around a UNION chain": lambda n: (
        "SELECT * WHERE " + "{ " * 60 + " UNION ".join(["{ ?s <urn:q> ?o }"] * n) + " }" * 60
    ),
    "BINDs of 20-term && chains": lambda n: (
        "SELECT * WHERE { " + " ".join(f"BIND({' && '.join(['true'] * 20)} AS ?v{i})" for i in range(n)) + " }"
    ),
}


def accepted(timeout: float) -> None:
    """For each shape, the largest n the guard accepts by default, evaluated by the engine."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from bordergraph.web.guard import QueryRejectedError, inspect
    from bordergraph.web.settings import Settings

    def largest(shape: Callable[[int], str]) -> int:
        low, high = 0, 1 << 16
        while high - low > 1:
            middle = (low + high) // 2
            try:
                inspect(shape(middle), Settings.max_depth, margin=Settings.guard_margin)
                low = middle
            except QueryRejectedError:
                high = middle
        return low

    print(f"{'shape':<28} {'largest accepted n':>18}  engine")
    for name, shape in {**SHAPES, **MIXED}.items():
        n = largest(shape)
        if n < 1:
            continue
        result = probe(shape(n), n, timeout)
        print(f"{name:<28} {n:>18}  {result.outcome} in {result.seconds:.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated shape names", default="")
    parser.add_argument("--max-bytes", type=int, default=1 << 20)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--accepted", action="store_true", help="run the largest queries the guard accepts")
    args = parser.parse_args()
    if args.accepted:
        accepted(args.timeout)
        return
    wanted = [s for s in args.only.split(",") if s] or list(SHAPES)
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
    print(
        f"pyoxigraph {pyoxigraph.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"stack limit {stack // 1024 if stack > 0 else 'unlimited'} KiB, timeout {args.timeout:g} s, "
        f"max {args.max_bytes} bytes"
    )
    print(f"{'shape':<18} {'largest ok n':>12} {'bytes':>8} {'s':>6}   {'first failing n':>15} {'bytes':>8}  failure")
    for name in wanted:
        good, bad = boundary(SHAPES[name], args.max_bytes, args.timeout)
        ok = f"{good.n:>12} {good.size:>8} {good.seconds:>6.2f}" if good else f"{'-':>12} {'-':>8} {'-':>6}"
        failed = f"{bad.n:>15} {bad.size:>8}  {bad.outcome}" if bad else f"{'none below':>15} {args.max_bytes:>8}"
        print(f"{name:<18} {ok}   {failed}", flush=True)


if __name__ == "__main__":
    main()
