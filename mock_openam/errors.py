"""One exception per protocol failure, and the one place that renders them.

Bodies follow RFC 6749 section 5.2; bearer failures add the RFC 6750 section 3
`WWW-Authenticate` header.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("mock_openam")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ErrorBody(BaseModel):
    """RFC 6749 section 5.2 error response."""

    error: str
    error_description: str


class OAuth2Error(Exception):
    error = "invalid_request"
    status_code = 400

    def __init__(self, description: str, *, realm: str = "/") -> None:
        super().__init__(description)
        self.description = description
        self.realm = realm

    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(OAuth2Error):
    error = "invalid_request"


class InvalidClient(OAuth2Error):
    """Client authentication failed (RFC 6749 section 5.2): 401, a Basic challenge."""

    error = "invalid_client"
    status_code = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{self.realm}"'}


class InvalidGrant(OAuth2Error):
    error = "invalid_grant"


class UnauthorizedClient(OAuth2Error):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuth2Error):
    error = "unsupported_grant_type"


class UnsupportedTokenType(OAuth2Error):
    error = "unsupported_token_type"


class InvalidScope(OAuth2Error):
    error = "invalid_scope"


class BearerError(OAuth2Error):
    """A protected resource refused the bearer token (RFC 6750 section 3)."""

    def headers(self) -> dict[str, str]:
        return {
            "WWW-Authenticate": (
                f'Bearer realm="{self.realm}", error="{self.error}", '
                f'error_description="{self.description}"'
            )
        }


class MissingToken(BearerError):
    """No token at all: RFC 6750 section 3.1 says the challenge names no error."""

    error = "invalid_request"
    status_code = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer realm="{self.realm}"'}


class InvalidToken(BearerError):
    error = "invalid_token"
    status_code = 401


class InsufficientScope(BearerError):
    error = "insufficient_scope"
    status_code = 403


class NotFound(OAuth2Error):
    error = "not_found"
    status_code = 404


def error_response(exc: OAuth2Error) -> JSONResponse:
    body = {"error": exc.error, "error_description": exc.description}
    headers = {**NO_STORE, **exc.headers()}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render every failure, expected or not, as an RFC 6749 error body."""

    async def oauth2_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuth2Error)
        return error_response(exc)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        return error_response(InvalidRequest("the request is malformed"))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = "not_found" if exc.status_code == 404 else "invalid_request"
        body = {"error": error, "error_description": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected %s on %s", type(exc).__name__, request.url.path)
        body = {"error": "server_error", "error_description": "internal error"}
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(OAuth2Error, oauth2_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
