"""Look at a query before the engine does: its form, nesting, chains, patterns, SERVICE endpoints.

pyoxigraph parses and evaluates in one call, with no way to inspect a parsed query from Python,
and it overflows its native stack (a segfault that kills a worker) on deeply nested groups and
on long flat chains (``1+1+…``, ``UNION``, ``MINUS``, ``BIND``, path alternatives: each element
is a level of a tree it walks recursively); its join planning grows steeply with the number of
patterns planned together. The limits below were measured (bench/guard_limits.py). So this
module tokenises the query text (a lexer only: strings, comments and IRIs are recognised so
that braces or keywords inside them are not counted) and refuses what must never reach the
engine. Written by hand: no maintained Python library exposes
a SPARQL 1.1 tokeniser that follows Oxigraph's grammar; rdflib's parser is a pyparsing grammar
that accepts invalid queries and is itself recursive. The engine stays the judge of syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

_LOCAL = r"(?:[\w:%-]|\\[^\s]|\.(?=[\w:%\\-]))*"
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:(?!''')[^\\]|\\.)*'''|\"\"\"(?:(?!\"\"\")[^\\]|\\.)*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$]\w+)
    | (?P<name>[^\W\d_][\w.-]*(?::"""
    + _LOCAL
    + r""")?|:"""
    + _LOCAL
    + r""")
    | (?P<number>\d+\.\d*[eE][+-]?\d+|\.?\d+[eE][+-]?\d+|\d*\.\d+|\d+)
    | (?P<op>&&|\|\||!=|<=|>=|\^\^|[-+*/!=<>|^])
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")

# -- the engine's limits, measured --------------------------------------------------------------
#
# Measured with bench/guard_limits.py (one throwaway process per probe, evaluated the way a worker
# does it: main thread, 8 MiB stack, every solution consumed; n doubled until the process died or
# overran 15 s, then bisected to 2 %) on pyoxigraph 0.5.13, CPython 3.11.7, x86_64 Linux:
#
#   shape (n of them, flat: no brackets)      largest n that passed   first n that failed
#   a + b + … (likewise - * /)                        6,784                6,912 SIGSEGV
#   a && b && … (likewise ||)                         9,216                9,344 SIGSEGV
#   !!…!true                                          9,216                9,344 SIGSEGV
#   {…} UNION {…} UNION …                             6,528                6,656 SIGSEGV
#   MINUS {…} MINUS {…} …                             2,592                2,624 SIGSEGV
#   FILTER(…) FILTER(…) …                             9,216                9,344 SIGSEGV
#   BIND(…) BIND(…) …                                 2,592                2,624 SIGSEGV
#   OPTIONAL {…} OPTIONAL {…} …                         608                  616 over 15 s
#   {…} {…} … (a join of groups)                        256                  260 over 15 s
#   ?a <p> ?b . ?b <p> ?c . … (triple patterns)         568                  576 over 15 s
#   ?s <p> ?o1 ; <p> ?o2 ; … (one subject)              174                  176 over 15 s
#   ?s <p> ?o1 , ?o2 , … (one subject and predicate)    158                  160 over 15 s
#   nesting, n brackets one inside another:
#   STR(STR(…(1)…)) (a function call in a call)           944                  960 SIGSEGV
#   ((…(1)…)) in an expression                         4,608                4,672 SIGSEGV
#   ((…(<p>)…)) in a property path                    13,568               13,824 SIGSEGV
#   { { … } } groups                                   2,176                2,208 SIGSEGV
#   { SELECT * WHERE { … } } subqueries (2 braces)     2,528                2,560 SIGSEGV
#   [ <p> [ <p> … ] ] blank nodes                        400                  408 over 15 s
#   ?s <p> (1 1 …) a collection of n members             256                  260 over 15 s
#   ?s <p>/<p>/… ?o (a path sequence)                    448                  456 over 15 s
#   ?s <p>|<p>|… ?o (path alternatives)               10,880               11,008 SIGSEGV
#   ?s !(<p1>|<p2>|…) ?o (a negated set)              65,536 passed, 840,885 bytes: no failure below 1 MiB
#   VALUES ?x { 1 2 … }                              131,072 passed, 806,426 bytes: no failure below 1 MiB
#   VALUES (?x ?y) { (1 1) … }                        65,536 passed, 895,321 bytes: no failure below 1 MiB
#   FILTER(?o IN (<a>, <b>, …))                       65,536 passed, 906,441 bytes: no failure below 1 MiB
#   CONCAT("a", "a", …)                              131,072 passed, 655,398 bytes: no failure below 1 MiB
#   COALESCE(1, 1, …)                                262,144 passed, 786,472 bytes: no failure below 1 MiB
#   (lists are flat in the engine: the body cap, 128 KiB by default, is their only limit)
#
# A crash is a native stack overflow: each element is a level of a left-deep tree that the
# engine walks recursively. So the crashes add up along a path through the query: brackets and
# chains inside one another share one stack. The guard gives each element a cost of
# 1 / (its crash point) and refuses a query whose costliest path through its brackets costs
# more than 1 / MARGIN, or that holds a chain longer than (crash point) / MARGIN. MARGIN 5 keeps
# queries clear of a crash on a stack four times smaller (a 2 MiB thread stack) as well.
#
# The slow shapes never crashed before they overran; their time comes from join planning,
# which grows steeply with the number of patterns planned together (about ×20 per doubling
# here: 64 patterns on one subject 0.2 s, 96 took 2.4 s, 128 took 6 s). The guard caps the
# patterns of a whole query at MAX_PATTERNS, where that planning stays well under a second.


@dataclass(frozen=True)
class _Chain:
    what: str  # how a message names the element
    crash: int  # the smallest n measured to crash the engine (see the table above)


_CHAINS = {
    "arithmetic": _Chain("+ - * / (and comparison) operators in one expression or path", 6_912),
    "logical": _Chain("&& and || operators in one expression", 9_344),
    "not": _Chain("! operators in a row", 9_344),
    "path": _Chain("| and ^ steps in one property path", 11_008),
    "union": _Chain("UNION alternatives in one group", 6_656),
    "minus": _Chain("MINUS parts in one group", 2_624),
    "filter": _Chain("FILTERs in one group", 9_344),
    "bind": _Chain("BINDs in one group", 2_624),
    # No crash was reached before these overran; they share MINUS's left-deep shape, so its figure.
    "optional": _Chain("OPTIONAL parts in one group", 2_624),
    "group": _Chain("{ } groups side by side in one group", 2_624),
}
_OPERATORS = {
    **dict.fromkeys(("+", "-", "*", "/", "=", "!=", "<", ">", "<=", ">="), "arithmetic"),
    **dict.fromkeys(("&&", "||"), "logical"),
    "!": "not",
    **dict.fromkeys(("|", "^"), "path"),
}
_KEYWORDS = {"UNION": "union", "MINUS": "minus", "FILTER": "filter", "BIND": "bind", "OPTIONAL": "optional"}
#: Crash point of brackets one inside another (the table's nesting rows; "[" never crashed before it
#: overran, so it takes the figure of "(", the lowest).
_BRACKET_CRASH = {"(": 960, "{": 2_208, "[": 960}
#: Safety factor between a measured crash point and what the guard accepts.
MARGIN = 5.0
#: Most triple patterns (and path steps, { } groups, OPTIONAL and MINUS parts) planned together in one query; the
#: alternatives of a UNION are planned apart (6,528 one-pattern alternatives passed in 1.7 s).
MAX_PATTERNS = 80


class QueryRejectedError(Exception):
    """The query must not be evaluated; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class QueryInfo:
    """What the service needs to know before evaluation."""

    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None when the text has none (the engine will say why)
    services: tuple[str, ...]  # SERVICE endpoint IRIs, resolved
    from_graphs: tuple[str, ...] = ()  # FROM IRIs, resolved
    from_named: tuple[str, ...] = ()  # FROM NAMED IRIs, resolved
    patterns: int = 0  # triple patterns, groups, OPTIONAL and MINUS parts (an estimate of planning work)
    cost: float = 0.0  # share of the engine's stack its costliest path uses (1.0: measured to crash)


