"""`create_app(settings)`: the UDR as a FastAPI application."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from udr.config import Settings
from udr.errors import StoreUnavailable, UdrError
from udr.provider import ProviderClient
from udr.routes import router
from udr.store import UsageStore
from udr.validation import TokenValidator

log = logging.getLogger("udr.request")

_HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed"}


def create_app(settings: Settings, *, store: UsageStore | None = None) -> FastAPI:
    """The UDR over `settings`; the store is opened (and its schema made) here."""
    store = store or UsageStore.from_url(settings.database_url)
    provider = ProviderClient(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await provider.aclose()
        store.close()

    app = FastAPI(
        title="UDR",
        summary="Usage data records, served only when the provider vouches",
        version="1.0",
        lifespan=lifespan,
        # `/path/` is a 404, never a 307 whose Location is built from the Host header.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.provider = provider
    app.state.validator = TokenValidator(settings, provider)
    app.include_router(router)
    _add_error_handlers(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestLog)  # added last: the outer one, it sees HEAD as HEAD
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UdrError)
    async def udr_error(_request: Request, exc: UdrError) -> JSONResponse:
        return JSONResponse(exc.body(), exc.status_code, headers=exc.headers())

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        body = {
            "error": "invalid_request",
            "error_description": f"{where}: {first['msg']}",
        }
        return JSONResponse(body, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(
        _request: Request, exc: StarletteHTTPException
    ) -> JSONResponse:
        code = _HTTP_ERRORS.get(exc.status_code, "invalid_request")
        body = {"error": code, "error_description": str(exc.detail)}
        return JSONResponse(body, exc.status_code, headers=exc.headers)

    @app.exception_handler(OperationalError)
    async def store_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("store unavailable: %s", type(exc.orig).__name__)
        return await udr_error(request, StoreUnavailable("the store is unavailable"))


class RequestLog:
    """One line per request: method, path (never the query), status, ms, request id,
    and the client id once the guard knows it. Tokens are never logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})  # shared with request.state below
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %r %d %.1fms rid=%s client=%r",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                request_id,
                state.get("client_id"),
            )


class HeadAsGet:
    """RFC 9110 section 9.3.2: HEAD wherever GET is, with GET's status and headers
    (Content-Length included) and no content.

    The request goes on as GET in a copy of the scope (the server still knows it is
    HEAD); the body bytes are dropped on the way out. A path without GET answers HEAD
    405, as it answers GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
