"""OpenID Provider metadata (OpenID Connect Discovery 1.0 section 3) and the JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .claims import STANDARD_SCOPES, SUPPORTED_CLAIMS
from .provider import Provider, ProviderDep, Realm, RealmDep

router = APIRouter(tags=["discovery"])

_JSON_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}


@router.get(
    "/.well-known/openid-configuration",
    summary="The provider's metadata",
    response_model=None,
    responses={200: {"description": "OpenID Provider Metadata", **_JSON_OBJECT}},
)
async def openid_configuration(provider: ProviderDep, realm: RealmDep) -> JSONResponse:
    return JSONResponse(metadata(provider, realm))


@router.get(
    "/connect/jwk_uri",
    summary="The public signing keys (JWK Set)",
    response_model=None,
    responses={200: {"description": "RFC 7517 JWK Set", **_JSON_OBJECT}},
)
async def jwk_uri(provider: ProviderDep, realm: RealmDep) -> JSONResponse:
    return JSONResponse(provider.keys.jwks())


def metadata(provider: Provider, realm: Realm) -> dict[str, Any]:
    issuer = realm.issuer
    client_scopes = [s for c in provider.config.clients for s in c.scopes]
    auth_methods = ["client_secret_basic", "client_secret_post"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/access_token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/connect/jwk_uri",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/token/revoke",
        "end_session_endpoint": f"{issuer}/connect/endSession",
        "tokeninfo_endpoint": f"{issuer}/tokeninfo",
        "scopes_supported": list(dict.fromkeys([*STANDARD_SCOPES, *client_scopes])),
        "claims_supported": list(SUPPORTED_CLAIMS),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "password",
            "client_credentials",
            "refresh_token",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [provider.settings.signing_alg],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
