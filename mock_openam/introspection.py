"""Token introspection (RFC 7662), for resource servers authenticated as a client."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .audit import note
from .client_auth import read_token_request
from .config import Client
from .errors import NO_STORE, InvalidToken
from .issuance import find_access_token
from .openapi import FORM_AUTH_NOTE, TOKEN_FORM, errors
from .provider import Provider, ProviderDep, Realm, RealmDep
from .store import digest

router = APIRouter(tags=["introspection"])

# A client holding one of these scopes may introspect any token; others only their own
# (OpenAM calls its scope `am-introspect-all-tokens`).
INTROSPECT_ALL = ("introspect", "am-introspect-all-tokens")
INACTIVE: dict[str, Any] = {"active": False}


@router.post(
    "/introspect",
    summary="Is this token active, and what does it carry?",
    description=FORM_AUTH_NOTE,
    response_model=None,
    responses={
        200: {
            "description": "RFC 7662 section 2.2",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["active"],
                        "properties": {
                            "active": {"type": "boolean"},
                            "scope": {"type": "string"},
                            "client_id": {"type": "string"},
                            "sub": {"type": "string"},
                            "exp": {"type": "integer"},
                            "iat": {"type": "integer"},
                            "keystoneid": {"type": "string"},
                        },
                        "additionalProperties": True,
                    }
                }
            },
        },
        **errors(400, 401),
    },
    openapi_extra=TOKEN_FORM,
)
async def introspect(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    _, client, token = await read_token_request(request, provider, realm)

    answer = introspect_token(provider, realm, token)
    if answer["active"] and not _may_see(client, answer["client_id"]):
        answer = INACTIVE
    if answer["active"]:
        note(request, username=answer.get("username"), scope=answer.get("scope"))
    return JSONResponse(answer, headers=NO_STORE)


def introspect_token(provider: Provider, realm: Realm, token: str) -> dict[str, Any]:
    """RFC 7662 section 2.2: the token's claims, or only `active: false`."""
    try:
        record = find_access_token(provider, realm, token)
    except InvalidToken:
        return _introspect_refresh_token(provider, realm, token)

    payload = record.payload
    return {
        **record.claims,
        "active": True,
        "scope": " ".join(record.scope),
        "client_id": record.client_id,
        "username": record.sub,
        "token_type": "Bearer",
        "exp": record.exp,
        "iat": record.iat,
        "nbf": payload.get("nbf", record.iat),
        "sub": record.sub,
        "aud": payload.get("aud"),
        "iss": payload.get("iss"),
        "jti": record.jti,
        "realm": record.realm,
    }


def _introspect_refresh_token(
    provider: Provider, realm: Realm, token: str
) -> dict[str, Any]:
    refresh = provider.store.refresh_tokens.get(digest(token))
    if (
        refresh is None
        or refresh.used
        or refresh.realm != realm.name
        or refresh.exp <= provider.clock()
        or not provider.store.grant_active(refresh.grant_id)
    ):
        return INACTIVE
    grant = provider.store.grants[refresh.grant_id]
    return {
        "active": True,
        "scope": " ".join(refresh.scope),
        "client_id": refresh.client_id,
        "username": grant.sub,
        "sub": grant.sub,
        "token_type": "refresh_token",
        "exp": refresh.exp,
        "iat": refresh.iat,
        "iss": realm.issuer,
        "realm": refresh.realm,
    }


def _may_see(client: Client, token_client_id: str) -> bool:
    if any(scope in client.scopes for scope in INTROSPECT_ALL):
        return True
    return client.client_id == token_client_id
