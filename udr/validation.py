"""Steps 5 and 6: ask the provider about a token, by the configured validation mode.

Each mode turns the provider's answer into a `TokenInfo`; a token the provider refuses
is `InvalidToken` (401), a provider that cannot answer is `ProviderUnavailable` (503).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from udr.config import Settings, ValidationMode
from udr.errors import InvalidToken
from udr.jose_verify import JwksVerifier, unverified_claims
from udr.provider import ProviderClient, json_object, unavailable

_REFUSED = (400, 401, 403)  # the provider's ways of saying "not this token"


@dataclass(frozen=True)
class TokenInfo:
    """What the provider vouched for: the claims, and who and what the token is for."""

    claims: Mapping[str, Any]
    subject: str | None
    client_id: str | None
    scopes: frozenset[str]
    expires_at: float | None  # seconds since the epoch, when known


class TokenValidator:
    """Validates bearer tokens with the provider; optionally caches the answers."""

    def __init__(self, settings: Settings, provider: ProviderClient) -> None:
        self.settings = settings
        self.provider = provider
        self.jwks = JwksVerifier(settings, provider)
        self.cache = ValidationCache(settings.cache_seconds, settings.cache_size)

    async def validate(self, token: str, mode: ValidationMode) -> TokenInfo:
        cached = self.cache.get(mode, token)
        if cached is not None:
            return cached
        info = await self._ask(token, mode)
        self.cache.put(mode, token, info)
        return info

    async def _ask(self, token: str, mode: ValidationMode) -> TokenInfo:
        if mode == "userinfo":
            return await self.userinfo(token)
        if mode == "introspection":
            return await self.introspect(token)
        if mode == "tokeninfo":
            return await self.tokeninfo(token)
        return await self.verify_jwt(token)

    async def userinfo(self, token: str) -> TokenInfo:
        """OpenID Connect Core 1.0 section 5.3: the claims bound to the token."""
        url = await self.provider.endpoint("userinfo_endpoint")
        response = await self.provider.request("GET", url, headers=_bearer(token))
        if response.status_code in _REFUSED:
            raise InvalidToken("the provider does not accept the token")
        if response.status_code != 200:
            raise unavailable(f"userinfo answered {response.status_code}")
        claims = json_object(response)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise unavailable("userinfo answered without sub")

        inner = unverified_claims(token) or {}
        _same_subject(inner.get("sub"), subject)
        return TokenInfo(
            claims=claims,
            subject=subject,
            client_id=_str_or_none(inner.get("client_id")),
            scopes=_scopes(inner.get("scope")),
            expires_at=_number_or_none(inner.get("exp")),
        )

    async def introspect(self, token: str) -> TokenInfo:
        """RFC 7662 section 2, authenticated as the UDR's own client."""
        url = await self.provider.endpoint("introspection_endpoint", "introspect")
        response = await self.provider.request(
            "POST",
            url,
            data={"token": token, "token_type_hint": "access_token"},
            headers={"Accept": "application/json"},
            auth=self._client_auth(),
        )
        if response.status_code != 200:
            raise unavailable(f"introspection answered {response.status_code}")
        answer = json_object(response)
        if answer.get("active") is not True:  # section 2.2: only boolean true
            raise InvalidToken("the token is not active")
        self._check_introspected(answer)

        info = TokenInfo(
            claims=answer,
            subject=_str_or_none(answer.get("sub")),
            client_id=_str_or_none(answer.get("client_id")),
            scopes=_scopes(answer.get("scope")),
            expires_at=_number_or_none(answer.get("exp")),
        )
        if self.settings.claim in answer or "openid" not in info.scopes:
            return info
        return await self._with_userinfo_claims(token, info)

    async def _with_userinfo_claims(self, token: str, info: TokenInfo) -> TokenInfo:
        """RFC 7662 defines no profile claims: an answer without the claim is
        completed by userinfo, which must be about the same subject."""
        user = await self.userinfo(token)
        _same_subject(info.subject, user.subject)
        return TokenInfo(
            user.claims, user.subject, info.client_id, info.scopes, info.expires_at
        )

    def _check_introspected(self, answer: dict[str, Any]) -> None:
        issuer = answer.get("iss")
        if issuer is not None and issuer != self.settings.issuer:
            raise InvalidToken("the token was issued by another provider")
        exp = _number_or_none(answer.get("exp"))
        if exp is not None and exp + self.settings.jwt_leeway <= time.time():
            raise InvalidToken("the token has expired")
        if str(answer.get("token_type", "")).lower() in ("refresh_token", "id_token"):
            raise InvalidToken("the token is not an access token")

    def _client_auth(self) -> tuple[str, str]:
        """RFC 6749 section 2.3.1: form-encode id and secret before Basic."""
        secret = self.settings.client_secret.get_secret_value()
        return quote(self.settings.client_id, safe=""), quote(secret, safe="")

    async def tokeninfo(self, token: str) -> TokenInfo:
        """OpenAM's `/oauth2/tokeninfo`: scopes as a list, each scope's value a key."""
        response = await self.provider.request(
            "GET", self.settings.resolved_tokeninfo_url, headers=_bearer(token)
        )
        if response.status_code in _REFUSED:
            raise InvalidToken("the provider does not accept the token")
        if response.status_code != 200:
            raise unavailable(f"tokeninfo answered {response.status_code}")
        answer = json_object(response)
        expires_in = _number_or_none(answer.get("expires_in"))
        if expires_in is not None and expires_in <= 0:
            raise InvalidToken("the token has expired")

        inner = unverified_claims(token) or {}
        _same_subject(inner.get("sub"), _str_or_none(answer.get("sub")))
        return TokenInfo(
            claims=answer,
            subject=_str_or_none(answer.get("sub")) or _str_or_none(inner.get("sub")),
            client_id=_str_or_none(answer.get("client_id"))
            or _str_or_none(inner.get("client_id")),
            scopes=_scopes(answer.get("scope")),
            expires_at=time.time() + expires_in if expires_in is not None else None,
        )

    async def verify_jwt(self, token: str) -> TokenInfo:
        """Local verification against the JWKS (RFC 7515, RFC 7519, RFC 9068)."""
        claims = await self.jwks.verify(token)
        return TokenInfo(
            claims=claims,
            subject=_str_or_none(claims.get("sub")),
            client_id=_str_or_none(claims.get("client_id"))
            or _str_or_none(claims.get("azp")),
            scopes=_scopes(claims.get("scope")),
            expires_at=_number_or_none(claims.get("exp")),
        )


