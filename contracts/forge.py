"""The attacker's workshop: tokens a UDR must refuse, built by the suite itself.

Every forgery starts from what an attacker can see: a real token of their own (its
header and claims), and the provider's public JWKS. None of them is signed by the
provider, so a UDR that accepts one has a hole, whatever its validation mode:

- `alg: none` (RFC 7519 section 6; RFC 8725 section 3.1),
- re-signed with the attacker's own RSA key but the provider's `kid`,
- HS256 keyed with the provider's public key PEM (algorithm confusion, RFC 8725 2.1),
- claims changed after signing (the real signature kept),
- expired, wrong issuer, wrong audience: attacker-signed with the claim changed, so the
  rule is checked however the UDR reaches its verdict.

Provider-signed variants of expired and wrong-audience tokens need the provider's help
(our provider's test-control API); the UDR contract asks for them where it can.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _segment(document: dict[str, Any]) -> str:
    return b64url(json.dumps(document, separators=(",", ":")).encode())


def split_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """Header, claims and signature of a JWS compact token; None for an opaque one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, parts[2]


def public_key_pem(jwk: dict[str, Any]) -> bytes:
    """The PEM (SubjectPublicKeyInfo) of an RSA or EC public JWK."""
    if jwk.get("kty") == "RSA":
        numbers = rsa.RSAPublicNumbers(
            int.from_bytes(b64url_decode(jwk["e"]), "big"),
            int.from_bytes(b64url_decode(jwk["n"]), "big"),
        )
        key: Any = numbers.public_key()
    elif jwk.get("kty") == "EC":
        curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}[jwk["crv"]]
        key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(jwk["x"]), "big"),
            int.from_bytes(b64url_decode(jwk["y"]), "big"),
            curve,
        ).public_key()
    else:
        raise ValueError(f"no PEM form for a {jwk.get('kty')!r} key")
    pem: bytes = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


@dataclass
class TokenForge:
    """Forgeries modelled on one real token and the provider's published keys."""

    header: dict[str, Any]
    claims: dict[str, Any]
    jwks: dict[str, Any]

    def __post_init__(self) -> None:
        self._attacker_key = rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )

    @classmethod
    def from_tokens(
        cls,
        access_token: str,
        id_token: str | None,
        jwks: dict[str, Any],
        extra_claims: dict[str, Any],
    ) -> TokenForge:
        """Model on the access token if it is a JWT, else on the id token's claims."""
        parsed = split_jwt(access_token) or (split_jwt(id_token) if id_token else None)
        if parsed is None:
            header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
            claims: dict[str, Any] = {}
        else:
            header, claims, _ = parsed
        claims = {**claims, **extra_claims}
        if "kid" not in header and jwks.get("keys"):
            header = {**header, "kid": jwks["keys"][0].get("kid")}
        return cls(header=header, claims=claims, jwks=jwks)

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return str(kid) if kid is not None else None

    def _fresh(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {**self.claims, "iat": now, "exp": now + 600} | changes
        return {k: v for k, v in claims.items() if v is not None}

    def alg_none(self) -> str:
        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        return f"{_segment(header)}.{_segment(self._fresh())}."

    def attacker_signed(self, **changes: Any) -> str:
        """RS256 with the attacker's key under the provider's `kid`."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_segment(header)}.{_segment(self._fresh(**changes))}"
        signature = self._attacker_key.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{b64url(signature)}"

    def hs256_with_public_key(self) -> str:
        """HS256 keyed with the PEM of the provider's own public key."""
        key = self._provider_key()
        header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_segment(header)}.{_segment(self._fresh())}"
        mac = hmac.new(public_key_pem(key), signing_input.encode(), hashlib.sha256)
        return f"{signing_input}.{b64url(mac.digest())}"

    def expired(self) -> str:
        past = int(time.time()) - 3600
        return self.attacker_signed(iat=past - 600, exp=past, nbf=None)

    def wrong_issuer(self) -> str:
        issuer = str(self.claims.get("iss", "https://provider.invalid"))
        return self.attacker_signed(iss=issuer.rstrip("/") + ".evil.invalid")

    def wrong_audience(self) -> str:
        return self.attacker_signed(aud="someone-else", azp="someone-else")

    def _provider_key(self) -> dict[str, Any]:
        keys = list(self.jwks.get("keys") or [])
        chosen = [k for k in keys if k.get("kid") == self.kid] or keys
        if not chosen:
            raise ValueError("the provider publishes no key")
        return dict(chosen[0])


def tampered(token: str, changes: dict[str, Any]) -> str:
    """The real token with its claims changed and its real signature kept.

    For an opaque token, one character in the middle flipped.
    """
    parsed = split_jwt(token)
    if parsed is None:
        middle = len(token) // 2
        flipped = "A" if token[middle] != "A" else "B"
        return token[:middle] + flipped + token[middle + 1 :]
    _, claims, signature = parsed
    header_segment = token.split(".", 1)[0]
    return f"{header_segment}.{_segment(claims | changes)}.{signature}"
