"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 section 2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from .audit import note
from .errors import InvalidRequest
from .forms import FORM_TYPE, read_form
from .jose_keys import SignatureInvalid
from .openapi import errors
from .provider import Provider, ProviderDep, Realm, RealmDep
from .sessions import clear_session_cookie, current_session

router = APIRouter(tags=["session"])

SIGNED_OUT = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Signed out</title>"
    "<p data-testid=signed-out>You are signed out.</p></html>"
)
_PARAMS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


_DOCS: dict[str, Any] = {
    "response_class": HTMLResponse,
    "responses": {
        302: {"description": "to the post-logout redirect URI"},
        **errors(400),
    },
    "openapi_extra": {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
            }
            for name in _PARAMS
        ]
    },
}


@router.get("/connect/endSession", summary="End the session (query)", **_DOCS)
async def end_session_get(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> Response:
    return await end_session(request, provider, realm)


@router.post("/connect/endSession", summary="End the session (form)", **_DOCS)
async def end_session_post(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> Response:
    return await end_session(request, provider, realm)


async def end_session(request: Request, provider: Provider, realm: Realm) -> Response:
    """End the SSO session and the hinted id token's grant; redirect if asked."""
    params = dict(request.query_params)
    if request.method == "POST" and request.headers.get(
        "content-type", ""
    ).lower().startswith(FORM_TYPE):
        params.update(await read_form(request, realm=realm.name))
    if any(len(params.get(name, "")) > 16384 for name in _PARAMS):
        raise InvalidRequest("a parameter is too long", realm=realm.name)

    hint = _id_token_claims(provider, realm, params.get("id_token_hint"))
    client_id = _client_id(hint, params.get("client_id"), realm)
    redirect_uri = _post_logout_redirect_uri(provider, realm, client_id, params)
    note(request, client_id=client_id, username=hint.get("sub") if hint else None)

    if hint is not None and str(hint.get("jti")) in provider.store.id_tokens:
        grant_id, _ = provider.store.id_tokens[str(hint["jti"])]
        provider.store.revoke_grant(grant_id)
    session = current_session(request, provider, realm)
    if session is not None:
        provider.store.revoke_session(session.session_id)

    response: Response
    if redirect_uri is None:
        response = HTMLResponse(SIGNED_OUT, headers={"Cache-Control": "no-store"})
    else:
        response = _redirect(redirect_uri, params.get("state"))
    clear_session_cookie(response, provider)
    return response


def _id_token_claims(
    provider: Provider, realm: Realm, hint: str | None
) -> dict[str, Any] | None:
    """The hint's claims: our signature and this realm's issuer; expiry is no matter."""
    if not hint:
        return None
    try:
        claims = provider.keys.verify(hint)
    except SignatureInvalid as exc:
        raise InvalidRequest("id_token_hint is not valid", realm=realm.name) from exc
    if claims.get("iss") != realm.issuer or claims.get("tokenName") != "id_token":
        raise InvalidRequest("id_token_hint is not valid", realm=realm.name)
    return claims


def _client_id(
    hint: dict[str, Any] | None, given: str | None, realm: Realm
) -> str | None:
    audience = hint.get("aud") if hint else None
    if isinstance(audience, list):
        audience = audience[0] if len(audience) == 1 else None
    if given and audience and given != audience:
        raise InvalidRequest("client_id does not match id_token_hint", realm=realm.name)
    return given or (audience if isinstance(audience, str) else None)


def _post_logout_redirect_uri(
    provider: Provider, realm: Realm, client_id: str | None, params: dict[str, str]
) -> str | None:
    """Only an exactly registered URI of the identified client (section 3)."""
    uri = params.get("post_logout_redirect_uri")
    if uri is None:
        return None
    client = provider.config.client(client_id) if client_id else None
    if client is None or uri not in client.post_logout_redirect_uris:
        raise InvalidRequest(
            "post_logout_redirect_uri is not registered for the client",
            realm=realm.name,
        )
    return uri


def _redirect(uri: str, state: str | None) -> RedirectResponse:
    parts = urlsplit(uri)
    extra = urlencode({"state": state}) if state is not None else ""
    query = "&".join(q for q in (parts.query, extra) if q)
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)
