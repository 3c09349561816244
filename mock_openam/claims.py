"""Which claims a scope releases (OpenID Connect Core section 5.4, OpenAM's rule)."""

from __future__ import annotations

from typing import Any

# OpenID Connect Core section 5.4; `keystoneid` is this flow's cloud provider id.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": (),
    "profile": (
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
    "keystoneid": ("keystoneid",),
}

STANDARD_SCOPES = ("openid", "profile", "email", "keystoneid")
SUPPORTED_CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "name",
    "given_name",
    "family_name",
    "email",
    "keystoneid",
)

# Registered JWT claims that a profile claim may never override.
RESERVED = frozenset(
    {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "auth_time",
        "nonce",
        "azp",
        "at_hash",
        "scope",
        "client_id",
        "sid",
    }
)


def release(user_claims: dict[str, Any], scope: tuple[str, ...]) -> dict[str, Any]:
    """The user's claims that the granted scopes release.

    A scope of OpenID Connect releases its standard claims; any other scope releases the
    claim of the same name, as OpenAM maps a scope to the profile attribute it names.
    """
    released: dict[str, Any] = {}
    for name in scope:
        for claim in SCOPE_CLAIMS.get(name, (name,)):
            if claim in user_claims and claim not in RESERVED:
                released[claim] = user_claims[claim]
    return released