def _operand_end(kind: str, text: str) -> bool:
    """Whether a token can end an operand, so that a ``<`` after it is less-than, not an IRI."""
    if kind in ("var", "number", "string"):
        return True
    if kind == "close":
        return text == ")"
    return kind == "name" and (":" in text or text.lower() in ("true", "false"))


def _tokens(query: str) -> list[tuple[str, str]]:
    """The query's tokens, without spaces and comments.

    Inside parentheses, after an operand, ``<`` is the less-than operator even where the text
    that follows looks like an IRI: ``FILTER(?a<1+1&&true>false)`` is a comparison and a chain to
    the engine, so it is to the guard.
    """
    out: list[tuple[str, str]] = []
    openers: list[str] = []
    pos = 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:  # pragma: no cover - `other` matches any character
            break
        kind = match.lastgroup or "other"
        text = match.group()
        if kind == "name":
            text = text.rstrip(".")  # a trailing dot ends a triple pattern
        elif kind == "iri" and openers[-1:] == ["("] and out and _operand_end(*out[-1]):
            kind, text = "op", "<=" if query.startswith("<=", pos) else "<"
        pos += len(text)
        if kind == "open":
            openers.append(text)
        elif kind == "close" and openers:
            openers.pop()
        if kind not in ("space", "comment"):
            out.append((kind, text))
    return out


