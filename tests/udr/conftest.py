"""Fixtures: a fake provider on a loopback port, and UDR apps built over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.udr.fake_provider import UDR_CLIENT, FakeProvider
from udr import Settings, create_app
from udr.records import UsageRecord

MODES = ("userinfo", "introspection", "tokeninfo", "jwt")
DAY = datetime(2026, 11, 2, tzinfo=UTC)
PERIOD = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}

MakeSettings = Callable[..., Settings]
MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def _no_udr_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from each test, never from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("UDR_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def fake_provider_server() -> Iterator[FakeProvider]:
    server = FakeProvider()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def provider(fake_provider_server: FakeProvider) -> Iterator[FakeProvider]:
    fake_provider_server.reset()
    yield fake_provider_server
    fake_provider_server.reset()


@pytest.fixture
def make_settings(tmp_path: Path, provider: FakeProvider) -> MakeSettings:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'udr.db'}",
            "issuer": provider.issuer,
            "client_id": UDR_CLIENT[0],
            "client_secret": UDR_CLIENT[1],
            "provider_timeout": 3.0,  # generous: the machine may be busy
            "jwks_refresh_interval": 0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def make_client(make_settings: MakeSettings) -> Iterator[MakeClient]:
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            app = create_app(make_settings(**overrides))
            seed(app.state.store)
            return stack.enter_context(TestClient(app, raise_server_exceptions=True))

        yield make


def record(
    keystoneid: str, meter: str, hour: int, volume: float, **extra: Any
) -> UsageRecord:
    kind, unit = {
        "cpu_util": ("gauge", "%"),
        "network.incoming.bytes": ("cumulative", "B"),
    }[meter]
    start = DAY + timedelta(hours=hour)
    fields: dict[str, Any] = {
        "id": f"{keystoneid}-{meter}-{hour}",
        "keystoneid": keystoneid,
        "resource_id": f"vm-{keystoneid}",
        "meter": meter,
        "type": kind,
        "unit": unit,
        "volume": volume,
        "start": start,
        "end": start + timedelta(hours=1),
    }
    fields.update(extra)
    return UsageRecord.model_validate(fields)


def seed(store: Any) -> None:
    """k-alice and k-bob have usage; other ids have none."""
    store.ingest(
        [
            record("k-alice", "cpu_util", 0, 10.0),
            record("k-alice", "cpu_util", 1, 30.0),
            record("k-alice", "network.incoming.bytes", 0, 1000.0),
            record("k-alice", "network.incoming.bytes", 25, 500.0),
            record("k-bob", "cpu_util", 0, 99.0),
        ]
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
