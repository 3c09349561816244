"""The optional validation cache: off by default, bounded, never past the token."""

from __future__ import annotations

import pytest

from tests.udr.conftest import PERIOD, MakeClient, bearer
from tests.udr.fake_provider import FakeProvider
from udr import validation
from udr.validation import TokenInfo, ValidationCache

URL = "/usage/users/k-alice"


def _info(expires_at: float | None) -> TokenInfo:
    return TokenInfo({}, "alice", "dashboard", frozenset(), expires_at)


def test_without_cache_every_request_asks_the_provider(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client, token = make_client(), provider.mint()

    for _ in range(3):
        assert client.get(URL, params=PERIOD, headers=bearer(token)).status_code == 200

    assert provider.count("userinfo") == 3


@pytest.mark.parametrize("mode", ["userinfo", "introspection", "tokeninfo"])
def test_cache_answers_repeat_requests(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client, token = make_client(validation_mode=mode, cache_seconds=60), provider.mint()
    endpoint = {"introspection": "introspect"}.get(mode, mode)

    for _ in range(3):
        assert client.get(URL, params=PERIOD, headers=bearer(token)).status_code == 200

    assert provider.count(endpoint) == 1


def test_cached_token_stays_accepted_after_revocation_until_its_entry_ends(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    """The documented price of the cache."""
    client, token = make_client(cache_seconds=60), provider.mint()
    client.get(URL, params=PERIOD, headers=bearer(token))

    provider.revoke(token)

    assert client.get(URL, params=PERIOD, headers=bearer(token)).status_code == 200


def test_refusals_are_not_cached(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(cache_seconds=60)

    for _ in range(2):
        response = client.get(URL, params=PERIOD, headers=bearer("never-issued"))
        assert response.status_code == 401

    assert provider.count("userinfo") == 2


def test_cache_mismatch_is_still_denied(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client, token = make_client(cache_seconds=60), provider.mint()
    client.get(URL, params=PERIOD, headers=bearer(token))

    response = client.get("/usage/users/k-bob", params=PERIOD, headers=bearer(token))

    assert response.status_code == 403


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(validation.time, "time", fake)
    return fake


def test_entry_ends_with_the_token(clock: Clock) -> None:
    cache = ValidationCache(seconds=60, size=10)
    cache.put("userinfo", "t", _info(expires_at=clock.now + 5))

    clock.now += 4
    assert cache.get("userinfo", "t") is not None
    clock.now += 1
    assert cache.get("userinfo", "t") is None


def test_entry_ends_after_the_configured_seconds(clock: Clock) -> None:
    cache = ValidationCache(seconds=10, size=10)
    cache.put("userinfo", "t", _info(expires_at=None))

    clock.now += 9.9
    assert cache.get("userinfo", "t") is not None
    clock.now += 0.1
    assert cache.get("userinfo", "t") is None


def test_cache_is_bounded_least_recently_used_first(clock: Clock) -> None:
    cache = ValidationCache(seconds=60, size=2)
    for token in ("a", "b"):
        cache.put("userinfo", token, _info(None))
    cache.get("userinfo", "a")

    cache.put("userinfo", "c", _info(None))

    assert len(cache) == 2
    assert cache.get("userinfo", "b") is None
    assert cache.get("userinfo", "a") is not None


def test_cache_keys_are_per_mode_and_never_the_token(clock: Clock) -> None:
    cache = ValidationCache(seconds=60, size=10)
    cache.put("userinfo", "secret-token", _info(None))

    assert cache.get("jwt", "secret-token") is None
    assert "secret-token" not in repr(cache._entries)
