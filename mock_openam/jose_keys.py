"""Signing keys and every JOSE operation of the provider (python-jose underneath).

No other module imports `jose`: signing, verifying, the JWKS and key rotation live here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyECKey, CryptographyRSAKey
from jose.exceptions import JOSEError

Algorithm = Literal["RS256", "ES256"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# RFC 7638 section 3.2: the members of the thumbprint of each key type.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


class KeyFileError(ValueError):
    """The key file cannot be read or does not fit the signing algorithm."""


class SignatureInvalid(Exception):
    """A JWT that is malformed, signed by an unknown key or not by us at all."""


@dataclass
class SigningKey:
    """One key pair as python-jose key objects, built once: parsing a PEM key (and
    validating an RSA one) per signature would cost far more than signing."""

    kid: str
    alg: Algorithm
    private_key: Key
    public_key: Key
    public_jwk: dict[str, str]
    retired_at: float | None = None


class KeySet:
    """The current signing key and, for a grace period, the ones it replaced."""

    def __init__(
        self,
        alg: Algorithm,
        *,
        grace_seconds: float,
        clock: Callable[[], float],
        key_file: Path | None = None,
    ) -> None:
        self.alg = alg
        self.grace_seconds = grace_seconds
        self._clock = clock
        private = _load_key_file(key_file, alg) if key_file else _generate_key(alg)
        self._keys: list[SigningKey] = [_signing_key(private, alg)]

    @property
    def current(self) -> SigningKey:
        return self._keys[-1]

    def sign(
        self,
        claims: dict[str, Any],
        *,
        typ: str = "JWT",
        access_token: str | None = None,
    ) -> str:
        """A compact JWS of `claims` by the current key; `at_hash` of `access_token`."""
        key = self.current
        headers = {"kid": key.kid, "typ": typ}
        return jwt.encode(
            claims,
            key.private_key,
            algorithm=key.alg,
            headers=headers,
            access_token=access_token,
        )

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of `token` if one of our published keys signed it.

        Only the signature is checked here; time, issuer and audience are the caller's.
        """
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise SignatureInvalid("not a JWS") from exc
        key = self._published(header.get("kid"))
        if key is None or header.get("alg") != key.alg:
            raise SignatureInvalid("unknown key or algorithm")

        options = {
            "verify_aud": False,
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
            "verify_at_hash": False,
        }
        try:
            claims = jwt.decode(
                token, key.public_key, algorithms=[key.alg], options=options
            )
        except JOSEError as exc:
            raise SignatureInvalid("bad signature") from exc
        return dict(claims)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set (RFC 7517 section 5): public keys only."""
        return {"keys": [dict(k.public_jwk) for k in reversed(self._published_keys())]}

    def rotate(self) -> tuple[str, str]:
        """Make a fresh key current; the old one stays published for a grace period."""
        previous = self.current
        previous.retired_at = self._clock()
        self._keys.append(_signing_key(_generate_key(self.alg), self.alg))
        self._keys = self._published_keys()
        return self.current.kid, previous.kid

    def _published_keys(self) -> list[SigningKey]:
        now = self._clock()
        return [
            k
            for k in self._keys
            if k.retired_at is None or now - k.retired_at < self.grace_seconds
        ]

    def _published(self, kid: object) -> SigningKey | None:
        if not isinstance(kid, str):
            return None
        return next((k for k in self._published_keys() if k.kid == kid), None)


def _generate_key(alg: Algorithm) -> PrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _load_key_file(path: Path, alg: Algorithm) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"key file {path} is not an unencrypted PEM key") from exc

    if alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise KeyFileError(f"RS256 needs an RSA key of 2048 bits or more: {path}")
        return key
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise KeyFileError(f"ES256 needs a P-256 key: {path}")
        return key
    raise KeyFileError(f"key file {path} does not hold a key for {alg}")


def _signing_key(private: PrivateKey, alg: Algorithm) -> SigningKey:
    # The cryptography backend takes key objects as they are: no PEM round trip.
    key_class = CryptographyECKey if alg == "ES256" else CryptographyRSAKey
    private_key: Key = key_class(private, alg)
    public_key = private_key.public_key()
    public = {
        k: v.decode() if isinstance(v, bytes) else v
        for k, v in public_key.to_dict().items()
    }
    kid = _thumbprint(public)
    public_jwk = {**public, "kid": kid, "use": "sig", "alg": alg}
    return SigningKey(kid, alg, private_key, public_key, public_jwk)


def _thumbprint(public: dict[str, str]) -> str:
    """RFC 7638 JWK thumbprint, the key's `kid`."""
    members = {m: public[m] for m in _THUMBPRINT_MEMBERS[public["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
