"""The dashboard as an OpenID Connect client of the provider (steps 2 and 3).

Endpoints come from discovery (OpenID Connect Discovery 1.0); the token requests are
RFC 6749 section 4.3 (password), 4.1.3 (code, with RFC 7636 PKCE) and 6 (refresh);
logout uses RFC 7009 revocation and OpenAM's endSession.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from dashboard import jose_verify
from dashboard.sessions import Clock, Tokens
from dashboard.settings import DashboardSettings

log = logging.getLogger("dashboard.provider")


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered something that is not its protocol."""


class InvalidGrant(Exception):
    """The provider refused the token request with an RFC 6749 section 5.2 error:
    wrong credentials, a dead refresh token, a malformed field, or the dashboard's
    own client refused (`invalid_client`, logged as a configuration problem)."""


@dataclass(frozen=True)
class Identity:
    """Who logged in, as the provider vouches for it."""

    subject: str
    keystoneid: str | None
    display_name: str | None


class ProviderClient:
    """Discovery, token, userinfo, revocation and endSession calls to one provider."""

    def __init__(
        self, settings: DashboardSettings, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once and kept."""
        if self._metadata is None:
            self._metadata = await self._discover()
        return self._metadata

    async def reachable(self) -> bool:
        """Whether the provider answers its discovery document right now: a 200 with
        a JSON object naming the configured issuer, not just any 200."""
        try:
            await self._discover()
        except ProviderUnavailable:
            return False
        return True

    async def _discover(self) -> dict[str, Any]:
        url = f"{self._settings.issuer}/.well-known/openid-configuration"
        document = await self._get_json(url)
        # Discovery section 4.3: the issuer must be exactly the one configured.
        if document.get("issuer") != self._settings.issuer:
            log.warning("discovery issuer %r differs", document.get("issuer"))
            raise ProviderUnavailable("discovery issuer mismatch")
        return document

    async def endpoint(self, name: str) -> str:
        value = (await self.metadata()).get(name)
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise ProviderUnavailable(f"discovery has no usable {name}")
        return value

    async def password_grant(self, username: str, password: str) -> Tokens:
        """RFC 6749 section 4.3: the user's credentials for tokens."""
        form = {
            "grant_type": "password",
            "username": username,
            "password": password,
            "scope": self._settings.scope,
        }
        return await self._token_request(form)

    async def code_grant(self, code: str, code_verifier: str) -> Tokens:
        """RFC 6749 section 4.1.3 with the RFC 7636 code verifier."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._settings.redirect_uri,
            "code_verifier": code_verifier,
        }
        return await self._token_request(form)

    async def refresh(self, tokens: Tokens) -> Tokens:
        """RFC 6749 section 6; keeps the old refresh token unless a new one comes."""
        if not tokens.refresh_token:
            raise InvalidGrant("no refresh token")
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        fresh = await self._token_request(form)
        fresh.refresh_token = fresh.refresh_token or tokens.refresh_token
        fresh.id_token = fresh.id_token or tokens.id_token
        return fresh

    async def identity(self, tokens: Tokens, nonce: str | None = None) -> Identity:
        """The user's identity from the verified id token, completed by userinfo."""
        claims: dict[str, Any] = {}
        if tokens.id_token:
            claims = await self.verify_id_token(tokens, nonce)
        elif nonce is not None:
            raise ProviderUnavailable("no id token in answer to an OpenID request")

        if not isinstance(claims.get("keystoneid"), str):
            userinfo = await self.userinfo(tokens.access_token)
            if claims and userinfo.get("sub") != claims.get("sub"):
                # OpenID Connect Core section 5.3.2: the subjects must match.
                raise ProviderUnavailable("userinfo sub differs from the id token's")
            claims = {**userinfo, **claims, "keystoneid": userinfo.get("keystoneid")}
        return _identity_from(claims)

    async def verify_id_token(
        self, tokens: Tokens, nonce: str | None
    ) -> dict[str, Any]:
        assert tokens.id_token is not None
        try:
            jwks = await self._keys(jose_verify.key_id(tokens.id_token))
            return jose_verify.verify_id_token(
                tokens.id_token,
                jwks,
                issuer=self._settings.issuer,
                audience=self._settings.client_id,
                access_token=tokens.access_token,
                nonce=nonce,
            )
        except jose_verify.IdTokenInvalid as exc:
            log.warning("id token refused: %s", exc)
            raise ProviderUnavailable("id token refused") from exc

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        url = await self.endpoint("userinfo_endpoint")
        headers = {"Authorization": f"Bearer {access_token}"}
        return await self._get_json(url, headers=headers)

    async def revoke(self, token: str, hint: str) -> None:
        """RFC 7009; best effort: a failure is logged, never raised."""
        try:
            url = await self.endpoint("revocation_endpoint")
            data, auth = self._client_auth({"token": token, "token_type_hint": hint})
            response = await self._http.post(url, data=data, auth=auth)
            if response.status_code != 200:
                status = response.status_code
                log.warning("revocation of a %s answered %d", hint, status)
        except (httpx.HTTPError, ProviderUnavailable) as exc:
            log.warning("revocation of a %s failed: %s", hint, type(exc).__name__)

    async def end_session(self, id_token: str) -> None:
        """OpenAM's endSession with the id token as hint; best effort."""
        try:
            url = await self.endpoint("end_session_endpoint")
            response = await self._http.get(url, params={"id_token_hint": id_token})
            if response.status_code >= 400:
                log.warning("endSession answered %d", response.status_code)
        except (httpx.HTTPError, ProviderUnavailable) as exc:
            log.warning("endSession failed: %s", type(exc).__name__)

    async def _token_request(self, form: dict[str, str]) -> Tokens:
        url = await self.endpoint("token_endpoint")
        data, auth = self._client_auth(form)
        try:
            response = await self._http.post(url, data=data, auth=auth)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from exc

        status = response.status_code
        body = _json_object(response)
        error = body.get("error")
        if status in (400, 401) and isinstance(error, str) and error:
            # RFC 6749 section 5.2: the provider is up and refused this request.
            if error == "invalid_client":
                log.warning("token endpoint refused the dashboard's client: %d", status)
            else:
                log.info("token endpoint refused a %s grant", form["grant_type"])
            raise InvalidGrant(form["grant_type"])
        if status != 200:
            log.warning("token endpoint answered %d", status)
            raise ProviderUnavailable(f"token endpoint answered {status}")
        return self._tokens_from(body)

    def _tokens_from(self, body: dict[str, Any]) -> Tokens:
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProviderUnavailable("token answer without access_token")
        expires_in = body.get("expires_in")
        expires_at = None
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            expires_at = self._clock() + float(expires_in)
        return Tokens(
            access_token=access_token,
            expires_at=expires_at,
            refresh_token=_str_or_none(body.get("refresh_token")),
            id_token=_str_or_none(body.get("id_token")),
        )

    def _client_auth(self, form: dict[str, str]) -> tuple[dict[str, str], httpx.Auth]:
        """Client authentication (RFC 6749 section 2.3.1): HTTP Basic unless the
        provider advertises only client_secret_post."""
        settings = self._settings
        methods = (self._metadata or {}).get("token_endpoint_auth_methods_supported")
        if (
            isinstance(methods, list)
            and "client_secret_basic" not in methods
            and "client_secret_post" in methods
        ):
            secret = {"client_id": settings.client_id}
            secret["client_secret"] = settings.client_secret
            return {**form, **secret}, httpx.Auth()  # the base Auth adds nothing
        return form, httpx.BasicAuth(settings.client_id, settings.client_secret)

    async def _keys(self, kid: str | None) -> dict[str, Any]:
        """The JWKS, fetched again once when it lacks the token's `kid` (rotation)."""
        keys = (self._jwks or {}).get("keys", [])
        known = any(isinstance(k, dict) and k.get("kid") == kid for k in keys)
        if self._jwks is None or (kid is not None and not known):
            self._jwks = await self._get_json(await self.endpoint("jwks_uri"))
        return self._jwks

    async def _get_json(
        self, url: str, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ProviderUnavailable(f"answered {response.status_code}")
        return _json_object(response)


def _identity_from(claims: dict[str, Any]) -> Identity:
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise ProviderUnavailable("no subject in the provider's answer")
    name = claims.get("name") or claims.get("preferred_username")
    return Identity(
        subject=subject,
        keystoneid=_str_or_none(claims.get("keystoneid")),
        display_name=name if isinstance(name, str) else None,
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.status_code == 200:
            raise ProviderUnavailable("answer is not a JSON object")
        return {}
    return body


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
