"""Discovery (OpenID Connect Discovery 1.0) and the signing keys (RFC 7517)."""

from __future__ import annotations

from typing import Any

import pytest
from jose import jwt

from contracts.oidc import ProviderClient, TokenSet

pytestmark = pytest.mark.provider_contract

# RFC 7518 section 6.2.2 (EC), 6.3.2 (RSA), 6.4 (oct), RFC 8037 (OKP): private members.
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
REQUIRED_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)


@pytest.fixture(scope="module")
def keys(provider: ProviderClient) -> list[dict[str, Any]]:
    document = provider.jwks()
    assert isinstance(document.get("keys"), list), (
        f"the JWKS has no keys array: {document}"
    )
    return list(document["keys"])


def test_oidc_discovery_4_3_issuer_equals_url(provider: ProviderClient) -> None:
    """Discovery's `issuer` is exactly the issuer URL the document was fetched under."""
    issuer = provider.metadata.get("issuer")
    assert issuer == provider.issuer, (
        f"issuer {issuer!r} differs from the URL the document was found at "
        f"({provider.issuer!r}); clients must refuse such a provider"
    )


@pytest.mark.parametrize("member", REQUIRED_METADATA)
def test_oidc_discovery_3_required_metadata_present(
    provider: ProviderClient, member: str
) -> None:
    """Discovery names every REQUIRED provider metadata member."""
    assert provider.metadata.get(member), (
        f"discovery lacks the required member {member!r}"
    )


@pytest.mark.parametrize(
    "member", ["userinfo_endpoint", "introspection_endpoint", "revocation_endpoint"]
)
def test_step5_validation_endpoints_present(
    provider: ProviderClient, member: str
) -> None:
    """Discovery names the endpoints a UDR validates tokens with (step 5)."""
    assert provider.metadata.get(member), (
        f"discovery lacks {member!r}; a UDR cannot find where to validate tokens"
    )


def test_oidc_discovery_3_openid_in_scopes_supported(provider: ProviderClient) -> None:
    """`scopes_supported`, where given, includes `openid`."""
    scopes = provider.metadata.get("scopes_supported")
    if scopes is None:
        pytest.skip("the provider does not list scopes_supported (it is RECOMMENDED)")
    assert "openid" in scopes, f"scopes_supported lacks openid: {scopes}"


def test_step6_keystoneid_in_scopes_supported(provider: ProviderClient) -> None:
    """`scopes_supported`, where given, offers the `keystoneid` scope of the flow."""
    scopes = provider.metadata.get("scopes_supported")
    if scopes is None:
        pytest.skip("the provider does not list scopes_supported (it is RECOMMENDED)")
    assert "keystoneid" in scopes, f"scopes_supported lacks keystoneid: {scopes}"


def test_rfc7517_jwks_holds_no_private_key_material(keys: list[dict[str, Any]]) -> None:
    """The published JWKS holds public keys only: no private members of any key."""
    leaking = {
        key.get("kid", "?"): sorted(PRIVATE_MEMBERS & key.keys()) for key in keys
    }
    leaking = {kid: members for kid, members in leaking.items() if members}
    assert not leaking, f"private key members published in the JWKS: {leaking}"


def test_rfc7517_jwks_holds_no_symmetric_keys(keys: list[dict[str, Any]]) -> None:
    """No `oct` key is published: a shared secret in public lets anyone sign."""
    symmetric = [key.get("kid", "?") for key in keys if key.get("kty") == "oct"]
    assert not symmetric, f"symmetric keys published in the JWKS: {symmetric}"


def test_rfc7517_4_5_every_key_has_a_kid(keys: list[dict[str, Any]]) -> None:
    """Every key has a `kid`, no two share one, so verifiers can pick the key."""
    kids = [key.get("kid") for key in keys]
    assert all(kids), f"keys without a kid: {[k for k in keys if not k.get('kid')]}"
    assert len(set(kids)) == len(kids), f"duplicate kids in the JWKS: {kids}"


def test_rfc7515_4_1_4_id_token_kid_is_published(
    fresh_tokens: TokenSet, keys: list[dict[str, Any]]
) -> None:
    """The id token names a JWKS key in `kid`, with a real signing algorithm."""
    if fresh_tokens.id_token is None:
        pytest.fail("the token response for scope openid holds no id_token")
    header = jwt.get_unverified_header(fresh_tokens.id_token)
    assert header.get("alg") not in {None, "none"}, f"unsigned id token: {header}"
    assert header.get("kid") in {k.get("kid") for k in keys}, (
        f"the id token's kid {header.get('kid')!r} is not in the JWKS"
    )
