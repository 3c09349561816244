"""Rendering: the templates, the error pages, and the one place errors become pages."""

from __future__ import annotations

import logging
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("dashboard")

# RFC 9110 section 9.3.2: HEAD is GET without the content (the server drops the body).
PAGE_METHODS = ["GET", "HEAD"]
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class PageError(Exception):
    """A failure shown to the person as a page; one subclass per kind of failure."""

    status_code = 400
    kind = "bad-request"
    title = "Bad request"

    def __init__(self, message: str, service: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.service = service


class BadRequest(PageError):
    pass


class CsrfFailed(PageError):
    status_code = 403
    kind = "csrf"
    title = "Form expired"


class Forbidden(PageError):
    status_code = 403
    kind = "forbidden"
    title = "Not allowed"


class NotFound(PageError):
    status_code = 404
    kind = "not-found"
    title = "Not found"


class BadGateway(PageError):
    """A service answered, but not in a way its interface allows."""

    status_code = 502
    kind = "bad-gateway"
    title = "Unexpected answer"


class Unavailable(PageError):
    status_code = 503
    kind = "unavailable"
    title = "Service unavailable"

    def __init__(self, service: str) -> None:
        name = {
            "openam": "The login service (OpenAM)",
            "udr": "The usage service (UDR)",
        }
        super().__init__(
            f"{name[service]} is not available right now. Please try again in a "
            "few minutes.",
            service=service,
        )


def logged_path(request: Request) -> str:
    """The request's path for one log line, as the server decoded it: the escapes
    `repr` uses for non-printable characters (and for the backslash, so an escape
    cannot be forged), a space as `\\x20`."""
    path: str = request.scope["path"]
    return repr(path)[1:-1].replace(" ", "\\x20")


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A page, with the session (if any) for the header's user and logout form."""
    session = getattr(request.state, "session", None)
    base = {"session": session if session and session.logged_in else None}
    return TEMPLATES.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )


def render_error(request: Request, error: PageError) -> Response:
    context = {"error": error, "title": error.title}
    return render(request, "error.html", context, status_code=error.status_code)


async def page_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    if isinstance(exc, Unavailable):
        log.warning("%s unavailable for %s", exc.service, logged_path(request))
    elif isinstance(exc, CsrfFailed):
        log.warning("CSRF token missing or wrong on %s", logged_path(request))
    return render_error(request, exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return render_error(request, NotFound("There is no page at this address."))
    if exc.status_code == 405:
        error = BadRequest("This page does not accept that kind of request.")
        error.status_code = 405
        return render_error(request, error)
    return render_error(request, BadRequest("The request could not be understood."))


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return render_error(request, BadRequest("The request could not be understood."))


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """A bug: the log says where, without the message (it may hold a token)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    path = logged_path(request)
    log.error("unexpected %s on %s at %s", type(exc).__name__, path, where)
    error = PageError("Something went wrong on our side. Please try again.")
    error.status_code, error.kind, error.title = 500, "internal", "Internal error"
    return render_error(request, error)


_BYTE_PREFIXES = ("kB", "MB", "GB", "TB", "PB", "EB")


def approximate_bytes(value: Decimal, unit: str) -> str | None:
    """A rounded size in decimal prefixes for byte meters ("1.27 TB"), else None."""
    if unit != "B" or abs(value) < 1000:
        return None
    scaled, index = abs(value) / 1000, 0
    while scaled >= 1000 and index < len(_BYTE_PREFIXES) - 1:
        scaled, index = scaled / 1000, index + 1
    sign = "-" if value < 0 else ""
    return f"{sign}{scaled:.3g} {_BYTE_PREFIXES[index]}"


def format_number(value: Decimal) -> str:
    """A readable number: thousands separated, at most three decimals."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")
