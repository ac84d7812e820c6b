"""Look at a query before the engine does: its form, its nesting depth, the SERVICE endpoints it calls.

pyoxigraph parses and evaluates in one call, with no way to inspect a parsed query from Python,
and its recursive-descent parser overflows the native stack on deeply nested groups (a segfault
that would kill a worker). So this module tokenises the query text (a lexer only: strings,
comments and IRIs are recognised so that braces or keywords inside them are not counted) and
refuses what must never reach the engine. Written by hand: no maintained Python library exposes
a SPARQL 1.1 tokeniser that follows Oxigraph's grammar; rdflib's parser is a pyparsing grammar
that accepts invalid queries and is itself recursive. The engine stays the judge of syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


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


def _tokens(query: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        text = match.group()
        if kind == "name":
            text = text.rstrip(".")
        if kind not in ("space", "comment"):
            out.append((kind, text))
    return out


def inspect(query: str, max_depth: int, service_allow: tuple[str, ...] = ()) -> QueryInfo:
    """Return the query's form and SERVICE targets, or raise QueryRejectedError.

    Raises:
        QueryRejectedError: nested deeper than ``max_depth`` (400), or a SERVICE call to an endpoint
            outside ``service_allow``, or to a variable endpoint (403).

    """
    tokens = _tokens(query)
    depth = deepest = 0
    prefixes: dict[str, str] = {}
    base = ""
    form: str | None = None
    services: list[str] = []
    dataset: dict[bool, list[str]] = {False: [], True: []}  # FROM (False) and FROM NAMED (True)
    for index, (kind, text) in enumerate(tokens):
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth -= 1
        if kind != "name":
            continue
        word = text.upper()
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
    if deepest > max_depth:
        raise QueryRejectedError(
            400,
            f"the query nests {{ }}, ( ) or [ ] {deepest} levels deep; at most {max_depth} are accepted: "
            "flatten the query",
        )
    for iri in services:
        if iri not in service_allow:
            allowed = ", ".join(f"<{a}>" for a in service_allow) or "none"
            raise QueryRejectedError(
                403,
                f"SERVICE <{iri}> is not allowed: this endpoint only calls the SPARQL endpoints on its "
                f"allow-list ({allowed})",
            )
    return QueryInfo(form, tuple(services), tuple(dataset[False]), tuple(dataset[True]))


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
