"""`create_app(settings)`: the provider as a FastAPI application."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import (
    authenticate,
    authorize,
    discovery,
    end_session,
    introspection,
    revocation,
    test_control,
    token_endpoint,
    tokeninfo,
    userinfo,
)
from .audit import printable
from .config import ConfigError, ProviderConfig, load_config
from .errors import install_error_handlers
from .faults import GARBAGE
from .head import HeadAsGet
from .openapi import install_openapi
from .provider import Provider
from .settings import DEMO_CONFIG, Settings

logger = logging.getLogger("mock_openam")

REALM_PREFIX = "/realms/root/realms/{realm}"


def create_app(
    settings: Settings,
    *,
    config: ProviderConfig | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The provider for `settings`; `config` replaces the config file, for tests."""
    if config is None:
        _refuse_demo_config_off_loopback(settings)
        config = load_config(settings.config_file)
    provider = Provider(settings, config, clock=clock)

    app = FastAPI(
        title="mock_openam",
        version="0.1.0",
        description="An OpenID Connect provider on OpenAM's paths, for tests.",
        # No `/path/` -> `/path` redirect: Starlette builds it from the Host header.
        redirect_slashes=False,
    )
    app.state.provider = provider
    install_error_handlers(app)
    install_openapi(app, config)

    deployment = settings.deployment_path
    oauth2 = _oauth2_router()
    app.include_router(oauth2, prefix=f"{deployment}/oauth2")
    app.include_router(oauth2, prefix=f"{deployment}/oauth2{REALM_PREFIX}")
    app.include_router(authenticate.router, prefix=f"{deployment}/json")
    app.include_router(authenticate.router, prefix=f"{deployment}/json{REALM_PREFIX}")
    test_prefix = f"{deployment}/__test__"
    if settings.test_control:
        app.include_router(
            test_control.router, prefix=test_prefix, include_in_schema=False
        )

    @app.get("/health", tags=["health"], summary="Ready to serve")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # Added first, so inside the request middleware: the log records HEAD as HEAD.
    app.add_middleware(HeadAsGet, unsafe_suffixes=("/connect/endSession",))
    _install_request_middleware(app, provider, test_prefix)
    return app


def _refuse_demo_config_off_loopback(settings: Settings) -> None:
    """The shipped demo passwords and secrets are public: only on a loopback URL."""
    if settings.config_file.resolve() != DEMO_CONFIG.resolve():
        return
    host = urlsplit(settings.public_url).hostname or ""
    if host not in ("localhost", "::1") and not host.startswith("127."):
        raise ConfigError(
            f"the demo config (public passwords) is refused for {settings.public_url}; "
            "set OPENAM_CONFIG_FILE to your own users and clients"
        )


def _oauth2_router() -> APIRouter:
    router = APIRouter()
    modules = (
        authorize,
        token_endpoint,
        userinfo,
        tokeninfo,
        introspection,
        revocation,
        end_session,
        discovery,
    )
    for module in modules:
        router.include_router(module.router)
    return router


def _install_request_middleware(
    app: FastAPI, provider: Provider, test_prefix: str
) -> None:
    """Faults, the request record and one log line, around every request."""
    app.add_middleware(RequestAudit, provider=provider, test_prefix=test_prefix)


class RequestAudit:
    """Faults, the request record and one log line, around every request.

    Plain ASGI: `@app.middleware("http")` (Starlette's BaseHTTPMiddleware) passes every
    response through an extra task and memory stream, a tenth of a token's CPU.
    """

    def __init__(self, app: ASGIApp, provider: Provider, test_prefix: str) -> None:
        self.app = app
        self.provider = provider
        self.test_prefix = test_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        path: str = scope["path"]
        observed = path != "/health" and not path.startswith(self.test_prefix)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        try:
            fault = await _faulty_response(self.provider) if observed else None
            await (fault or self.app)(scope, receive, send_with_id)
        finally:
            notes = dict((scope.get("state") or {}).get("audit") or {})
            if observed:
                self.provider.requests.add(scope["method"], path, status, notes)
            elapsed = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s %d %.1fms request_id=%s client_id=%s",
                scope["method"],
                printable(path, 300),
                status,
                elapsed,
                request_id,
                printable(notes.get("client_id", "-")),
            )


async def _faulty_response(provider: Provider) -> Response | None:
    fault = provider.faults.active()
    if fault is None:
        return None
    if fault.mode == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.mode == "error":
        body = {"error": "server_error", "error_description": "injected fault"}
        return JSONResponse(body, status_code=500)
    return Response(GARBAGE, media_type="application/json")
