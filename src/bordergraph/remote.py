"""A remote SPARQL store as the query engine: every answer complete, or a typed error.

``RemoteStore`` sends a query to a store's SPARQL 1.1 Protocol query endpoint (Oxigraph's
``…/query``, Virtuoso's ``…/sparql``, any other), asks for SPARQL JSON results (or N-Triples for
CONSTRUCT/DESCRIBE) and reads and parses the WHOLE body before anything is returned, because stores
answer wrongly in quiet ways (measured, see docs/operations.md):

- Oxigraph's ``--timeout-s`` sends HTTP 200 and a body cut off mid-way;
- Virtuoso truncates at ``ResultSetMaxRows`` with HTTP 200 and only an ``X-SPARQL-MaxRows`` header,
  and its per-request timeout gives HTTP 200 with partial answers marked only by ``X-SQL-State``;
- Virtuoso's blank node labels (``nodeID://b10000``) and ``typed-literal`` are not standard JSON results.

Each of those becomes a ``BackendError`` subclass carrying the HTTP status a front end should answer.
A ``Call`` passed to ``query`` lets another thread stop the request: its connection is shut down
(``serve --backend`` does it when its client leaves), and the query ends in ``BackendCancelledError``.
The results are pyoxigraph objects (``QuerySolutions``, ``QueryBoolean`` or a list of ``Triple``), so
the serialisers that write local answers write remote ones byte for byte the same way.
This module is a client only: it knows nothing of the web layer.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyoxigraph as ox

#: Store kinds: how the merge (bordergraph's default graph) and the named graphs are held.
KINDS = ("oxigraph", "virtuoso", "generic")
#: Where a store without a separate default graph (Virtuoso) holds the merge of the source graphs.
MERGE_GRAPH = "urn:bordergraph:merge"
#: A small graph recording what was published: the version and every named graph (see bordergraph.publish).
RECORD_GRAPH = "urn:bordergraph:publication"
RECORD_VERSION = "urn:bordergraph:version"
RECORD_HAS_GRAPH = "urn:bordergraph:graph"

JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
#: What may hold a form keyword without being one: comments, IRIs, strings, prefixed names (``ask:x``).
_PROLOGUE = re.compile(r"#[^\n]*|<[^>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[A-Za-z_][\w.\-]*:\S*")
#: A blank node label pyoxigraph accepts (PN_CHARS_U / digits, then PN_CHARS, no trailing dot), simplified.
_BNODE_LABEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-.]*(?<!\.)$")
#: The text Oxigraph appends to a body when its server timeout cancels a query.
OXIGRAPH_CANCELLED = "The SPARQL operation has been cancelled"


class BackendError(Exception):
    """The store did not give a complete answer; ``status`` is what a front end answers its client."""

    status = 502

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackendUnavailableError(BackendError):
    """The store cannot be reached (refused, reset, DNS): 503."""

    status = 503


class BackendTimeoutError(BackendError):
    """The store did not answer in time, or said its own timeout fired: 504."""

    status = 504


class PartialAnswerError(BackendError):
    """The store answered 200 with something that is not the whole answer: 502."""


class BackendRejectedError(BackendError):
    """The store refused the query itself (its 4xx, e.g. a syntax error it reports): 400."""

    status = 400


class AnswerTooLargeError(BackendError):
    """The answer's body is larger than this front end reads: 422 (narrow the query)."""

    status = 422


class BackendCancelledError(BackendError):
    """The request was stopped by ``Call.cancel`` (its client went away): 499, as nginx logs a closed request."""

    status = 499


