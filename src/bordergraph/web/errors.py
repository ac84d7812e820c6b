"""The one JSON error of the web layer, and HEAD's body-less copy of a response."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Every error: JSON with a message saying what to do (details go to the server log)."""
    return JSONResponse(status_code=status, content={"message": message}, headers=headers)


def not_acceptable(accept: str | None, offered: list[str]) -> JSONResponse:
    """406 naming what was asked for and what is offered."""
    return error(406, f"cannot answer in {accept}; offered: {', '.join(offered)}")


def without_body(response: Response) -> Response:
    """HEAD: the same status and headers as GET, Content-Length included, and no body."""
    return Response(status_code=response.status_code, headers=dict(response.headers))
