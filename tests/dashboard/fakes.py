"""Small stand-ins for the provider and the UDR, served in-process to the dashboard.

They speak just enough of docs/design.md for the dashboard's own tests, record what
they received, and can be told to misbehave. The real services are exercised by
test_processes.py.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jose import jwk, jwt

PROVIDER_HOST = "openam.test"
UDR_HOST = "udr.test"
ISSUER = f"http://{PROVIDER_HOST}/openam/oauth2"
UDR_URL = f"http://{UDR_HOST}"
CLIENT_ID = "dashboard"
CLIENT_SECRET = "test-dashboard-secret"
PUBLIC_URL = "http://127.0.0.1:8000"

USERS = {
    "alice": ("alice-password", "ks-alice"),
    "bob": ("bob-password", "ks-bob"),
}

USAGE = {
    "ks-alice": [
        {
            "name": "cpu_util",
            "type": "gauge",
            "unit": "%",
            "aggregate": "average",
            "total": 12.5,
            "series": [
                {"start": "2026-11-01T00:00:00Z", "value": 11.0},
                {"start": "2026-11-02T00:00:00Z", "value": 14.0},
            ],
        },
        {
            "name": "network.incoming.bytes",
            "type": "cumulative",
            "unit": "B",
            "aggregate": "sum",
            "total": 123456789,
            "series": [{"start": "2026-11-01T00:00:00Z", "value": 123456789}],
        },
    ],
    "ks-bob": [
        {
            "name": "bob.secret.meter",
            "type": "delta",
            "unit": "B",
            "aggregate": "sum",
            "total": 4242,
            "series": [],
        }
    ],
}


@functools.cache
def signing_key(name: str = "provider") -> rsa.RSAPrivateKey:
    """One RSA key per name for the whole run: generating one takes a while."""
    return rsa.generate_private_key(65537, 2048)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Grant:
    username: str
    access_token: str
    refresh_token: str
    revoked: bool = False


@dataclass
class FakeProvider:
    """An OpenID provider on OpenAM's paths, with the state a test inspects."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: signing_key())
    kid: str = "test-key-1"
    requests: list[dict[str, Any]] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    failing: bool = False
    id_token_keystoneid: bool = True
    userinfo_keystoneid: bool = True
    expires_in: int = 3600
    issuer_in_tokens: str = ISSUER
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # merged last
    id_token_raw: str | None = None  # sent instead of a signed id token
    # (status, body) the token endpoint answers instead of deciding; a str body is
    # sent as it is, anything else as JSON.
    token_answer: tuple[int, Any] | None = None
    discovery_raw: str | None = None  # sent instead of the discovery document

    def grant_for(self, access_token: str) -> Grant | None:
        for grant in self.grants:
            if grant.access_token == access_token and not grant.revoked:
                return grant
        return None

    def expire_access_tokens(self) -> None:
        """Every access token stops working; refresh tokens still do."""
        for grant in self.grants:
            grant.access_token = f"dead-{secrets.token_hex(8)}"

    def calls(self, path_end: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith(path_end)]

    def id_token(self, username: str, nonce: str | None) -> str:
        claims: dict[str, Any] = {
            "iss": self.issuer_in_tokens,
            "sub": username,
            "aud": CLIENT_ID,
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
            "name": username.title(),
        }
        if self.id_token_keystoneid:
            claims["keystoneid"] = USERS[username][1]
        if nonce:
            claims["nonce"] = nonce
        claims.update(self.id_token_claims)
        if self.id_token_raw is not None:
            return self.id_token_raw
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        public = jwk.construct(pem, "RS256").to_dict()
        return {"keys": [{**public, "kid": self.kid, "use": "sig"}]}

    def issue(self, username: str, nonce: str | None = None) -> dict[str, Any]:
        grant = Grant(username, secrets.token_urlsafe(16), secrets.token_urlsafe(16))
        self.grants.append(grant)
        return {
            "access_token": grant.access_token,
            "refresh_token": grant.refresh_token,
            "id_token": self.id_token(username, nonce),
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


def _client_ok(authorization: str | None) -> bool:
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    return authorization == f"Basic {expected}"


def provider_app(provider: FakeProvider) -> FastAPI:
    app = FastAPI()
    base = "/openam/oauth2"

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        form = dict(parse_qsl((await request.body()).decode()))
        provider.requests.append(
            {
                "path": request.url.path,
                "grant_type": form.get("grant_type"),
                "form": form,
                "query": dict(request.query_params),
                "authorization": request.headers.get("authorization"),
            }
        )
        if provider.failing:
            return JSONResponse({"error": "server_error"}, status_code=500)
        return await call_next(request)

    @app.get(f"{base}/.well-known/openid-configuration")
    async def discovery() -> Any:
        if provider.discovery_raw is not None:
            return Response(provider.discovery_raw, media_type="application/json")
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/access_token",
            "userinfo_endpoint": f"{ISSUER}/userinfo",
            "revocation_endpoint": f"{ISSUER}/token/revoke",
            "end_session_endpoint": f"{ISSUER}/connect/endSession",
            "jwks_uri": f"{ISSUER}/connect/jwk_uri",
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    @app.get(f"{base}/connect/jwk_uri")
    async def jwks() -> dict[str, Any]:
        return provider.jwks()

    @app.post(f"{base}/access_token")
    async def token(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        form = dict(await request.form())
        if provider.token_answer is not None:
            return _answer(*provider.token_answer)
        if not _client_ok(authorization):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant_type = form.get("grant_type")
        if grant_type == "password":
            if "\x00" in str(form.get("username")):  # as OpenAM's form check does
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            user = USERS.get(str(form.get("username")))
            if user is None or user[0] != form.get("password"):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse(provider.issue(str(form["username"])))
        if grant_type == "refresh_token":
            for grant in provider.grants:
                live = not grant.revoked
                if live and grant.refresh_token == form.get("refresh_token"):
                    grant.access_token = secrets.token_urlsafe(16)
                    return JSONResponse(
                        {"access_token": grant.access_token, "expires_in": 3600}
                    )
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if grant_type == "authorization_code":
            pending = provider.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()
            ).rstrip(b"=")
            if pending is None or pending["challenge"] != challenge.decode():
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse(provider.issue(pending["username"], pending["nonce"]))
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    @app.get(f"{base}/authorize")
    async def authorize(request: Request) -> RedirectResponse:
        """Logs alice in at once; the test checks what the dashboard asked for."""
        q = request.query_params
        code = secrets.token_urlsafe(8)
        provider.codes[code] = {
            "username": "alice",
            "nonce": q.get("nonce", ""),
            "challenge": q.get("code_challenge", ""),
        }
        query = urlencode({"code": code, "state": q.get("state", "")})
        return RedirectResponse(f"{q.get('redirect_uri')}?{query}", status_code=302)

    @app.get(f"{base}/userinfo")
    async def userinfo(
        authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        grant = provider.grant_for((authorization or "").removeprefix("Bearer "))
        if grant is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims = {"sub": grant.username, "keystoneid": USERS[grant.username][1]}
        if not provider.userinfo_keystoneid:
            del claims["keystoneid"]
        return JSONResponse(claims)

    @app.post(f"{base}/token/revoke")
    async def revoke(
        token: Annotated[str, Form()],
        authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        if not _client_ok(authorization):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        for grant in provider.grants:
            if token in (grant.access_token, grant.refresh_token):
                grant.revoked = True
        return JSONResponse({})

    @app.get(f"{base}/connect/endSession")
    async def end_session() -> JSONResponse:
        return JSONResponse({})

    return app


@dataclass
class FakeUdr:
    """The UDR's query endpoint, deciding with the fake provider's token table."""

    provider: FakeProvider
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None  # answer this status to every query when set
    body: Any = field(default_factory=lambda: {"error": "temporarily_unavailable"})
    headers: dict[str, str] = field(default_factory=dict)  # with `status`
    empty: bool = False


def udr_app(udr: FakeUdr) -> FastAPI:
    app = FastAPI()

    @app.get("/usage/users/{keystoneid}")
    async def usage(
        keystoneid: str,
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        udr.requests.append(
            {
                "keystoneid": keystoneid,
                "authorization": authorization,
                "query": dict(request.query_params),
            }
        )
        if udr.status is not None:
            return _answer(udr.status, udr.body, udr.headers)
        token = (authorization or "").removeprefix("Bearer ")
        grant = udr.provider.grant_for(token)
        if grant is None:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return JSONResponse({"error": "invalid_token"}, 401, headers=headers)
        if USERS[grant.username][1] != keystoneid:
            return JSONResponse({"error": "access_denied"}, 403)
        q = request.query_params
        return JSONResponse(
            {
                "keystoneid": keystoneid,
                "period": {"from": q.get("from"), "to": q.get("to")},
                "bucket": q.get("bucket"),
                "meters": [] if udr.empty else USAGE[keystoneid],
            }
        )

    return app


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, str):
        return Response(body, status, headers, media_type="text/html")
    return JSONResponse(body, status, headers)


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app for its host; a host in `down`
    refuses the connection, as a stopped service would."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.apps = apps
        self._transports = {
            host: httpx.ASGITransport(app=app) for host, app in apps.items()
        }
        self.down: set[str] = set()
        self.slow: set[str] = set()  # answers later than any timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = urlsplit(str(request.url)).hostname or ""
        if host in self.down or host not in self._transports:
            raise httpx.ConnectError(f"connection refused by {host}", request=request)
        if host in self.slow:
            raise httpx.ReadTimeout(f"{host} did not answer in time", request=request)
        return await self._transports[host].handle_async_request(request)
