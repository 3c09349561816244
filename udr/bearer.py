"""Step 4: the bearer token, taken from the `Authorization` header only (RFC 6750)."""

from __future__ import annotations

import re

from starlette.requests import Request

from udr.errors import InvalidRequest, InvalidToken, MissingToken

# RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token; the scheme is
# case-insensitive (RFC 9110 section 11.1).
_BEARER = re.compile(r"(?i:bearer) +([A-Za-z0-9\-._~+/]+=*)")
MAX_TOKEN_LENGTH = 8192


def bearer_token(request: Request) -> str:
    """The one bearer token of the request, or the RFC 6750 error that says why not."""
    if "access_token" in request.query_params:
        # RFC 6750 section 2.3 is a method we refuse: URLs end up in logs.
        raise InvalidRequest("send the access token in the Authorization header only")

    values = request.headers.getlist("authorization")
    if not values:
        raise MissingToken("the request carries no bearer token")
    if len(values) > 1:
        raise InvalidRequest("the request carries more than one Authorization header")

    match = _BEARER.fullmatch(values[0])
    if match is None:
        raise InvalidToken("the Authorization header is not 'Bearer <token>'")
    token = match.group(1)
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the bearer token is too long")
    return token