def normalise(query: str) -> str:
    """The query's tokens joined by single spaces, keywords upper-cased: equal for the same query.

    Spaces, line breaks and comments do not change it; prefixed names, IRIs and literals keep their
    case. Used to recognise a query sent again (see ``bordergraph.worker``).
    """
    return " ".join(text.upper() if kind == "name" and ":" not in text else text for kind, text in _tokens(query))


@dataclass
class _Frame:
    opener: str  # "{", "(", "[", or "" at the top level
    counts: dict[str, int] = field(default_factory=dict)  # chain elements directly in this bracket
    deepest: float = 0.0  # cost of the costliest bracket directly or indirectly inside this one
    skip_patterns: bool = False  # a CONSTRUCT template or a VALUES block: no patterns to plan
    collection: bool = False  # ( … ) in a triple pattern: an RDF collection (or a path), two patterns a member
    patterns: int = 0  # triple patterns (and joins) directly in this bracket
    pending: bool = False  # terms seen since the last triple pattern was counted
    inner_sum: int = 0  # patterns of the brackets inside
    inner_max: int = 0  # patterns of the costliest bracket inside (UNION alternatives are planned apart)


class _Measure:
    """Walk the tokens once: nesting depth, the longest chain of each kind, path cost, patterns."""

    def __init__(self) -> None:
        self.frames = [_Frame("")]
        self.depth = 0
        self.longest: dict[str, int] = {}

    def add(self, kind: str, text: str, previous: tuple[str, str] | None, keyword: str) -> None:
        frame = self.frames[-1]
        in_group = frame.opener in ("{", "[") and not frame.skip_patterns
        chain: str | None = None
        if kind == "op":
            chain = _OPERATORS.get(text)
        elif kind == "name":
            chain = _KEYWORDS.get(text.upper())
        if kind == "open":
            if text == "{" and frame.opener == "{" and previous is not None and previous[1] in ("}", "."):
                chain = "group"
            skip = frame.skip_patterns or (text == "{" and keyword in ("CONSTRUCT", "VALUES"))
            collection = text == "(" and (
                frame.collection
                or (
                    frame.opener in ("{", "[")
                    and previous is not None
                    and (previous[0] == "iri" or _operand_end(*previous))
                )
            )
            self.frames.append(_Frame(text, skip_patterns=skip, collection=collection))
            self.depth = max(self.depth, len(self.frames) - 1)
        elif kind == "close":
            if len(self.frames) > 1:
                self._close()
        elif in_group and kind == "other" and text in (".", ";", ","):
            if frame.pending:
                frame.patterns += 1
            frame.pending = text != "."
        elif kind in ("iri", "var", "number", "string") or (kind == "name" and ":" in text):
            if frame.collection and not frame.skip_patterns:
                frame.patterns += 2  # rdf:first and rdf:rest
            elif in_group:
                frame.pending = True
        if text == "/" and (in_group or frame.collection):
            frame.patterns += 1  # a step of a property path: one more join to plan
        if chain is not None:
            frame.counts[chain] = frame.counts.get(chain, 0) + 1
            if chain in ("optional", "minus", "group"):
                frame.patterns += 1

    def _close(self) -> None:
        frame = self.frames.pop()
        cost = self._own(frame) + 1 / _BRACKET_CRASH[frame.opener] + frame.deepest
        parent = self.frames[-1]
        parent.deepest = max(parent.deepest, cost)
        patterns = self._patterns(frame)
        parent.inner_sum += patterns
        parent.inner_max = max(parent.inner_max, patterns)

    def _own(self, frame: _Frame) -> float:
        for chain, count in frame.counts.items():
            self.longest[chain] = max(self.longest.get(chain, 0), count)
        return sum(count / _CHAINS[chain].crash for chain, count in frame.counts.items())

    @staticmethod
    def _patterns(frame: _Frame) -> int:
        own = frame.patterns + (1 if frame.pending and frame.opener in ("{", "[") and not frame.skip_patterns else 0)
        return own + (frame.inner_max if "union" in frame.counts else frame.inner_sum)

    def finish(self) -> tuple[float, int]:
        """Close what is left open: (the cost of the costliest path through the query, its patterns)."""
        while len(self.frames) > 1:
            self._close()
        top = self.frames[0]
        return self._own(top) + top.deepest, self._patterns(top)