class Call:
    """One store request that another thread may stop: ``cancel`` shuts its connection down.

    httpx's blocking client cannot be interrupted, and closing a socket another thread is reading
    from neither wakes that thread nor closes the connection (the read holds the socket open).
    ``shutdown`` does both: the store sees the connection end, and the read in the request's thread
    returns at once. The socket is taken from httpcore's ``trace`` extension when the connection is
    made (``connection.connect_tcp.complete``), so the store must not reuse pooled connections
    (``RemoteStore(keep_alive=False)``). A duplicate of the socket is kept until the request is over,
    so ``cancel`` never acts on a descriptor the request has closed and the system has reused.
    Written by hand: neither httpx nor httpcore offers to stop a blocking request from outside.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._over = False
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the request: shut its connection down now, or refuse to start it if it has not yet."""
        with self._lock:
            self.cancelled = True
            for sock in self._sockets:
                _shut(sock)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """Keep (a duplicate of) the socket of a new connection: the callback of httpcore's ``trace`` extension."""
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._over:
                return
            kept = sock.dup()
            self._sockets.append(kept)
            if self.cancelled:
                _shut(kept)

    def over(self) -> None:
        """The request has ended: close the duplicates (the connection closes with httpcore's own socket)."""
        with self._lock:
            self._over = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside comments, IRIs and strings."""
    match = _FORM.search(_PROLOGUE.sub(" ", sparql))
    return match.group(1).upper() if match else "SELECT"


@dataclass
class RemoteStore:
    """A store's SPARQL query endpoint, as the query engine of a front end.

    Args:
        query_url: the SPARQL 1.1 Protocol query endpoint.
        kind: ``oxigraph`` (the merge is the store's default graph), ``virtuoso`` (the merge is the
            graph MERGE_GRAPH, named as default-graph-uri in every query without a dataset of its
            own) or ``generic`` (the store's default graph is taken as the merge).
        timeout: seconds to wait for the whole answer; then BackendTimeoutError.
        max_bytes: the largest body read; above it AnswerTooLargeError.
        store_timeout: seconds the store itself may spend (Virtuoso: its ``timeout`` parameter, whose
            partial answers, flagged by ``X-SQL-State: S1TAT``, become BackendTimeoutError); None: not sent.
        keep_alive: reuse connections between queries; False (a new connection per query) is what
            a ``Call`` needs to stop a query.

    """

    query_url: str
    kind: str = "generic"
    timeout: float = 30.0
    max_bytes: int = 256 * 1024 * 1024
    auth: tuple[str, str] | None = None
    store_timeout: float | None = None
    graphs_ttl: float = 5.0
    keep_alive: bool = True
    _client: httpx.Client = field(init=False, repr=False)
    _graphs: tuple[float, list[str]] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown store kind {self.kind!r}: use one of {', '.join(KINDS)}")
        auth = httpx.DigestAuth(*self.auth) if self.auth else None
        limits = httpx.Limits() if self.keep_alive else httpx.Limits(max_keepalive_connections=0)
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout, connect=5.0), auth=auth, limits=limits)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- the dataset a query sees ---------------------------------------------------------

    def published_graphs(self) -> list[str]:
        """The named graphs of the current publication (Virtuoso), from its record graph; cached briefly."""
        with self._lock:
            if self._graphs and time.monotonic() - self._graphs[0] < self.graphs_ttl:
                return self._graphs[1]
        sparql = f"SELECT ?g WHERE {{ GRAPH <{RECORD_GRAPH}> {{ <{RECORD_GRAPH}> <{RECORD_HAS_GRAPH}> ?g }} }}"
        result = self._send(sparql, "SELECT", (), ())
        if not isinstance(result, ox.QuerySolutions):
            raise PartialAnswerError("the store answered a SELECT query with something else")
        graphs = sorted(str(s["g"].value) for s in result)
        with self._lock:
            self._graphs = (time.monotonic(), graphs)
        return graphs

    def _dataset(
        self, sparql: str, default_graph: Sequence[str] | None, named_graphs: Sequence[str] | None
    ) -> tuple[Sequence[str], Sequence[str]]:
        """The protocol's default-graph-uri and named-graph-uri values to send."""
        if default_graph is not None or named_graphs is not None:
            return default_graph or (), named_graphs or ()
        if self.kind != "virtuoso" or re.search(r"\bFROM\b", _PROLOGUE.sub(" ", sparql), re.IGNORECASE):
            return (), ()
        # Virtuoso has no separate default graph: name the merge. Not named-graph-uri: with the
        # published graphs listed there, Virtuoso 7.2.5 answers `?src bg:sourceGraph ?g . GRAPH ?g {…}`
        # with no rows (example 07). So an unbound GRAPH ?g also sees its system graphs, the merge and
        # the record graph: queries bind ?g to a source graph, as the examples do (docs/operations.md).
        return (MERGE_GRAPH,), ()

    # -- evaluation ---------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        default_graph: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        form: str | None = None,
        call: Call | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Evaluate remotely; the complete answer, parsed, or a BackendError.

        Without dataset parameters the default graph is bordergraph's merge, as with the local engine.
        ``call``: another thread may stop the request with ``call.cancel()`` (BackendCancelledError);
        it needs ``keep_alive=False``.
        """
        if call is not None and self.keep_alive:
            raise ValueError("a query that may be cancelled needs RemoteStore(keep_alive=False)")
        form = (form or query_form(sparql)).upper()
        defaults, named = self._dataset(sparql, default_graph, named_graphs)
        return self._send(sparql, form, defaults, named, call)

    def _send(
        self, sparql: str, form: str, defaults: Sequence[str], named: Sequence[str], call: Call | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        graph_form = form in ("CONSTRUCT", "DESCRIBE")
        data = [("query", sparql)]
        data += [("default-graph-uri", iri) for iri in defaults]
        data += [("named-graph-uri", iri) for iri in named]
        if self.store_timeout is not None and self.kind == "virtuoso":
            data.append(("timeout", str(int(self.store_timeout * 1000))))
        headers = {"Accept": N_TRIPLES if graph_form else JSON_RESULTS}
        body, response = self._post(data, headers, call)
        self._check_headers(response, body)
        text = self._decode(body)
        if OXIGRAPH_CANCELLED in text[-200:]:
            raise BackendTimeoutError("the store's own timeout cancelled the query (its answer was cut off)")
        if graph_form:
            try:
                quads = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
                return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            except SyntaxError as exc:
                raise PartialAnswerError(f"the store's N-Triples answer does not parse completely: {exc}") from exc
        return parse_json_results(text, response.headers.get("x-sparql-maxrows"))

    def _post(
        self, data: list[tuple[str, str]], headers: dict[str, str], call: Call | None = None
    ) -> tuple[bytes, httpx.Response]:
        """POST the query, read the whole body (bounded by max_bytes); transport errors become typed errors."""
        if call is None:
            return self._exchange(data, headers, {})
        try:
            if call.cancelled:
                raise BackendCancelledError("the query was cancelled before it was sent to the store")
            return self._exchange(data, headers, {"trace": call.trace})
        except (BackendError, httpx.HTTPError, OSError) as exc:
            if call.cancelled and not isinstance(exc, BackendCancelledError):
                raise BackendCancelledError("the query was cancelled: its request to the store was closed") from exc
            raise
        finally:
            call.over()

    def _exchange(
        self, data: list[tuple[str, str]], headers: dict[str, str], extensions: dict[str, Any]
    ) -> tuple[bytes, httpx.Response]:
        try:
            with self._client.stream(
                "POST", self.query_url, data=dict_list(data), headers=headers, extensions=extensions
            ) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise AnswerTooLargeError(
                            f"the store's answer is larger than {self.max_bytes} bytes: add LIMIT, or narrow the query"
                        )
                    chunks.append(chunk)
                body = b"".join(chunks)
        except httpx.TimeoutException as exc:
            message = f"the store at {self.query_url} did not answer within {self.timeout:g} s"
            raise BackendTimeoutError(message) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.NetworkError) as exc:
            raise BackendUnavailableError(f"the store at {self.query_url} is unavailable: {exc}") from exc
        if response.status_code >= 400:
            message = body.decode("utf-8", "replace").strip()[:500]
            if response.status_code in (408, 504) or "SR171" in message or "timeout" in message.lower():
                raise BackendTimeoutError(f"the store's timeout ended the query: {message}")
            if response.status_code in (502, 503):
                raise BackendUnavailableError(f"the store answered {response.status_code}: {message}")
            if 400 <= response.status_code < 500:
                raise BackendRejectedError(f"the store refused the query: {message}")
            raise BackendError(f"the store failed ({response.status_code}): {message}")
        return body, response

    @staticmethod
    def _check_headers(response: httpx.Response, body: bytes) -> None:
        state = response.headers.get("x-sql-state")
        if state:
            message = response.headers.get("x-sql-message", "")
            if state == "S1TAT":
                raise BackendTimeoutError(
                    f"the store's timeout returned a partial answer (X-SQL-State {state} {message}); it was not relayed"
                )
            raise PartialAnswerError(
                f"the store flagged its answer (X-SQL-State {state} {message}); it was not relayed"
            )

    @staticmethod
    def _decode(body: bytes) -> str:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PartialAnswerError(f"the store's answer is not UTF-8 (cut off?): {exc}") from exc

    def health(self) -> str | None:
        """None when the store answers ``ASK {}`` completely; otherwise what is wrong."""
        try:
            self._send("ASK {}", "ASK", (), ())
        except BackendError as exc:
            return exc.message
        return None


def dict_list(data: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated form fields as httpx takes them."""
    out: dict[str, list[str]] = {}
    for key, value in data:
        out.setdefault(key, []).append(value)
    return out


def parse_json_results(text: str, max_rows: str | None = None) -> ox.QuerySolutions | ox.QueryBoolean:
    """SPARQL JSON results → pyoxigraph results; a body that does not parse completely is a PartialAnswerError.

    Normalises the dialects met: blank node labels that are not N-Triples labels (Virtuoso's
    ``nodeID://b10000``) are relabelled consistently within the answer; ``typed-literal`` (SPARQL
    JSON results' 2008 draft, still written by Virtuoso) is read as ``literal``. A ``max_rows``
    header (``X-SPARQL-MaxRows``) reached by the answer means the store truncated it.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PartialAnswerError(f"the store's JSON answer does not parse completely (cut off?): {exc}") from exc
    if not isinstance(document, dict) or ("results" not in document and "boolean" not in document):
        raise PartialAnswerError("the store's JSON answer has neither results nor boolean")
    if "results" in document:
        bindings = document["results"].get("bindings", [])
        if max_rows is not None and max_rows.strip().isdigit() and len(bindings) >= int(max_rows):
            raise PartialAnswerError(
                f"the store cut the answer at its row limit ({max_rows} rows, X-SPARQL-MaxRows); "
                "it was not relayed: add LIMIT and OFFSET to page through it, or raise the store's ResultSetMaxRows"
            )
        labels: dict[str, str] = {}
        changed = False
        for binding in bindings:
            for term in binding.values():
                if term.get("type") == "typed-literal":
                    term["type"] = "literal"
                    changed = True
                if term.get("type") == "bnode" and not _BNODE_LABEL.match(term.get("value", "")):
                    term["value"] = labels.setdefault(term["value"], f"r{len(labels)}")
                    changed = True
        if changed:
            text = json.dumps(document)
    try:
        return ox.parse_query_results(text.encode("utf-8"), format=ox.QueryResultsFormat.JSON)
    except SyntaxError as exc:
        raise PartialAnswerError(f"the store's JSON answer is not valid SPARQL results: {exc}") from exc
