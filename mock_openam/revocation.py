"""Token revocation (RFC 7009): access tokens alone, refresh tokens with their grant."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .audit import note
from .client_auth import read_token_request
from .config import Client
from .errors import NO_STORE
from .jose_keys import SignatureInvalid
from .openapi import FORM_AUTH_NOTE, TOKEN_FORM, errors
from .provider import Provider, ProviderDep, Realm, RealmDep
from .store import digest

router = APIRouter(tags=["revocation"])


@router.post(
    "/token/revoke",
    summary="Revoke an access or refresh token",
    description=FORM_AUTH_NOTE,
    response_model=None,
    responses={
        200: {
            "description": "revoked, or unknown: RFC 7009 section 2.2 answers the same",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **errors(400, 401),
    },
    openapi_extra=TOKEN_FORM,
)
async def revoke(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    form, client, token = await read_token_request(request, provider, realm)

    # The hint only orders the lookups (section 2.1); both kinds are always tried.
    if form.get("token_type_hint") == "access_token":
        revoked = _revoke_access_token(provider, realm, client, token)
        revoked = revoked or _revoke_refresh_token(provider, realm, client, token)
    else:
        revoked = _revoke_refresh_token(provider, realm, client, token)
        revoked = revoked or _revoke_access_token(provider, realm, client, token)
    note(request, scope="revoked" if revoked else None)
    return JSONResponse({}, headers=NO_STORE)


def _revoke_refresh_token(
    provider: Provider, realm: Realm, client: Client, token: str
) -> bool:
    """Revoking a refresh token revokes its grant: every access token it yielded."""
    refresh = provider.store.refresh_tokens.get(digest(token))
    if refresh is None or refresh.realm != realm.name:
        return False
    if refresh.client_id != client.client_id:
        return False  # section 2.1: only the client it was issued to may revoke it
    provider.store.revoke_grant(refresh.grant_id)
    return True


def _revoke_access_token(
    provider: Provider, realm: Realm, client: Client, token: str
) -> bool:
    try:
        payload = provider.keys.verify(token)
    except SignatureInvalid:
        return False
    record = provider.store.access_tokens.get(str(payload.get("jti")))
    if record is None or record.realm != realm.name:
        return False
    if record.client_id != client.client_id:
        return False
    record.revoked = True
    return True
