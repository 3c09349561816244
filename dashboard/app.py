"""The dashboard's app factory, its security headers and its request log."""

from __future__ import annotations

import logging
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from dashboard import login, pages, usage
from dashboard.provider import ProviderClient
from dashboard.sessions import Clock, SessionStore
from dashboard.settings import DashboardSettings
from dashboard.state import Dashboard

log = logging.getLogger("dashboard.access")
# httpx logs each request's full URL at INFO; endSession's carries the id token.
logging.getLogger("httpx").setLevel(logging.WARNING)
STATIC = Path(__file__).parent / "static"


def create_app(
    settings: DashboardSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = time.time,
) -> FastAPI:
    """The dashboard; tests pass `transport` and `clock` for network and time."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        verify: ssl.SSLContext | bool = True
        if settings.ca_file:
            verify = ssl.create_default_context(cafile=str(settings.ca_file))
        async with httpx.AsyncClient(
            transport=transport,
            verify=verify,
            timeout=settings.http_timeout,
            follow_redirects=False,
        ) as http:
            app.state.dashboard = Dashboard(
                settings=settings,
                sessions=SessionStore(
                    settings.session_idle_timeout,
                    settings.session_max_age,
                    settings.max_sessions,
                    clock,
                ),
                http=http,
                provider=ProviderClient(settings, http, clock),
                clock=clock,
            )
            yield

    app = FastAPI(
        title="Usage dashboard",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # No /usage/ -> /usage redirect: Starlette builds its Location from the Host
        # header, which the client chooses. A trailing slash is a plain 404 page.
        redirect_slashes=False,
    )
    app.include_router(login.router)
    app.include_router(usage.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.api_route("/health", methods=pages.PAGE_METHODS)
    async def health() -> dict[str, str]:
        """Liveness for launchers and tests; never behind a login."""
        return {"status": "ok"}

    app.add_exception_handler(pages.PageError, pages.page_error_handler)
    app.add_exception_handler(StarletteHTTPException, pages.http_error_handler)
    app.add_exception_handler(RequestValidationError, pages.validation_error_handler)
    # The last added runs first: security headers go on every answer, the 500 too.
    app.middleware("http")(_request_log)
    app.middleware("http")(
        _security_headers(content_security_policy(settings), settings.secure_cookies)
    )
    return app


def content_security_policy(settings: DashboardSettings) -> str:
    """No inline script or style; forms may post here and, for logout redirects, to
    the provider."""
    parts = urlsplit(settings.issuer)
    provider = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            f"form-action 'self' {provider}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


Handler = Callable[[Request], Awaitable[Response]]


def _security_headers(
    csp: str, https: bool
) -> Callable[[Request, Handler], Awaitable[Response]]:
    async def add_headers(request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers["Content-Security-Policy"] = csp
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if https:  # RFC 6797; only where the dashboard is served over TLS
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.url.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
        return response

    return add_headers


async def _request_log(request: Request, call_next: Handler) -> Response:
    """One line per request: method, path (no query string), status, duration, id."""
    request_id = uuid.uuid4().hex[:12]
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception as exc:  # the one place a bug becomes a plain 500 page
        response = await pages.unexpected_error_handler(request, exc)
    duration_ms = (time.perf_counter() - started) * 1000
    log.info(
        "%s %s %d %.1fms request_id=%s",
        request.method,
        pages.logged_path(request),
        response.status_code,
        duration_ms,
        request_id,
    )
    response.headers["X-Request-ID"] = request_id
    return response
