"""The attacker's tokens are what they say: unsigned, or signed by the wrong key."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jws, jwt
from jose.exceptions import JOSEError

from contracts.forge import (
    TokenForge,
    b64url,
    b64url_decode,
    public_key_pem,
    split_jwt,
    tampered,
)

ISSUER = "http://127.0.0.1:8080/openam/oauth2"


@pytest.fixture(scope="module")
def provider_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider_jwks(provider_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    public = jwk.RSAKey(provider_key.public_key(), "RS256").to_dict()
    return {"keys": [{**public, "kid": "provider-kid", "use": "sig"}]}


@pytest.fixture(scope="module")
def real_token(provider_key: rsa.RSAPrivateKey) -> str:
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "dashboard",
        "exp": int(time.time()) + 600,
        "keystoneid": "k-alice",
    }
    return jwt.encode(
        claims, provider_key, algorithm="RS256", headers={"kid": "provider-kid"}
    )


@pytest.fixture
def forge(real_token: str, provider_jwks: dict[str, Any]) -> TokenForge:
    return TokenForge.from_tokens(
        real_token, None, provider_jwks, {"keystoneid": "k-alice"}
    )


def _verifies_with_provider_key(token: str, provider_jwks: dict[str, Any]) -> bool:
    try:
        jwt.decode(
            token, provider_jwks, algorithms=["RS256"], options={"verify_aud": False}
        )
    except JOSEError:
        return False
    return True


def test_alg_none_has_no_signature(forge: TokenForge) -> None:
    token = forge.alg_none()
    parsed = split_jwt(token)
    assert parsed is not None
    header, claims, signature = parsed
    assert header["alg"] == "none"
    assert signature == ""
    assert claims["keystoneid"] == "k-alice"


def test_attacker_signed_keeps_kid_but_not_the_key(
    forge: TokenForge, provider_jwks: dict[str, Any]
) -> None:
    token = forge.attacker_signed()
    assert jwt.get_unverified_header(token)["kid"] == "provider-kid"
    assert not _verifies_with_provider_key(token, provider_jwks)


def test_hs256_is_keyed_with_the_public_key_pem(
    forge: TokenForge, provider_jwks: dict[str, Any]
) -> None:
    token = forge.hs256_with_public_key()
    signing_input, signature = token.rsplit(".", 1)
    pem = public_key_pem(provider_jwks["keys"][0])
    expected = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    assert b64url_decode(signature) == expected
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_expired_wrong_issuer_and_audience_change_only_their_claim(
    forge: TokenForge,
) -> None:
    expired = jwt.get_unverified_claims(forge.expired())
    assert expired["exp"] < time.time()
    assert jwt.get_unverified_claims(forge.wrong_issuer())["iss"] != ISSUER
    assert jwt.get_unverified_claims(forge.wrong_audience())["aud"] == "someone-else"
    assert jwt.get_unverified_claims(forge.wrong_audience())["iss"] == ISSUER


def test_tampered_keeps_the_real_signature(
    real_token: str, provider_jwks: dict[str, Any]
) -> None:
    forged = tampered(real_token, {"keystoneid": "k-bob"})
    assert forged.rsplit(".", 1)[1] == real_token.rsplit(".", 1)[1]
    assert jwt.get_unverified_claims(forged)["keystoneid"] == "k-bob"
    assert _verifies_with_provider_key(real_token, provider_jwks)
    assert not _verifies_with_provider_key(forged, provider_jwks)
    with pytest.raises(JOSEError):
        jws.verify(forged, provider_jwks, algorithms=["RS256"])


def test_tampered_opaque_token_differs_in_one_character() -> None:
    token = "opaque-token-value-1234"
    forged = tampered(token, {})
    assert len(forged) == len(token)
    assert sum(a != b for a, b in zip(forged, token, strict=True)) == 1


def test_forge_from_opaque_token_uses_id_token_claims(
    real_token: str, provider_jwks: dict[str, Any]
) -> None:
    forge = TokenForge.from_tokens(
        "opaque", real_token, provider_jwks, {"scope": "openid"}
    )
    claims = jwt.get_unverified_claims(forge.attacker_signed())
    assert claims["sub"] == "alice"
    assert claims["scope"] == "openid"


def test_b64url_round_trip() -> None:
    assert b64url_decode(b64url(b"\xff\x00abc")) == b"\xff\x00abc"
