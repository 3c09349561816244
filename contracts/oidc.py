"""A small OpenID client for the suites: discovery, grants, the provider's endpoints.

It speaks only HTTP and the standards (RFC 6749, 7009, 7636, 7662, OpenID Connect Core
and Discovery), so it works with OpenAM, our `mock_openam` or any other provider. User
tokens come from the password grant where the provider offers it (OpenAM's step 2),
otherwise from the authorization-code flow with PKCE, driven through the provider's
login form the way a browser would: follow redirects, fill the form that has a
password field, submit.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from contracts.target import Client, User

TIMEOUT = httpx.Timeout(10.0)
USER_SCOPE = "openid profile keystoneid"


class FlowError(RuntimeError):
    """A login flow could not be completed; the message says at which step."""


@dataclass
class TokenSet:
    access_token: str
    id_token: str | None = None
    refresh_token: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuthorizationResponse:
    """Where the provider finally sent the browser: the redirect URI, code or error."""

    location: str
    params: dict[str, str]
    code_verifier: str


def pkce_pair() -> tuple[str, str]:
    """RFC 7636 section 4.1-4.2: a verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class ProviderClient:
    """The provider as seen from outside, found by discovery from its issuer."""

    def __init__(self, issuer: str, *, verify: bool | str = True) -> None:
        self.issuer = issuer.rstrip("/")
        self.verify = verify
        self.http = httpx.Client(timeout=TIMEOUT, verify=verify)

    def close(self) -> None:
        self.http.close()

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @cached_property
    def metadata(self) -> dict[str, Any]:
        response = self.http.get(self.discovery_url)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise FlowError("the discovery document is not a JSON object")
        return data

    def endpoint(self, name: str) -> str | None:
        value = self.metadata.get(name)
        return str(value) if value else None

    def jwks(self) -> dict[str, Any]:
        jwks_uri = self.endpoint("jwks_uri")
        if jwks_uri is None:
            raise FlowError("the discovery document names no jwks_uri")
        response = self.http.get(jwks_uri)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    @property
    def offers_password_grant(self) -> bool:
        """OpenAM 12 lists no grant types; absence means "maybe", so try it."""
        grants = self.metadata.get("grant_types_supported")
        return grants is None or "password" in grants

    # Token endpoint (RFC 6749 section 3.2)

    def token_request(
        self,
        form: dict[str, str],
        client: Client | None,
        *,
        basic: bool = True,
    ) -> httpx.Response:
        token_endpoint = self.endpoint("token_endpoint")
        if token_endpoint is None:
            raise FlowError("the discovery document names no token_endpoint")
        body = dict(form)
        if client is not None and basic:
            auth = httpx.BasicAuth(client.client_id, client.client_secret)
            return self.http.post(token_endpoint, data=body, auth=auth)
        if client is not None:
            body |= {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
            }
        return self.http.post(token_endpoint, data=body)

    def password_grant(
        self, client: Client, user: User, scope: str = USER_SCOPE
    ) -> httpx.Response:
        form = {
            "grant_type": "password",
            "username": user.username,
            "password": user.password,
            "scope": scope,
        }
        return self.token_request(form, client)

    def user_tokens(
        self,
        client: Client,
        user: User,
        *,
        redirect_uri: str | None,
        scope: str = USER_SCOPE,
    ) -> TokenSet:
        """Tokens for a user: the password grant if offered, else code + PKCE."""
        if self.offers_password_grant:
            response = self.password_grant(client, user, scope)
            if response.status_code == 200:
                return _token_set(response)
            error = _error_code(response)
            if error not in {"unsupported_grant_type", "unauthorized_client"}:
                raise FlowError(
                    f"password grant for {user.username} failed: "
                    f"{response.status_code} {error}"
                )
        if redirect_uri is None:
            raise FlowError("no password grant and no redirect URI for the code flow")
        return self.code_flow_tokens(
            client, user, redirect_uri=redirect_uri, scope=scope
        )

    def code_flow_tokens(
        self, client: Client, user: User, *, redirect_uri: str, scope: str = USER_SCOPE
    ) -> TokenSet:
        answer = self.authorize(client, user, redirect_uri=redirect_uri, scope=scope)
        code = answer.params.get("code")
        if code is None:
            raise FlowError(f"authorization answered without a code: {answer.params}")
        response = self.exchange_code(client, code, redirect_uri, answer.code_verifier)
        if response.status_code != 200:
            raise FlowError(
                f"code exchange failed: {response.status_code} {response.text}"
            )
        return _token_set(response)

    def exchange_code(
        self, client: Client, code: str, redirect_uri: str, code_verifier: str | None
    ) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        return self.token_request(form, client)

    # Authorization endpoint, driven like a browser (RFC 6749 section 4.1)

    def authorization_url(
        self,
        client: Client,
        *,
        redirect_uri: str,
        scope: str,
        challenge: str,
        state: str,
    ) -> str:
        endpoint = self.endpoint("authorization_endpoint")
        if endpoint is None:
            raise FlowError("the discovery document names no authorization_endpoint")
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    def authorize(
        self,
        client: Client,
        user: User,
        *,
        redirect_uri: str,
        scope: str = USER_SCOPE,
        expect_redirect_to: str | None = None,
    ) -> AuthorizationResponse:
        """Log in through the provider's pages until it redirects to the client."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        url = self.authorization_url(
            client,
            redirect_uri=redirect_uri,
            scope=scope,
            challenge=challenge,
            state=state,
        )
        with httpx.Client(timeout=TIMEOUT, verify=self.verify) as browser:
            location = drive_login(
                browser, url, user, expect_redirect_to or redirect_uri
            )
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if params.get("state", state) != state:
            raise FlowError("the provider returned another state than the one sent")
        return AuthorizationResponse(location, params, verifier)

    # Resource and management endpoints

    def userinfo(self, token: str | None) -> httpx.Response:
        endpoint = self.endpoint("userinfo_endpoint")
        if endpoint is None:
            raise FlowError("the discovery document names no userinfo_endpoint")
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.http.get(endpoint, headers=headers)

    def introspect(self, token: str, client: Client | None) -> httpx.Response:
        endpoint = self.endpoint("introspection_endpoint")
        if endpoint is None:
            raise FlowError("the discovery document names no introspection_endpoint")
        if client is None:
            return self.http.post(endpoint, data={"token": token})
        auth = httpx.BasicAuth(client.client_id, client.client_secret)
        return self.http.post(endpoint, data={"token": token}, auth=auth)

    def revoke(
        self, token: str, client: Client, hint: str | None = None
    ) -> httpx.Response:
        endpoint = self.endpoint("revocation_endpoint")
        if endpoint is None:
            raise FlowError("the discovery document names no revocation_endpoint")
        form = {"token": token} | ({"token_type_hint": hint} if hint else {})
        auth = httpx.BasicAuth(client.client_id, client.client_secret)
        return self.http.post(endpoint, data=form, auth=auth)


def _token_set(response: httpx.Response) -> TokenSet:
    data = response.json()
    if not isinstance(data, dict) or "access_token" not in data:
        raise FlowError("the token response holds no access_token")
    return TokenSet(
        access_token=str(data["access_token"]),
        id_token=data.get("id_token"),
        refresh_token=data.get("refresh_token"),
        raw=data,
    )


def _error_code(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("error") if isinstance(data, dict) else None


# The browser part: a few redirects and a login form.


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]]  # (name, type, value)

    @property
    def has_password(self) -> bool:
        return any(kind == "password" for _, kind, _ in self.fields)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(
                attributes.get("action", ""),
                attributes.get("method", "get").lower(),
                [],
            )
            self.forms.append(self._current)
        elif tag in {"input", "button"} and self._current is not None:
            kind = attributes.get(
                "type", "text" if tag == "input" else "submit"
            ).lower()
            name = attributes.get("name", "")
            if name:
                self._current.fields.append((name, kind, attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def find_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def fill_form(form: Form, user: User) -> dict[str, str]:
    """Hidden fields as given; the password field and the text field before it."""
    values: dict[str, str] = {}
    username_filled = False
    submit_seen = False
    for name, kind, value in form.fields:
        if kind == "password":
            values[name] = user.password
        elif kind in {"text", "email"} and not username_filled:
            values[name] = user.username
            username_filled = True
        elif kind == "submit":
            if not submit_seen and value:
                values[name] = value
            submit_seen = True
        elif kind not in {"checkbox", "radio", "reset", "button"}:
            values[name] = value
    return values


def _same_endpoint(url: str, target: str) -> bool:
    a, b = urlsplit(url), urlsplit(target)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def drive_login(
    browser: httpx.Client,
    url: str,
    user: User,
    redirect_uri: str,
    also_follow: tuple[str, ...] = (),
) -> str:
    """Follow the provider's pages until a redirect to `redirect_uri`; return it.

    Redirects are followed within the start URL's origin and `also_follow` (origins,
    `scheme://host:port`) only; anywhere else is a `FlowError`.
    """
    allowed = {urlsplit(url)[:2], *(urlsplit(origin)[:2] for origin in also_follow)}
    response = browser.get(url)
    for _ in range(12):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if _same_endpoint(location, redirect_uri):
                return location
            if urlsplit(location)[:2] not in allowed:
                raise FlowError(f"the provider redirected elsewhere: {location}")
            response = browser.get(location)
            continue
        forms = find_forms(response.text) if response.status_code == 200 else []
        if not forms:
            raise FlowError(
                f"login stopped at {response.request.url.copy_with(query=None)}: "
                f"{response.status_code}, no redirect and no form"
            )
        form = next((f for f in forms if f.has_password), forms[0])
        action = urljoin(str(response.url), form.action or str(response.url))
        values = fill_form(form, user)
        if form.method == "post":
            response = browser.post(action, data=values)
        else:
            response = browser.get(action, params=values)
    raise FlowError("login did not reach the redirect URI within 12 pages")