class ValidationCache:
    """Positive validation answers, keyed by the token's SHA-256, for at most
    `seconds` and never past the token's expiry; least recently used goes first.

    A token revoked at the provider stays accepted here until its entry ends.
    """

    def __init__(self, seconds: int, size: int) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[str, tuple[float, TokenInfo]] = OrderedDict()

    def get(self, mode: str, token: str) -> TokenInfo | None:
        if self.seconds <= 0:
            return None
        key = _cache_key(mode, token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        deadline, info = entry
        if time.time() >= deadline:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return info

    def put(self, mode: str, token: str, info: TokenInfo) -> None:
        if self.seconds <= 0:
            return
        deadline = time.time() + self.seconds
        if info.expires_at is not None:
            deadline = min(deadline, info.expires_at)
        key = _cache_key(mode, token)
        self._entries[key] = (deadline, info)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _cache_key(mode: str, token: str) -> str:
    return hashlib.sha256(f"{mode}\0{token}".encode()).hexdigest()


def _same_subject(token_subject: Any, provider_subject: str | None) -> None:
    """Where the token's own `sub` and the provider's are both known, they must agree
    (OpenID Connect Core 1.0 section 5.3.2)."""
    known = isinstance(token_subject, str) and provider_subject is not None
    if known and token_subject != provider_subject:
        raise InvalidToken("the token's subject is not the provider's")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _scopes(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(s for s in value if isinstance(s, str))
    return frozenset()


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    return None
