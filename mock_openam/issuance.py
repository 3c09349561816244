"""Minting access, refresh and id tokens, and finding the record behind a token."""

from __future__ import annotations

import secrets
from typing import Any

from . import claims as scope_claims
from .errors import InvalidToken
from .jose_keys import SignatureInvalid
from .provider import Provider, Realm
from .store import AccessToken, Grant, RefreshToken, digest

NOT_USABLE = (
    "The access token provided is expired, revoked, malformed, or invalid for other "
    "reasons."
)


def new_secret() -> str:
    """An unguessable opaque value: refresh tokens, codes, session ids, jti."""
    return secrets.token_urlsafe(32)


def start_grant(
    provider: Provider,
    realm: Realm,
    *,
    client_id: str,
    sub: str,
    scope: tuple[str, ...],
    user_claims: dict[str, Any],
    grant_type: str,
    auth_time: int | None = None,
    session_id: str | None = None,
) -> Grant:
    provider.store.purge(provider.clock())
    grant = Grant(
        grant_id=new_secret(),
        realm=realm.name,
        client_id=client_id,
        sub=sub,
        scope=scope,
        claims=scope_claims.release(user_claims, scope),
        grant_type=grant_type,
        auth_time=auth_time if auth_time is not None else provider.now(),
        session_id=session_id,
    )
    provider.store.grants[grant.grant_id] = grant
    return grant


def issue_tokens(
    provider: Provider,
    realm: Realm,
    grant: Grant,
    *,
    refresh: bool,
    nonce: str | None = None,
) -> dict[str, Any]:
    """The token response of RFC 6749 section 5.1 (and OpenID Connect's `id_token`)."""
    lifetime = provider.settings.access_token_lifetime
    access_token, _ = mint_access_token(provider, realm, grant=grant, lifetime=lifetime)
    response: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(grant.scope),
    }
    if refresh:
        response["refresh_token"] = mint_refresh_token(provider, grant)
    if "openid" in grant.scope:
        response["id_token"] = mint_id_token(
            provider, realm, grant=grant, nonce=nonce, access_token=access_token
        )
    return response


def mint_access_token(
    provider: Provider,
    realm: Realm,
    *,
    grant: Grant,
    lifetime: int,
    aud: str | list[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> tuple[str, AccessToken]:
    """A signed JWT access token (RFC 9068 profile) and its record in the store."""
    now = provider.now()
    exp = now + lifetime
    iat = min(now, exp - 1)
    payload = _access_token_claims(realm, grant, iat, exp, aud)
    payload.update({k: v for k, v in (overrides or {}).items() if k != "jti"})
    record = AccessToken(
        jti=payload["jti"],
        grant_id=grant.grant_id,
        realm=realm.name,
        client_id=grant.client_id,
        sub=grant.sub,
        scope=grant.scope,
        claims=grant.claims,
        grant_type=grant.grant_type,
        iat=iat,
        exp=exp,
        payload=payload,
    )
    provider.store.access_tokens[record.jti] = record
    return provider.keys.sign(payload, typ="at+jwt"), record


def _access_token_claims(
    realm: Realm, grant: Grant, iat: int, exp: int, aud: str | list[str] | None
) -> dict[str, Any]:
    """RFC 9068 section 2.2 claims, the released user claims, and OpenAM's own."""
    return {
        **grant.claims,
        "iss": realm.issuer,
        "sub": grant.sub,
        "aud": aud if aud is not None else grant.client_id,
        "exp": exp,
        "iat": iat,
        "nbf": iat,
        "jti": new_secret(),
        "scope": " ".join(grant.scope),
        "client_id": grant.client_id,
        "auth_time": grant.auth_time,
        "realm": realm.name,
        "tokenName": "access_token",
        "token_type": "Bearer",
        "grant_type": grant.grant_type,
    }


def mint_refresh_token(provider: Provider, grant: Grant) -> str:
    value = new_secret()
    now = provider.now()
    provider.store.refresh_tokens[digest(value)] = RefreshToken(
        grant_id=grant.grant_id,
        realm=grant.realm,
        client_id=grant.client_id,
        scope=grant.scope,
        iat=now,
        exp=now + provider.settings.access_token_lifetime,
    )
    return value


def mint_id_token(
    provider: Provider,
    realm: Realm,
    *,
    grant: Grant,
    nonce: str | None,
    access_token: str,
    lifetime: int | None = None,
    aud: str | list[str] | None = None,
) -> str:
    """The OpenID Connect id token (Core section 2), with `at_hash`."""
    now = provider.now()
    if lifetime is None:
        lifetime = provider.settings.access_token_lifetime
    exp = now + lifetime
    payload: dict[str, Any] = {
        **grant.claims,
        "iss": realm.issuer,
        "sub": grant.sub,
        "aud": aud if aud is not None else grant.client_id,
        "azp": grant.client_id,
        "exp": exp,
        "iat": min(now, exp - 1),
        "auth_time": grant.auth_time,
        "realm": realm.name,
        "tokenName": "id_token",
        "jti": new_secret(),
    }
    if nonce is not None:
        payload["nonce"] = nonce
    if grant.session_id is not None:
        payload["sid"] = session_sid(grant.session_id)
    provider.store.id_tokens[payload["jti"]] = (grant.grant_id, exp)
    return provider.keys.sign(payload, access_token=access_token)


def session_sid(session_id: str) -> str:
    """The `sid` claim of a session: a digest, so the id token never holds the id."""
    return digest(session_id)[:32]


def find_access_token(provider: Provider, realm: Realm, token: str) -> AccessToken:
    """The live record of an access token issued by this realm, or `InvalidToken`."""
    try:
        payload = provider.keys.verify(token)
    except SignatureInvalid as exc:
        raise InvalidToken(NOT_USABLE, realm=realm.name) from exc

    record = provider.store.access_tokens.get(str(payload.get("jti")))
    if (
        record is None
        or record.revoked
        or record.payload.get("iss") != realm.issuer
        or record.exp <= provider.clock()
        or not provider.store.grant_active(record.grant_id)
    ):
        raise InvalidToken(NOT_USABLE, realm=realm.name)
    return record
