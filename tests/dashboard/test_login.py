"""Steps 1-3 through the login form: the password grant, CSRF, the session cookie."""

from __future__ import annotations

import base64
import logging

import pytest
from fastapi.testclient import TestClient

from tests.dashboard import fakes
from tests.dashboard.conftest import csrf_token, log_in

pytestmark = pytest.mark.step(2)


def test_login_page_has_labelled_form_and_csrf_token(client: TestClient) -> None:
    response = client.get("/login")

    assert response.status_code == 200
    html = response.text
    assert 'id="login-form"' in html
    assert '<label for="username">' in html and 'id="username" name="username"' in html
    assert '<label for="password">' in html and 'id="password" name="password"' in html
    assert len(csrf_token(html)) >= 32
    assert 'id="login-openam"' in html  # code is enabled in these settings


def test_login_succeeds_with_password_grant(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    response = log_in(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/usage"
    [call] = provider.calls("/access_token")
    assert call["form"]["grant_type"] == "password"
    assert call["form"]["username"] == "alice"
    assert call["form"]["scope"] == "openid profile email keystoneid"
    assert "client_secret" not in call["form"]  # HTTP Basic, not in the body


def test_login_sends_client_credentials_with_http_basic(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    log_in(client)

    [call] = provider.calls("/access_token")
    expected = base64.b64encode(b"dashboard:test-dashboard-secret").decode()
    assert call["authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong-password"), ("nobody", "alice-password")],
    ids=["wrong-password", "unknown-user"],
)
def test_login_refused_shows_same_error(
    client: TestClient, username: str, password: str
) -> None:
    response = log_in(client, username, password)

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert "Wrong username or password." in response.text
    assert 'id="login-form"' in response.text
    assert "invalid_grant" not in response.text


@pytest.mark.parametrize(
    "token",
    [None, "", "not-the-token"],
    ids=["missing", "empty", "wrong"],
)
def test_login_without_valid_csrf_token_is_refused_before_provider(
    client: TestClient, provider: fakes.FakeProvider, token: str | None
) -> None:
    client.get("/login")
    data = {"username": "alice", "password": "alice-password"}
    if token is not None:
        data["csrf_token"] = token

    response = client.post("/login", data=data, follow_redirects=False)

    assert response.status_code == 403
    assert 'data-testid="csrf"' in response.text
    assert provider.calls("/access_token") == []


def test_login_with_csrf_token_of_another_session_is_refused(
    client: TestClient, network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    attacker_token = csrf_token(client.get("/login").text)
    client.cookies.clear()
    client.get("/login")  # the victim's own session

    response = client.post(
        "/login",
        data={
            "username": "alice",
            "password": "alice-password",
            "csrf_token": attacker_token,
        },
    )

    assert response.status_code == 403
    assert provider.calls("/access_token") == []


def test_login_without_session_cookie_is_refused(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    token = csrf_token(client.get("/login").text)
    client.cookies.clear()

    response = client.post(
        "/login",
        data={"username": "alice", "password": "alice-password", "csrf_token": token},
    )

    assert response.status_code == 403
    assert provider.calls("/access_token") == []


def test_login_with_empty_fields_asks_for_them(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    token = csrf_token(client.get("/login").text)

    response = client.post("/login", data={"username": "", "csrf_token": token})

    assert response.status_code == 400
    assert "Enter your username and password." in response.text
    assert provider.calls("/access_token") == []


@pytest.mark.attack("session-fixation")
def test_login_issues_new_session_id(client: TestClient) -> None:
    client.get("/login")
    planted = client.cookies["dashboard_session"]

    response = log_in(client)

    assert response.status_code == 303
    issued = response.cookies["dashboard_session"]
    assert issued != planted
    client.cookies.clear()
    client.cookies.set("dashboard_session", planted)
    stale = client.get("/usage", follow_redirects=False)
    assert stale.status_code == 303
    assert stale.headers["location"] == "/login?reason=expired"


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    response = log_in(client)

    cookie = response.headers["set-cookie"]
    assert cookie.startswith("dashboard_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http in this test
    assert "Path=/" in cookie


def test_session_cookie_holds_no_token(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    response = log_in(client)

    cookie = response.headers["set-cookie"]
    grant = provider.grants[0]
    assert grant.access_token not in cookie
    assert grant.refresh_token not in cookie


def test_login_when_provider_unreachable_shows_openam_unavailable(
    client: TestClient, network: fakes.RoutingTransport
) -> None:
    network.down.add(fakes.PROVIDER_HOST)

    response = log_in(client)

    assert response.status_code == 503
    assert 'data-testid="unavailable"' in response.text
    assert 'data-service="openam"' in response.text
    assert "Traceback" not in response.text


def test_login_when_provider_fails_shows_openam_unavailable(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    provider.failing = True

    response = log_in(client)

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


def test_login_refuses_id_token_from_another_issuer(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    provider.issuer_in_tokens = "http://evil.test/openam/oauth2"

    response = log_in(client)

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text
    assert "dashboard_session" not in response.headers.get("set-cookie", "")


def test_login_refuses_id_token_signed_by_another_key(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    # The JWKS keeps the old public key under the same kid; tokens are signed anew.
    real_jwks = provider.jwks()
    provider.key = fakes.signing_key("impostor")
    provider.jwks = lambda: real_jwks  # type: ignore[method-assign]

    response = log_in(client)

    assert response.status_code == 503


def test_login_reads_keystoneid_from_userinfo_when_id_token_lacks_it(
    client: TestClient, provider: fakes.FakeProvider, udr: fakes.FakeUdr
) -> None:
    provider.id_token_keystoneid = False

    log_in(client)
    response = client.get("/usage")

    assert response.status_code == 200
    assert len(provider.calls("/userinfo")) == 1
    assert udr.requests[0]["keystoneid"] == "ks-alice"


def test_login_page_when_logged_in_goes_to_usage(client: TestClient) -> None:
    log_in(client)

    response = client.get("/login", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/usage"


def test_login_never_logs_password_or_tokens(
    client: TestClient, provider: fakes.FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    log_in(client)
    usage = client.get("/usage").text
    client.post("/logout", data={"csrf_token": csrf_token(usage)})
    log_in(client, "alice", "a-wrong-password")

    grant = provider.grants[0]
    [end_session] = provider.calls("/connect/endSession")
    for secret in (
        end_session["query"]["id_token_hint"],
        "alice-password",
        "a-wrong-password",
        fakes.CLIENT_SECRET,
        grant.access_token,
        grant.refresh_token,
    ):
        assert secret not in caplog.text
    assert "POST /login 303" in caplog.text


@pytest.mark.parametrize(
    ("claims", "raw"),
    [
        ({"aud": "another-client"}, None),
        ({"exp": 1_000_000}, None),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, None),
        ({"sub": None}, None),
        ({}, "not-a-jwt"),
        ({}, "e30.e30.e30"),
    ],
    ids=[
        "wrong-audience",
        "expired",
        "wrong-at-hash",
        "no-subject",
        "garbage",
        "unsigned",
    ],
)
def test_login_refuses_bad_id_token_without_500(
    client: TestClient,
    provider: fakes.FakeProvider,
    claims: dict[str, object],
    raw: str | None,
) -> None:
    provider.id_token_claims = claims
    provider.id_token_raw = raw

    response = log_in(client)

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text
    assert "dashboard_session" not in response.headers.get("set-cookie", "")


def test_login_with_overlong_fields_is_refused_before_provider(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    response = log_in(client, "alice", "p" * 1025)

    assert response.status_code == 400
    assert "Wrong username or password." in response.text
    assert provider.calls("/access_token") == []


def test_login_when_provider_too_slow_shows_openam_unavailable(
    client: TestClient, network: fakes.RoutingTransport
) -> None:
    network.slow.add(fakes.PROVIDER_HOST)

    response = log_in(client)

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


def test_login_with_nul_in_username_is_a_login_failure_not_openam_down(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    response = log_in(client, "al\x00ice", "alice-password")

    [call] = provider.calls("/access_token")  # the provider answered invalid_request
    assert call["form"]["username"] == "al\x00ice"
    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert "Wrong username or password." in response.text
    assert 'data-testid="unavailable"' not in response.text


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "invalid_request"),
        (400, "invalid_scope"),
        (400, "unsupported_grant_type"),
        (400, "unauthorized_client"),
        (401, "invalid_client"),
    ],
)
def test_login_any_rfc6749_error_answer_is_a_login_failure(
    client: TestClient, provider: fakes.FakeProvider, status: int, error: str
) -> None:
    provider.token_answer = (status, {"error": error, "error_description": "nope"})

    response = log_in(client)

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert "Wrong username or password." in response.text
    assert error not in response.text
    assert "nope" not in response.text
    assert "location" not in response.headers  # not logged in


@pytest.mark.parametrize(
    "answer",
    [
        (400, "<html>Bad Request</html>"),
        (400, {"error_description": "no error code"}),
        (401, {"error": 42}),
        (403, {"error": "access_denied"}),
        (500, {"error": "server_error"}),
        (502, "<html>Bad Gateway</html>"),
        (200, "not json"),
        (200, ["a", "list"]),
    ],
    ids=[
        "400-html",
        "400-no-error",
        "401-error-not-text",
        "403-json",
        "500-json",
        "502-html",
        "200-garbage",
        "200-list",
    ],
)
def test_login_when_token_endpoint_answers_garbage_or_5xx_shows_openam_unavailable(
    client: TestClient, provider: fakes.FakeProvider, answer: tuple[int, object]
) -> None:
    provider.token_answer = answer

    response = log_in(client)

    assert response.status_code == 503
    assert 'data-testid="unavailable"' in response.text
    assert 'data-service="openam"' in response.text
