"""The token endpoint (RFC 6749 section 3.2): password, client credentials,
authorization code with PKCE, and refresh token grants."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from . import scopes
from .audit import note
from .claims import release
from .client_auth import authenticate_client
from .config import Client
from .errors import (
    NO_STORE,
    InvalidGrant,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from .forms import read_form, require
from .issuance import issue_tokens, mint_refresh_token, start_grant
from .openapi import (
    CLIENT_AUTH,
    FORM_AUTH_NOTE,
    errors,
    form_schema,
    one_of_forms,
    string,
)
from .pkce import check_pkce
from .provider import Provider, ProviderDep, Realm, RealmDep
from .store import AuthorizationCode, digest

router = APIRouter(tags=["token"])


class TokenResponse(BaseModel):
    """RFC 6749 section 5.1, with OpenID Connect's id_token."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None


_SCOPE = {"scope": string("space-delimited scopes")}


def _grant_form(
    grant_type: str,
    required: dict[str, dict[str, Any]],
    optional: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The form of one grant type: its own parameters and the client's."""
    properties = {
        "grant_type": string(f"{grant_type} grant", enum=[grant_type]),
        **required,
        **(optional or {}),
        **_SCOPE,
    }
    return form_schema(properties, ("grant_type", *required))


_TOKEN_FORM = one_of_forms(
    _grant_form(
        "password",
        {
            "username": string("user name"),
            "password": string("password", format="password"),
        },
    ),
    _grant_form("client_credentials", {}),
    _grant_form(
        "authorization_code",
        {"code": string("the code")},
        {
            "redirect_uri": string("as in the authorization request"),
            "code_verifier": string("PKCE (RFC 7636)"),
        },
    ),
    _grant_form("refresh_token", {"refresh_token": string("the refresh token")}),
)


@router.post(
    "/access_token",
    summary="Exchange a grant for tokens",
    description=FORM_AUTH_NOTE,
    response_model=None,
    responses={200: {"model": TokenResponse}, **errors(400, 401)},
    openapi_extra={**_TOKEN_FORM, "security": CLIENT_AUTH},
)
async def access_token(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    form = await read_form(request, realm=realm.name)
    grant_type = require(form, "grant_type", realm=realm.name)
    note(request, grant_type=grant_type)
    handler = _GRANTS.get(grant_type)
    if handler is None:
        raise UnsupportedGrantType("the grant type is not supported", realm=realm.name)

    client = authenticate_client(request, form, provider, realm)
    if grant_type not in client.grant_types:
        raise UnauthorizedClient(
            "the client may not use this grant type", realm=realm.name
        )
    body = handler(request, form, client, provider, realm)
    note(request, scope=body.get("scope"))
    return JSONResponse(body, headers=NO_STORE)


def password_grant(
    request: Request,
    form: dict[str, str],
    client: Client,
    provider: Provider,
    realm: Realm,
) -> dict[str, Any]:
    """RFC 6749 section 4.3: the resource owner's password, the flow's step 2."""
    username = require(form, "username", realm=realm.name)
    password = require(form, "password", realm=realm.name)
    scope = scopes.resolve(form.get("scope"), client.scopes, realm=realm.name)
    note(request, username=username)

    user = provider.users.authenticate(username, password)
    if user is None:
        raise InvalidGrant("Authentication failed", realm=realm.name)

    grant = start_grant(
        provider,
        realm,
        client_id=client.client_id,
        sub=user.username,
        scope=scope,
        user_claims=user.claims,
        grant_type="password",
    )
    refresh = "refresh_token" in client.grant_types
    return issue_tokens(provider, realm, grant, refresh=refresh)


def client_credentials_grant(
    request: Request,
    form: dict[str, str],
    client: Client,
    provider: Provider,
    realm: Realm,
) -> dict[str, Any]:
    """RFC 6749 section 4.4: a machine acting for itself; no refresh or id token."""
    scope = scopes.resolve(form.get("scope"), client.scopes, realm=realm.name)
    scope = tuple(s for s in scope if s != "openid")
    grant = start_grant(
        provider,
        realm,
        client_id=client.client_id,
        sub=client.client_id,
        scope=scope,
        user_claims={},
        grant_type="client_credentials",
    )
    return issue_tokens(provider, realm, grant, refresh=False)


def authorization_code_grant(
    request: Request,
    form: dict[str, str],
    client: Client,
    provider: Provider,
    realm: Realm,
) -> dict[str, Any]:
    """RFC 6749 section 4.1.3 with RFC 7636 section 4.6: one use, same client,
    same redirect URI, and the verifier of the challenge."""
    code_value = require(form, "code", realm=realm.name)
    code = provider.store.codes.get(digest(code_value))
    if code is None or code.client_id != client.client_id or code.realm != realm.name:
        raise InvalidGrant("the code is invalid", realm=realm.name)
    if code.used:
        # RFC 6749 section 4.1.2: a reused code revokes what it produced.
        if code.grant_id:
            provider.store.revoke_grant(code.grant_id)
        raise InvalidGrant("the code was already used", realm=realm.name)
    code.used = True

    _check_code(code, form, provider, realm)
    user = provider.config.user(code.username)
    if user is None:
        raise InvalidGrant("the code is invalid", realm=realm.name)
    note(request, username=user.username)

    grant = start_grant(
        provider,
        realm,
        client_id=client.client_id,
        sub=user.username,
        scope=code.scope,
        user_claims=user.claims,
        grant_type="authorization_code",
        auth_time=code.auth_time,
        session_id=code.session_id,
    )
    code.grant_id = grant.grant_id
    refresh = "refresh_token" in client.grant_types
    return issue_tokens(provider, realm, grant, refresh=refresh, nonce=code.nonce)


def _check_code(
    code: AuthorizationCode, form: dict[str, str], provider: Provider, realm: Realm
) -> None:
    if code.exp <= provider.clock():
        raise InvalidGrant("the code has expired", realm=realm.name)
    # RFC 6749 section 4.1.3: the same redirect_uri as the authorization request.
    if form.get("redirect_uri") != code.redirect_uri:
        raise InvalidGrant("redirect_uri does not match", realm=realm.name)

    check_pkce(code.code_challenge, form.get("code_verifier"), realm=realm.name)


def refresh_token_grant(
    request: Request,
    form: dict[str, str],
    client: Client,
    provider: Provider,
    realm: Realm,
) -> dict[str, Any]:
    """RFC 6749 section 6. The refresh token is rotated: each one works once."""
    value = require(form, "refresh_token", realm=realm.name)
    note(request, token=value)
    refresh = provider.store.refresh_tokens.get(digest(value))
    grant = provider.store.grants.get(refresh.grant_id) if refresh else None
    if (
        refresh is None
        or grant is None
        or refresh.client_id != client.client_id
        or refresh.realm != realm.name
        or refresh.exp <= provider.clock()
    ):
        raise InvalidGrant("the refresh token is invalid", realm=realm.name)
    if refresh.used or grant.revoked:
        # RFC 9700 section 4.14.2: a rotated refresh token presented again means one of
        # two parties holds a stolen copy; end the whole grant, as for a reused code.
        provider.store.revoke_grant(grant.grant_id)
        raise InvalidGrant("the refresh token is invalid", realm=realm.name)

    scope = refresh.scope
    if form.get("scope", "").strip():
        scope = scopes.parse(form["scope"], realm=realm.name)
        if not set(scope) <= set(refresh.scope):
            raise InvalidScope("the scope exceeds the original grant", realm=realm.name)
    refresh.used = True

    note(request, username=grant.sub)
    narrowed = replace(grant, scope=scope, claims=release(grant.claims, scope))
    body = issue_tokens(provider, realm, narrowed, refresh=False)
    body["refresh_token"] = mint_refresh_token(provider, grant)
    return body


_GRANTS = {
    "password": password_grant,
    "client_credentials": client_credentials_grant,
    "authorization_code": authorization_code_grant,
    "refresh_token": refresh_token_grant,
}
