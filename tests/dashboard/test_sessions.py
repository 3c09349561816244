"""Sessions end when idle, when too old and at logout; replayed cookies get nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dashboard.sessions import SessionStore
from tests.dashboard import fakes
from tests.dashboard.conftest import csrf_token, log_in


@pytest.fixture
def alice(client: TestClient) -> TestClient:
    assert log_in(client).status_code == 303
    return client


def _logout(client: TestClient, token: str | None = None) -> object:
    token = token or csrf_token(client.get("/usage").text)
    return client.post("/logout", data={"csrf_token": token}, follow_redirects=False)


def test_session_ends_after_idle_timeout(alice: TestClient, clock: fakes.Clock) -> None:
    clock.advance(1801)

    response = alice.get("/usage", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=expired"
    notice = alice.get(response.headers["location"]).text
    assert 'data-testid="login-notice"' in notice
    assert "Your session has expired" in notice


def test_session_activity_keeps_it_alive(alice: TestClient, clock: fakes.Clock) -> None:
    for _ in range(3):
        clock.advance(1700)
        assert alice.get("/usage").status_code == 200


def test_session_ends_at_max_age_despite_activity(
    alice: TestClient, clock: fakes.Clock
) -> None:
    for _ in range(17):  # used every 1700 s, never idle, until 28900 s > 8 h
        assert alice.get("/usage").status_code == 200
        clock.advance(1700)

    response = alice.get("/usage", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=expired"


def test_logout_deletes_server_session_so_replayed_cookie_gets_nothing(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    cookie = alice.cookies["dashboard_session"]

    response = _logout(alice)

    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/login?reason=logged_out"  # type: ignore[attr-defined]
    alice.cookies.clear()
    alice.cookies.set("dashboard_session", cookie)
    replay = alice.get("/usage", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/login?reason=expired"
    assert len(udr.requests) == 1  # only the one before logout


def test_logout_clears_cookie_and_says_so(alice: TestClient) -> None:
    response = _logout(alice)

    set_cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert set_cookie.startswith('dashboard_session=""')
    assert "Max-Age=0" in set_cookie
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert "You have been logged out." in alice.get(location).text


def test_logout_revokes_tokens_and_ends_provider_session(
    alice: TestClient, provider: fakes.FakeProvider
) -> None:
    grant = provider.grants[0]

    _logout(alice)

    revoked = [call["form"] for call in provider.calls("/token/revoke")]
    assert {"token": grant.refresh_token, "token_type_hint": "refresh_token"} in revoked
    assert {"token": grant.access_token, "token_type_hint": "access_token"} in revoked
    assert grant.revoked
    [end] = provider.calls("/connect/endSession")
    assert end["query"]["id_token_hint"].count(".") == 2


def test_logout_when_provider_down_still_ends_dashboard_session(
    alice: TestClient, network: fakes.RoutingTransport
) -> None:
    token = csrf_token(alice.get("/usage").text)
    network.down.add(fakes.PROVIDER_HOST)

    response = _logout(alice, token)

    assert response.status_code == 303  # type: ignore[attr-defined]
    assert alice.get("/usage", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "wrong"])
def test_logout_without_valid_csrf_token_is_refused(
    alice: TestClient, provider: fakes.FakeProvider, token: str | None
) -> None:
    data = {"csrf_token": token} if token else {}

    response = alice.post("/logout", data=data, follow_redirects=False)

    assert response.status_code == 403
    assert provider.calls("/token/revoke") == []
    assert alice.get("/usage").status_code == 200  # still logged in


def test_logout_form_is_on_usage_page(alice: TestClient) -> None:
    html = alice.get("/usage").text

    assert '<form id="logout-form" method="post" action="/logout">' in html


def test_csrf_token_changes_at_login(client: TestClient) -> None:
    before = csrf_token(client.get("/login").text)

    log_in(client)

    assert csrf_token(client.get("/usage").text) != before


def test_store_evicts_anonymous_sessions_first_when_full() -> None:
    now = [0.0]
    store = SessionStore(1800, 28800, 2, lambda: now[0])
    user_id, user = store.create()
    user.tokens = object()  # type: ignore[assignment]
    now[0] = 1
    anonymous_id, _ = store.create()
    now[0] = 2

    store.create()

    assert store.get(user_id) is user
    assert store.get(anonymous_id) is None
    assert len(store) == 2


def test_store_unknown_and_empty_ids_get_nothing() -> None:
    store = SessionStore(1800, 28800, 10, lambda: 0.0)
    store.create()

    assert store.get("not-a-session") is None
    assert store.get("") is None
    assert store.get(None) is None


def test_login_form_outlives_a_short_idle_timeout() -> None:
    now = [0.0]
    store = SessionStore(2, 28800, 10, lambda: now[0])
    anonymous_id, _ = store.create()
    user_id, user = store.create()
    user.tokens = object()  # type: ignore[assignment]

    now[0] = 300

    assert store.get(anonymous_id) is not None
    assert store.get(user_id) is None
