"""The HTTP reason phrase carries the error message, for clients that show nothing else.

SPARQLWrapper re-raises urllib's HTTPError for 422, 429, 503 and 504 (its text is "HTTP Error
422: <reason phrase>"), and rdflib's SPARQLStore reports only ``str(HTTPError)`` (POST) or a
generic ValueError chained from it (GET): the JSON body never reaches those users, the status
line does. ASGI has no field for the reason phrase and uvicorn writes a fixed one from a module
table, so:

* every JSON error (``errors.error``) also sends its message, made ASCII-safe, in the response
  header ``X-Bordergraph-Reason`` (useful on its own behind any server);
* ``ReasonProtocol`` (uvicorn's httptools protocol, ``uvicorn.Config(http=ReasonProtocol)``)
  writes that header's text as the reason phrase of the status line it is sending.

Written by hand (a few lines; no library does it). The rewrite touches only the block of status
line and headers that uvicorn writes in one ``transport.write`` call, and only when that block
carries the header; bodies are written in later calls and are never looked at.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER = "X-Bordergraph-Reason"
_MARK = b"\r\n" + HEADER.lower().encode("ascii") + b": "
_STATUS_LINE = re.compile(rb"^(HTTP/1\.[01] \d{3}) [^\r\n]*\r\n")
MAX_PHRASE = 400  # status lines stay well under the 8 KiB header limits of proxies and clients

_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "→": "->"})


def phrase(message: str) -> str:
    """``message`` as a reason phrase: one line of printable ASCII (RFC 9112 allows no CR/LF), cut to length."""
    text = unicodedata.normalize("NFKD", message.translate(_PLAIN)).encode("ascii", "ignore").decode("ascii")
    text = " ".join(text.split())
    return text if len(text) <= MAX_PHRASE else text[: MAX_PHRASE - 3] + "..."


class _ReasonTransport:
    """A transport that rewrites the reason phrase of a status line sent with the reason header."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport

    def write(self, data: bytes | bytearray | memoryview) -> None:
        data = bytes(data)
        if data.startswith(b"HTTP/1.") and data.endswith(b"\r\n\r\n"):
            at = data.find(_MARK)
            if at != -1:
                end = data.index(b"\r\n", at + len(_MARK))
                reason = data[at + len(_MARK) : end]
                data = _STATUS_LINE.sub(lambda m: m.group(1) + b" " + reason + b"\r\n", data, count=1)
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class ReasonProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the reason phrase taken from ``X-Bordergraph-Reason``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_ReasonTransport(transport))  # type: ignore[arg-type]
