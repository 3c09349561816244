"""Fixtures: a provider app on demo users, a controllable clock, token helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from mock_openam import Settings, create_app

BASE = "/openam/oauth2"
ISSUER = "http://127.0.0.1:8080/openam/oauth2"
DASHBOARD = ("dashboard", "dashboard-demo-secret")
COLLECTOR = ("collector", "collector-demo-secret")
UDR = ("udr", "udr-demo-secret")
PASSWORDS = {
    "alice": "alice-demo-password",
    "bob": "bob-demo-password",
    "carol": "carol-demo-password",
    "dave": "dave-demo-password",
}
KEYSTONEIDS = {
    "alice": "5e0c1b6f2a8d4f7e9c3b1a0d6e4f2a17",
    "bob": "9b2d7e41c6a54f0b8e3d2c1a7f6b5e90",
    "carol": "c3a81f0e5d6b4c2a9e7f1b0d8c6a4e23",
    "dave": "c3a81f0e5d6b4c2a9e7f1b0d8c6a4e23",
}


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture(scope="session")
def rsa_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RSA key for the whole session: generating one per test is slow."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "rsa.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture
def settings(rsa_key_file: Path) -> Settings:
    return Settings(test_control=True, key_file=rsa_key_file)


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


def password_grant(
    client: TestClient,
    username: str = "alice",
    *,
    scope: str = "openid profile email keystoneid",
    prefix: str = BASE,
) -> dict[str, Any]:
    """Tokens for a demo user through the dashboard client; asserts success."""
    response = client.post(
        f"{prefix}/access_token",
        data={
            "grant_type": "password",
            "username": username,
            "password": PASSWORDS[username],
            "scope": scope,
        },
        auth=DASHBOARD,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
