"""The OpenAPI document, and the login throttle's rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mock_openam.users import MAX_TRACKED_NAMES, LoginThrottle

from .conftest import FakeClock

ENDPOINTS = [
    ("post", "access_token"),
    ("get", "authorize"),
    ("post", "authorize"),
    ("get", "userinfo"),
    ("post", "userinfo"),
    ("get", "tokeninfo"),
    ("post", "introspect"),
    ("post", "token/revoke"),
    ("get", "connect/endSession"),
    ("post", "connect/endSession"),
    ("get", "connect/jwk_uri"),
    ("get", ".well-known/openid-configuration"),
]
SECURED = {
    "access_token": "clientBasic",
    "introspect": "clientBasic",
    "token/revoke": "clientBasic",
    "userinfo": "bearer",
    "tokeninfo": "bearer",
}


@pytest.mark.parametrize(
    "prefix", ["/openam/oauth2", "/openam/oauth2/realms/root/realms/{realm}"]
)
@pytest.mark.parametrize(("method", "endpoint"), ENDPOINTS)
def test_openapi_documents_every_endpoint_with_its_security(
    client: TestClient, prefix: str, method: str, endpoint: str
) -> None:
    document = client.get("/openapi.json").json()

    operation = document["paths"][f"{prefix}/{endpoint}"][method]

    assert operation["summary"]
    assert "200" in operation["responses"]
    if endpoint in SECURED:
        names = {name for req in operation["security"] for name in req}
        assert SECURED[endpoint] in names
    if "{realm}" in prefix:
        assert operation["parameters"][0]["name"] == "realm"
        assert "404" in operation["responses"]


def test_openapi_leaves_out_the_test_control_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "/openam/json/authenticate" in paths
    assert not [p for p in paths if "__test__" in p]


def test_throttle_forgets_failures_after_the_lockout_period() -> None:
    clock = FakeClock(1000.0)
    throttle = LoginThrottle(limit=2, lockout_seconds=10, clock=clock)
    throttle.failed("mallory")
    throttle.failed("mallory")

    locked_now = throttle.locked("mallory")
    clock.advance(10)

    assert locked_now
    assert not throttle.locked("mallory")


def test_throttle_memory_stays_bounded_under_random_names() -> None:
    clock = FakeClock(1000.0)
    throttle = LoginThrottle(limit=3, lockout_seconds=60, clock=clock)

    for i in range(MAX_TRACKED_NAMES + 10):
        throttle.failed(f"guess-{i}")

    assert len(throttle._failures) <= MAX_TRACKED_NAMES


def test_throttle_with_limit_zero_never_locks_and_keeps_nothing() -> None:
    throttle = LoginThrottle(limit=0, lockout_seconds=60, clock=FakeClock(1000.0))

    for _ in range(20):
        throttle.failed("mallory")

    assert not throttle.locked("mallory")
    assert throttle._failures == {}
