"""Errors as the API answers them: `{"error": {"message": ..., "hint": ...}}`, never a trace.

The domain's own errors (the client's, the ha package's, the store's, spec errors) become a
status and their one-line message here, at the HTTP edge; anything else is logged with its
traceback and answered as a 500 that names only its kind.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from powerbridge.client.errors import (
    AuthenticationFailed,
    ClientError,
    Forbidden,
    HttpError,
    NotFound,
)
from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.errors import ClusterBusy, ClusterInterrupted, HAError, PlanBlocked
from powerbridge.jobs import StoreError

__all__ = ["PortalError", "error_body", "error_headers", "install_handlers", "spec_error"]

logger = logging.getLogger("powerbridge.portal")


class PortalError(Exception):
    """An answer other than success: `status`, a one-line message and what to do."""

    def __init__(self, status: int, message: str, *, hint: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hint = hint
        self.extra = extra


def error_body(message: str, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "hint": hint, **extra}}


def spec_error(problem: SpecErrors) -> PortalError:
    """The CLI's message for a bad spec (`ha plan`), every problem located."""
    count = len(problem.errors)
    problems = [str(error) for error in problem.errors]
    message = (
        f"{count} problem{'s' if count != 1 else ''} in the cluster spec; nothing was created: "
        + "; ".join(problems)
    )
    return PortalError(422, message, hint="docs/ha.md describes every key", problems=problems)


def portal_error(problem: Exception) -> PortalError:
    """The answer for an error of the layers below."""
    if isinstance(problem, PortalError):
        return problem
    hint = getattr(problem, "hint", None)
    if isinstance(problem, SpecErrors):
        return spec_error(problem)
    if isinstance(problem, ClusterBusy | ClusterInterrupted):
        return PortalError(409, str(problem), hint=hint)
    if isinstance(problem, PlanBlocked | HAError):
        return PortalError(422, str(problem), hint=hint)
    if isinstance(problem, AuthenticationFailed):
        return PortalError(401, "PowerVC refused the session's token", hint="sign in again")
    if isinstance(problem, Forbidden | NotFound):
        return PortalError(problem.status, str(problem), hint=hint)
    if isinstance(problem, HttpError | ClientError):
        return PortalError(502, f"PowerVC: {problem}", hint=hint)
    if isinstance(problem, StoreError):
        return PortalError(503, str(problem), hint=hint)
    logger.exception("unexpected error", exc_info=problem)
    return PortalError(500, f"internal error ({type(problem).__name__}); see the portal's log")


ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Error {status} · powerbridge portal</title><link rel="stylesheet" href="/static/portal.css">
</head><body><main><h1>{title}</h1><p class="error" role="alert">{message}</p>
<p class="hint">{hint}</p><p><a href="/">Back to the dashboard</a></p></main></body></html>
"""


def _wants_page(request: Request) -> bool:
    """A browser opening a page (not the API, not htmx) gets the error as a page."""
    accepts = request.headers.get("accept", "")
    return not request.url.path.startswith("/api/") and accepts.startswith("text/html")


def _page(problem: PortalError) -> Response:
    text = ERROR_PAGE.format(
        status=problem.status,
        title="Not found" if problem.status == 404 else "Something went wrong",
        message=html.escape(problem.message),
        hint=html.escape(problem.hint or ""),
    )
    return HTMLResponse(text, status_code=problem.status, headers=error_headers(problem))


def _answer(request: Request, problem: PortalError) -> Response:
    if _wants_page(request):
        return _page(problem)
    body = error_body(problem.message, problem.hint, **problem.extra)
    return JSONResponse(body, status_code=problem.status, headers=error_headers(problem))


def error_headers(problem: PortalError) -> dict[str, str]:
    """401 names the way to authenticate; 429 says when to retry (RFC 9110)."""
    if problem.status == 401:
        return {"WWW-Authenticate": "X-Auth-Token"}
    if problem.status == 429 and "retry_after" in problem.extra:
        return {"Retry-After": str(problem.extra["retry_after"])}
    return {}


def install_handlers(app: FastAPI) -> None:
    async def on_error(request: Request, problem: Exception) -> Response:
        return _answer(request, portal_error(problem))

    async def on_http(request: Request, problem: Exception) -> Response:
        assert isinstance(problem, HTTPException)
        return _answer(request, PortalError(problem.status_code, str(problem.detail)))

    async def on_invalid(request: Request, problem: Exception) -> Response:
        assert isinstance(problem, RequestValidationError)
        where = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in problem.errors()
        )
        return _answer(request, PortalError(422, f"invalid request: {where}"))

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    # these pass through the exception middleware: answered, not re-raised
    for kind in (PortalError, ClientError, HAError, SpecErrors, StoreError):
        app.add_exception_handler(kind, on_error)
    app.add_exception_handler(Exception, on_error)  # the last resort: answered and logged
