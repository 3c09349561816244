"""The UserInfo endpoint (OpenID Connect Core section 5.3), a bearer resource."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .audit import note
from .errors import InsufficientScope, InvalidRequest, MissingToken
from .forms import FORM_TYPE, bearer_from_header, read_form
from .issuance import find_access_token
from .openapi import BEARER, errors
from .provider import Provider, ProviderDep, Realm, RealmDep

router = APIRouter(tags=["userinfo"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the claims of the granted scopes",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["sub"],
                    "properties": {
                        "sub": {"type": "string"},
                        "keystoneid": {"type": "string"},
                    },
                    "additionalProperties": True,
                }
            }
        },
    },
    **errors(400, 401, 403),
}


@router.get(
    "/userinfo",
    summary="Claims about the token's user",
    response_model=None,
    responses=_RESPONSES,
    openapi_extra={"security": BEARER},
)
async def userinfo_get(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    token = bearer_from_header(request, realm=realm.name)
    return _userinfo(request, provider, realm, token)


@router.post(
    "/userinfo",
    summary="Claims about the token's user",
    description=(
        "RFC 6750 section 2.2 also allows the token as the form field `access_token` "
        "instead of the header."
    ),
    response_model=None,
    responses=_RESPONSES,
    openapi_extra={"security": BEARER},
)
async def userinfo_post(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    token = bearer_from_header(request, realm=realm.name)
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith(FORM_TYPE):
        form = await read_form(request, realm=realm.name)
        if "access_token" in form:
            if token is not None:
                raise InvalidRequest("send the token only once", realm=realm.name)
            token = form["access_token"]
    return _userinfo(request, provider, realm, token)


def _userinfo(
    request: Request, provider: Provider, realm: Realm, token: str | None
) -> JSONResponse:
    if not token:
        raise MissingToken("an access token is required", realm=realm.name)
    note(request, token=token)
    record = find_access_token(provider, realm, token)
    note(request, client_id=record.client_id, scope=" ".join(record.scope))

    # OpenID Connect Core section 5.3.1: userinfo needs a token granted `openid`.
    if "openid" not in record.scope:
        raise InsufficientScope("the token was not granted openid", realm=realm.name)
    note(request, username=record.sub)
    return JSONResponse(
        {**record.claims, "sub": record.sub}, headers={"Cache-Control": "no-store"}
    )
