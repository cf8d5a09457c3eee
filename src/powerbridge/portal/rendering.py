"""The pages' Jinja2 templates and the two answers every page route gives: a page, a redirect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from powerbridge.portal.auth import CSRF_FIELD
from powerbridge.portal.topology_svg import host_label

__all__ = ["page", "templates", "to"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["csrf_field"] = CSRF_FIELD
templates.env.globals["host_label"] = host_label


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
