"""Every JOSE call of the UDR: local JWT verification against the provider's JWKS.

The algorithm comes from an allow-list and must match the key's type (RFC 8725
section 3.1); `none` and the HMAC family are never accepted; `jku`, `x5u` and `jwk`
headers are ignored, keys come only from the JWKS named by discovery.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import time
from typing import Any

from jose import jwk, jws
from jose.exceptions import JOSEError

from udr.config import Settings
from udr.errors import InvalidToken
from udr.provider import ProviderClient, json_object, unavailable

log = logging.getLogger("udr.jwt")

KEY_TYPES = {"RS256": ("RSA", None), "ES256": ("EC", "P-256")}
ACCESS_TOKEN_TYPES = {"jwt", "at+jwt", "application/at+jwt"}
MIN_RSA_BITS = 2048


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWS-shaped token without any check, or None if it is not one.

    Only for comparing with what the provider said about the token it accepted.
    """
    try:
        payload = jws.get_unverified_claims(token)
        claims = json.loads(payload)
    except (JOSEError, ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


class JwksVerifier:
    """Verifies access tokens locally with the provider's published keys."""

    def __init__(self, settings: Settings, provider: ProviderClient) -> None:
        self.settings = settings
        self.provider = provider
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._unknown_kid_refresh_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> dict[str, Any]:
        """The verified claims of the token, or `InvalidToken` saying why not."""
        header = _header(token)
        alg = header.get("alg")
        if alg not in KEY_TYPES:
            raise InvalidToken("the token's algorithm is not accepted")
        if "crit" in header:  # RFC 7515 section 4.1.11: we understand no extension
            raise InvalidToken("the token has critical header parameters")
        typ = header.get("typ")
        if typ is not None and str(typ).lower() not in ACCESS_TOKEN_TYPES:
            raise InvalidToken("the token is not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("the token names no key (kid)")

        key = await self._key(kid)
        _check_key_fits(key, alg)
        try:
            payload = jws.verify(token, jwk.construct(key, alg), algorithms=[alg])
        except (JOSEError, ValueError, TypeError) as exc:
            log.info("signature refused: %s", type(exc).__name__)
            raise InvalidToken("the token's signature does not verify") from None
        claims = _claims(payload)
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        """RFC 7519 section 4.1 and RFC 9068 section 4, with a small leeway."""
        now, leeway = time.time(), self.settings.jwt_leeway
        if claims.get("iss") != self.settings.issuer:
            raise InvalidToken("the token's issuer is not the provider")
        exp = _number(claims.get("exp"))
        if exp is None:
            raise InvalidToken("the token has no expiry")
        if now >= exp + leeway:
            raise InvalidToken("the token has expired")
        nbf = _number(claims.get("nbf", now))
        if nbf is None or now < nbf - leeway:
            raise InvalidToken("the token is not valid yet")
        iat = _number(claims.get("iat", now))
        if iat is None or iat > now + leeway:
            raise InvalidToken("the token is issued in the future")
        if "scope" not in claims:  # an id token carries none: not a bearer token
            raise InvalidToken("the token is not an access token")
        self._check_audience(claims.get("aud"))

    def _check_audience(self, aud: Any) -> None:
        expected = self.settings.audience
        if expected is None:
            return
        audiences = aud if isinstance(aud, list) else [aud]
        if expected not in [a for a in audiences if isinstance(a, str)]:
            raise InvalidToken("the token is not meant for this service")

    async def _key(self, kid: str) -> dict[str, Any]:
        """The key named `kid`; an unknown kid refetches the JWKS, at most once per
        `jwks_refresh_interval` seconds, to follow a rotation."""
        if time.monotonic() - self._fetched_at >= self.settings.jwks_max_age:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None and self._may_refresh_for_unknown_kid():
            await self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("the token's key is not among the provider's keys")
        return key

    def _may_refresh_for_unknown_kid(self) -> bool:
        now = time.monotonic()
        if now - self._unknown_kid_refresh_at < self.settings.jwks_refresh_interval:
            return False
        self._unknown_kid_refresh_at = now
        return True

    async def _refresh(self) -> None:
        seen = self._fetched_at
        async with self._lock:
            if self._fetched_at != seen:
                return  # fetched by another request while this one waited
            url = await self.provider.endpoint("jwks_uri")
            response = await self.provider.request("GET", url)
            if response.status_code != 200:
                raise unavailable(f"the JWKS answered {response.status_code}")
            keys = json_object(response).get("keys")
            if not isinstance(keys, list):
                raise unavailable("the JWKS has no keys list")
            self._keys = {
                k["kid"]: k for k in keys if isinstance(k, dict) and _usable(k)
            }
            self._fetched_at = time.monotonic()
            log.info("JWKS fetched: %d usable keys", len(self._keys))


def _header(token: str) -> dict[str, Any]:
    try:
        header = jws.get_unverified_header(token)
    except (JOSEError, ValueError, UnicodeDecodeError):
        raise InvalidToken("the token is not a signed JWT") from None
    if not isinstance(header, dict):
        raise InvalidToken("the token is not a signed JWT")
    return header


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("the token's payload is not JSON") from None
    if not isinstance(claims, dict):
        raise InvalidToken("the token's payload is not a JSON object")
    return claims


def _usable(key: dict[str, Any]) -> bool:
    """A public signing key we could verify with; never a private or symmetric one."""
    if not isinstance(key.get("kid"), str) or "d" in key:
        return False
    return key.get("kty") in ("RSA", "EC") and key.get("use", "sig") == "sig"


def _check_key_fits(key: dict[str, Any], alg: str) -> None:
    """RFC 8725 section 3.1: the algorithm is pinned to the key, not the token."""
    kty, crv = KEY_TYPES[alg]
    if key.get("kty") != kty or key.get("alg", alg) != alg:
        raise InvalidToken("the token's algorithm does not match its key")
    if crv is not None and key.get("crv") != crv:
        raise InvalidToken("the token's algorithm does not match its key")
    if kty == "RSA" and _rsa_bits(key) < MIN_RSA_BITS:
        raise InvalidToken("the token's key is too weak")


def _rsa_bits(key: dict[str, Any]) -> int:
    modulus = key.get("n")
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except ValueError:
        return 0
    return int.from_bytes(raw, "big").bit_length()


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    return None
