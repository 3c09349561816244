"""OpenAM's token information endpoint: what a resource server asks about a token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .audit import note
from .errors import InvalidRequest, MissingToken
from .forms import MAX_VALUE_CHARS, bearer_from_header
from .issuance import find_access_token
from .openapi import BEARER, errors
from .provider import ProviderDep, RealmDep

router = APIRouter(tags=["tokeninfo"])


@router.get(
    "/tokeninfo",
    summary="Information about an access token, as OpenAM answers it",
    response_model=None,
    responses={
        200: {
            "description": "the token's claims; scope as a list, each scope a key",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["scope", "expires_in", "token_type"],
                        "properties": {
                            "scope": {"type": "array", "items": {"type": "string"}},
                            "expires_in": {"type": "integer"},
                            "token_type": {"type": "string"},
                            "keystoneid": {"type": "string"},
                        },
                        "additionalProperties": True,
                    }
                }
            },
        },
        **errors(400, 401),
    },
    openapi_extra={
        "security": [*BEARER, {"tokenQuery": []}],
    },
)
async def tokeninfo(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    header_token = bearer_from_header(request, realm=realm.name)
    query_tokens = request.query_params.getlist("access_token")
    if len(query_tokens) > 1 or (query_tokens and header_token is not None):
        raise InvalidRequest("send the access token only once", realm=realm.name)
    token = header_token or (query_tokens[0] if query_tokens else None)
    if not token:
        raise MissingToken("Missing access_token", realm=realm.name)
    if len(token) > MAX_VALUE_CHARS:
        raise InvalidRequest("the token is too long", realm=realm.name)

    note(request, token=token)
    record = find_access_token(provider, realm, token)
    note(
        request,
        client_id=record.client_id,
        username=record.sub,
        scope=" ".join(record.scope),
    )

    body: dict[str, Any] = {s: record.claims.get(s, "") for s in record.scope}
    body.update(record.claims)
    body.update(
        {
            "sub": record.sub,
            "client_id": record.client_id,
            "scope": list(record.scope),
            "grant_type": record.grant_type,
            "realm": record.realm,
            "token_type": "Bearer",
            "expires_in": max(0, record.exp - provider.now()),
            "access_token": token,
        }
    )
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
