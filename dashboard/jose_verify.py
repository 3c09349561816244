"""ID token verification: the dashboard's only use of a JOSE library.

OpenID Connect Core 1.0 section 3.1.3.7: the signature against the provider's JWKS, the
issuer, the audience (our client id), the expiry, the nonce when one was sent, and
`at_hash` against the access token when the token carries it (section 3.1.3.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jose import jwt
from jose.exceptions import JOSEError

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"]
LEEWAY_SECONDS = 60


class IdTokenInvalid(Exception):
    """The id token failed a check; the message says which, never the token."""


def key_id(token: str) -> str | None:
    """The `kid` of the token's header, to pick the key from the JWKS."""
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError as exc:
        raise IdTokenInvalid(f"unreadable header: {type(exc).__name__}") from exc
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def verify_id_token(
    token: str,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    audience: str,
    access_token: str,
    nonce: str | None = None,
) -> dict[str, Any]:
    """The verified claims of `token`, or IdTokenInvalid."""
    key = _select_key(jwks, key_id(token))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            access_token=access_token,
            options={
                "require_exp": True,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
                "leeway": LEEWAY_SECONDS,
            },
        )
    except JOSEError as exc:
        raise IdTokenInvalid(f"{type(exc).__name__}: {exc}") from exc

    if nonce is not None and claims.get("nonce") != nonce:
        raise IdTokenInvalid("nonce does not match the authorization request")
    return claims


def _select_key(jwks: Mapping[str, Any], kid: str | None) -> dict[str, Any]:
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)]
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    if len(keys) != 1:
        raise IdTokenInvalid(f"no single key in the JWKS for kid {kid!r}")
    return keys[0]
