"""Fixtures: the dashboard in-process, wired to the fake provider and UDR."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dashboard import DashboardSettings, create_app
from tests.dashboard import fakes


@pytest.fixture
def clock() -> fakes.Clock:
    return fakes.Clock()


@pytest.fixture
def provider() -> fakes.FakeProvider:
    return fakes.FakeProvider()


@pytest.fixture
def udr(provider: fakes.FakeProvider) -> fakes.FakeUdr:
    return fakes.FakeUdr(provider)


@pytest.fixture
def network(provider: fakes.FakeProvider, udr: fakes.FakeUdr) -> fakes.RoutingTransport:
    return fakes.RoutingTransport(
        {
            fakes.PROVIDER_HOST: fakes.provider_app(provider),
            fakes.UDR_HOST: fakes.udr_app(udr),
        }
    )


class IsolatedSettings(DashboardSettings):
    """The dashboard's settings from arguments only, never from the environment."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: Any, init_settings: Any, **sources: Any
    ) -> tuple[Any, ...]:
        return (init_settings,)


def make_settings(**overrides: Any) -> DashboardSettings:
    """Settings for tests: nothing is read from the developer's environment."""
    values: dict[str, Any] = {
        "public_url": fakes.PUBLIC_URL,
        "issuer": fakes.ISSUER,
        "client_id": fakes.CLIENT_ID,
        "client_secret": fakes.CLIENT_SECRET,
        "udr_url": fakes.UDR_URL,
        "login_methods": "password,code",
        **overrides,
    }
    return IsolatedSettings(**values)


@pytest.fixture
def settings() -> DashboardSettings:
    return make_settings()


@pytest.fixture
def client(
    settings: DashboardSettings, network: fakes.RoutingTransport, clock: fakes.Clock
) -> Iterator[TestClient]:
    app = create_app(settings, transport=network, clock=clock)
    with TestClient(app, base_url=fakes.PUBLIC_URL) as test_client:
        yield test_client


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def log_in(
    client: TestClient, username: str = "alice", password: str = "alice-password"
) -> Any:
    token = csrf_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