def inspect(
    query: str, max_depth: int, service_allow: tuple[str, ...] = (), margin: float = MARGIN, base_iri: str = ""
) -> QueryInfo:
    """Return the query's form and SERVICE targets, or raise QueryRejectedError.

    ``margin`` is the safety factor between the engine's measured crash points and what is
    accepted (see the table above); tests lower it to let a crashing query through. Relative
    IRIs resolve against ``base_iri`` (the endpoint's URL), then against the query's own BASE.

    Raises:
        QueryRejectedError: nested deeper than ``max_depth``, a chain or a combination of chains and
            brackets beyond the engine's measured limits, or more than MAX_PATTERNS patterns (400);
            a SERVICE call to an endpoint outside ``service_allow``, or to a variable endpoint (403).

    """
    tokens = _tokens(query)
    measure = _Measure()
    prefixes: dict[str, str] = {}
    base = base_iri
    form: str | None = None
    keyword = ""  # the last keyword seen (CONSTRUCT and VALUES say what their { } holds)
    services: list[str] = []
    dataset: dict[bool, list[str]] = {False: [], True: []}  # FROM (False) and FROM NAMED (True)
    for index, (kind, text) in enumerate(tokens):
        measure.add(kind, text, tokens[index - 1] if index else None, keyword)
        if kind == "open" and text == "{":
            keyword = ""
        if kind != "name":
            continue
        word = text.upper()
        if ":" not in text:
            keyword = word
        following = tokens[index + 1 : index + 3]
        if word == "PREFIX" and len(following) == 2 and following[0][0] == "name" and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = urljoin(base, following[1][1][1:-1])
        elif word == "BASE" and following and following[0][0] == "iri":
            base = urljoin(base, following[0][1][1:-1])
        elif word in FORMS and form is None:
            form = word
        elif word == "SERVICE":
            services.append(_service_target(tokens[index + 1 : index + 3], prefixes, base))
        elif word == "FROM":
            named = bool(following) and following[0][0] == "name" and following[0][1].upper() == "NAMED"
            target = following[1:] if named else following[:1]
            iri = _resolve(target[0], prefixes, base) if target else None
            if iri:
                dataset[named].append(iri)
    cost, patterns = measure.finish()
    if measure.depth > max_depth:
        raise QueryRejectedError(
            400,
            f"the query nests {{ }}, ( ) or [ ] {measure.depth} levels deep; at most {max_depth} are accepted: "
            "flatten the query",
        )
    for chain, count in measure.longest.items():
        limit = int(_CHAINS[chain].crash / margin)
        if count > limit:
            raise QueryRejectedError(
                400,
                f"the query has a chain of {count} {_CHAINS[chain].what}; at most {limit} are accepted "
                f"(longer chains crash the query engine): split it, or use VALUES or IN ( … ) for long lists",
            )
    if cost * margin > 1:
        raise QueryRejectedError(
            400,
            f"the query combines brackets and operator chains too deeply: its deepest path costs "
            f"{cost * margin:.0%} of what this endpoint accepts (chains inside brackets inside chains add up "
            "on the query engine's stack): flatten the query or split its long chains",
        )
    if patterns > MAX_PATTERNS:
        raise QueryRejectedError(
            400,
            f"the query has about {patterns} triple patterns, path steps, groups, OPTIONAL and MINUS parts to "
            f"plan together; at most "
            f"{MAX_PATTERNS} are accepted (the query engine's planning time grows steeply beyond that): "
            "split it into several queries",
        )
    for iri in services:
        if iri not in service_allow:
            allowed = ", ".join(f"<{a}>" for a in service_allow) or "none"
            raise QueryRejectedError(
                403,
                f"SERVICE <{iri}> is not allowed: this endpoint only calls the SPARQL endpoints on its "
                f"allow-list ({allowed})",
            )
    return QueryInfo(form, tuple(services), tuple(dataset[False]), tuple(dataset[True]), patterns, cost)


def _resolve(token: tuple[str, str], prefixes: dict[str, str], base: str) -> str | None:
    """The absolute IRI an IRI token or prefixed name stands for, if it can be known."""
    kind, text = token
    if kind == "iri":
        return urljoin(base, text[1:-1])
    if kind == "name" and ":" in text:
        prefix, _, local = text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _service_target(after: list[tuple[str, str]], prefixes: dict[str, str], base: str) -> str:
    if after and after[0][0] == "name" and after[0][1].upper() == "SILENT":
        after = after[1:]
    if not after:
        raise QueryRejectedError(400, "SERVICE must be followed by the IRI of a SPARQL endpoint")
    iri = _resolve(after[0], prefixes, base)
    if iri is not None:
        return iri
    text = after[0][1]
    raise QueryRejectedError(
        403, f"SERVICE {text} is not allowed: name the endpoint with a full IRI from the allow-list"
    )
