"""A small OpenID provider for the UDR's tests, served by uvicorn in a thread.

It speaks just enough of OpenAM's part for the four validation modes (discovery,
userinfo, introspection, tokeninfo, JWKS) and can be told to misbehave: fail, answer
garbage, hang, or answer something chosen by the test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from e2e.processes import LOOPBACK, free_port

PREFIX = "/openam/oauth2"
UDR_CLIENT = ("udr", "udr-test-secret")


@dataclass
class Grant:
    """What the provider knows about one access token it issued."""

    sub: str
    claims: dict[str, Any]
    scope: str
    client_id: str
    exp: float
    active: bool = True


@dataclass
class Key:
    kid: str
    alg: str
    private_pem: bytes
    public_jwk: dict[str, Any]


def rsa_key(kid: str) -> Key:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _key(kid, "RS256", private)


def ec_key(kid: str) -> Key:
    return _key(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def _key(kid: str, alg: str, private: Any) -> Key:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public = jwk.construct(public_pem, alg).to_dict()
    public.update(kid=kid, use="sig", alg=alg)
    return Key(kid=kid, alg=alg, private_pem=pem, public_jwk=public)


@dataclass
class Behaviour:
    """How the provider answers; tests change it, `reset` restores it."""

    fault: str | None = None  # error, garbage, non-object, slow, not-found
    fault_paths: tuple[str, ...] = ()  # empty: every path
    slow_seconds: float = 3.0
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    introspection_claims: bool = True
    extra_jwks: list[dict[str, Any]] = field(default_factory=list)
    issuer_override: str | None = None


class FakeProvider:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: certificate chain and key files; the provider then speaks HTTPS."""
        self.port = free_port()
        self.tls = tls
        self.base = f"{'https' if tls else 'http'}://{LOOPBACK}:{self.port}"
        self.issuer = f"{self.base}{PREFIX}"
        self.keys = [rsa_key("rsa-1"), ec_key("ec-1")]
        self.grants: dict[str, Grant] = {}
        self.behaviour = Behaviour()
        self.calls: list[str] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- tokens --------------------------------------------------------------

    def mint(
        self,
        sub: str = "alice",
        claims: dict[str, Any] | None = None,
        scope: str = "openid keystoneid",
        client_id: str = "dashboard",
        lifetime: float = 300,
        kid: str = "rsa-1",
        payload: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        """A JWT access token signed with key `kid`, known to every endpoint.

        `payload` overrides or adds claims of the JWT itself (None values remove one).
        """
        claims = {"keystoneid": "k-alice"} if claims is None else claims
        now = time.time()
        body: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": client_id,
            "exp": int(now + lifetime),
            "iat": int(now),
            "jti": uuid.uuid4().hex,
            "scope": scope,
            "client_id": client_id,
            **claims,
        }
        for name, value in (payload or {}).items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        key = self.key(kid)
        token = jwt.encode(
            body,
            key.private_pem.decode(),
            key.alg,
            headers={"kid": kid, **(headers or {})},
        )
        self.grants[token] = Grant(sub, claims, scope, client_id, now + lifetime)
        return token

    def key(self, kid: str) -> Key:
        return next(k for k in self.keys if k.kid == kid)

    def revoke(self, token: str) -> None:
        self.grants[token].active = False

    def rotate(self) -> str:
        kid = f"rsa-{len(self.keys) + 1}"
        self.keys.append(rsa_key(kid))
        return kid

    def reset(self) -> None:
        self.behaviour = Behaviour()
        self.grants.clear()
        self.calls.clear()
        self.keys = self.keys[:2]

    def count(self, endpoint: str) -> int:
        return sum(1 for c in self.calls if c == endpoint)

    # -- serving -------------------------------------------------------------

    def start(self) -> None:
        config = uvicorn.Config(
            self.app(),
            host=LOOPBACK,
            port=self.port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(self.tls[0]) if self.tls else None,
            ssl_keyfile=str(self.tls[1]) if self.tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake provider did not start")
            time.sleep(0.01)  # polling interval of a readiness check

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)

    def app(self) -> Starlette:
        routes = [
            Route(f"{PREFIX}/.well-known/openid-configuration", self._discovery),
            Route(f"{PREFIX}/userinfo", self._userinfo),
            Route(f"{PREFIX}/introspect", self._introspect, methods=["POST"]),
            Route(f"{PREFIX}/tokeninfo", self._tokeninfo),
            Route(f"{PREFIX}/connect/jwk_uri", self._jwks),
        ]
        return Starlette(routes=routes)

    async def _misbehave(self, endpoint: str) -> Response | None:
        self.calls.append(endpoint)
        b = self.behaviour
        if endpoint in b.answers:
            status, body = b.answers[endpoint]
            if isinstance(body, str):
                return PlainTextResponse(body, status)
            return JSONResponse(body, status)
        if b.fault is None or (b.fault_paths and endpoint not in b.fault_paths):
            return None
        if b.fault == "slow":
            await asyncio.sleep(b.slow_seconds)
            return None
        if b.fault == "error":
            return JSONResponse({"error": "server_error"}, 500)
        if b.fault == "garbage":
            return Response(
                b"<html>Service Unavailable</html>", 200, media_type="text/html"
            )
        if b.fault == "non-object":
            return JSONResponse(["not", "an", "object"])
        if b.fault == "drip":  # every byte in time, the whole answer far too late
            return StreamingResponse(_drip(), media_type="application/json")
        if b.fault == "huge":
            return Response(
                b'{"pad": "' + b"x" * 2_000_000 + b'"}',
                200,
                media_type="application/json",
            )
        return PlainTextResponse("not found", 404)

    async def _discovery(self, _request: Request) -> Response:
        if (bad := await self._misbehave("discovery")) is not None:
            return bad
        base = self.issuer
        return JSONResponse(
            {
                "issuer": self.behaviour.issuer_override or self.issuer,
                "userinfo_endpoint": f"{base}/userinfo",
                "introspection_endpoint": f"{base}/introspect",
                "jwks_uri": f"{base}/connect/jwk_uri",
                "token_endpoint": f"{base}/access_token",
            }
        )

    def _grant(self, request: Request) -> tuple[str, Grant] | None:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        grant = self.grants.get(token)
        if grant is None or not grant.active or grant.exp <= time.time():
            return None
        return token, grant

    async def _userinfo(self, request: Request) -> Response:
        if (bad := await self._misbehave("userinfo")) is not None:
            return bad
        found = self._grant(request)
        if found is None:
            return JSONResponse(
                {"error": "invalid_token"},
                401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        grant = found[1]
        return JSONResponse({"sub": grant.sub, **grant.claims})

    async def _introspect(self, request: Request) -> Response:
        if (bad := await self._misbehave("introspect")) is not None:
            return bad
        expected = base64.b64encode(":".join(UDR_CLIENT).encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401)
        form = await request.form()
        grant = self.grants.get(str(form.get("token")))
        if grant is None or not grant.active or grant.exp <= time.time():
            return JSONResponse({"active": False})
        answer: dict[str, Any] = {
            "active": True,
            "scope": grant.scope,
            "client_id": grant.client_id,
            "sub": grant.sub,
            "exp": int(grant.exp),
            "iss": self.issuer,
            "token_type": "Bearer",
        }
        if self.behaviour.introspection_claims:
            answer.update(grant.claims)
        return JSONResponse(answer)

    async def _tokeninfo(self, request: Request) -> Response:
        if (bad := await self._misbehave("tokeninfo")) is not None:
            return bad
        found = self._grant(request)
        if found is None:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "Not found"}, 401
            )
        token, grant = found
        scopes = grant.scope.split()
        answer: dict[str, Any] = {
            "access_token": token,
            "scope": scopes,
            "grant_type": "password",
            "realm": "/",
            "token_type": "Bearer",
            "expires_in": int(grant.exp - time.time()),
        }
        answer.update({s: grant.claims[s] for s in scopes if s in grant.claims})
        return JSONResponse(answer)

    async def _jwks(self, _request: Request) -> Response:
        if (bad := await self._misbehave("jwks")) is not None:
            return bad
        keys = [k.public_jwk for k in self.keys] + self.behaviour.extra_jwks
        return JSONResponse({"keys": keys})


async def _drip() -> AsyncIterator[bytes]:
    for _ in range(50):
        yield b" "
        await asyncio.sleep(0.1)
    yield b"{}"


def unsigned(payload: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWS with whatever header and no signature: for `alg: none` attacks."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."
