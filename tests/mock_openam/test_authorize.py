"""The authorization-code flow: login page, CSRF, PKCE, redirect URIs, SSO session."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from mock_openam import Settings, create_app

from .conftest import BASE, DASHBOARD, ISSUER, KEYSTONEIDS, PASSWORDS, bearer

CALLBACK = "http://127.0.0.1:8000/callback"
FORGED = "the login form expired or did not come from this provider; start again"


@pytest.fixture
def browser(settings: Settings, clock: Any) -> TestClient:
    """A client that keeps cookies and does not follow redirects, as a browser would."""
    app = create_app(settings, clock=clock)
    return TestClient(app, base_url="http://127.0.0.1:8080", follow_redirects=False)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "dashboard",
        "redirect_uri": CALLBACK,
        "scope": "openid keystoneid",
        "state": "st-1",
        "nonce": "n-1",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v != ""}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def log_in(
    browser: TestClient, username: str = "alice", **overrides: str
) -> httpx.Response:
    page = browser.get(f"{BASE}/authorize", params=authorize_params(**overrides))
    assert page.status_code == 200, page.text
    return browser.post(
        f"{BASE}/authorize",
        data={
            "tx": hidden(page.text, "tx"),
            "csrf_token": hidden(page.text, "csrf_token"),
            "username": username,
            "password": PASSWORDS[username],
        },
    )


def query(response: httpx.Response) -> dict[str, str]:
    return {
        k: v[0]
        for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()
    }


def exchange(
    browser: TestClient,
    code: str,
    verifier: str | None = None,
    redirect_uri: str = CALLBACK,
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    return browser.post(f"{BASE}/access_token", data=form, auth=DASHBOARD)


def test_authorize_shows_a_login_form_with_csrf_token(browser: TestClient) -> None:
    page = browser.get(f"{BASE}/authorize", params=authorize_params())

    assert page.status_code == 200
    assert 'id="login-form"' in page.text
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert hidden(page.text, "csrf_token")
    assert page.headers["x-frame-options"] == "DENY"
    assert "mock_openam_login_csrf" in page.headers["set-cookie"]


def test_code_flow_with_pkce_yields_tokens_with_nonce_and_keystoneid(
    browser: TestClient,
) -> None:
    verifier, challenge = pkce_pair()
    redirect = log_in(browser, code_challenge=challenge, code_challenge_method="S256")

    assert redirect.status_code == 302
    assert redirect.headers["location"].startswith(f"{CALLBACK}?")
    params = query(redirect)
    assert params["state"] == "st-1"
    assert params["iss"] == ISSUER
    tokens = exchange(browser, params["code"], verifier)
    assert tokens.status_code == 200
    info = browser.get(
        f"{BASE}/userinfo", headers=bearer(tokens.json()["access_token"])
    )
    assert info.json() == {"sub": "alice", "keystoneid": KEYSTONEIDS["alice"]}


def test_code_is_one_time_and_its_reuse_revokes_the_tokens(
    browser: TestClient,
) -> None:
    code = query(log_in(browser))["code"]
    first = exchange(browser, code)

    second = exchange(browser, code)

    assert second.status_code == 400
    assert second.json() == {
        "error": "invalid_grant",
        "error_description": "the code was already used",
    }
    info = browser.get(f"{BASE}/userinfo", headers=bearer(first.json()["access_token"]))
    assert info.status_code == 401


@pytest.mark.parametrize(
    ("verifier", "description"),
    [
        (None, "code_verifier is missing or malformed"),
        ("short", "code_verifier is missing or malformed"),
        ("x" * 64, "code_verifier does not match"),
    ],
)
def test_code_exchange_refuses_a_missing_or_wrong_verifier(
    browser: TestClient, verifier: str | None, description: str
) -> None:
    _, challenge = pkce_pair()
    code = query(
        log_in(browser, code_challenge=challenge, code_challenge_method="S256")
    )["code"]

    response = exchange(browser, code, verifier)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": description,
    }


def test_code_exchange_refuses_another_redirect_uri(browser: TestClient) -> None:
    code = query(log_in(browser))["code"]

    response = exchange(browser, code, redirect_uri="http://localhost:8000/callback")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_exchange_refuses_an_expired_code(browser: TestClient, clock: Any) -> None:
    code = query(log_in(browser))["code"]

    clock.advance(3600)

    assert exchange(browser, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        CALLBACK + "/",
        CALLBACK + "-evil",
        CALLBACK + "?next=x",
        CALLBACK.upper(),
        "http://127.0.0.1:8001/callback",
        "https://127.0.0.1:8000/callback",
        "https://evil.example/callback",
    ],
)
def test_authorize_never_redirects_to_an_unregistered_uri(
    browser: TestClient, redirect_uri: str
) -> None:
    response = browser.get(
        f"{BASE}/authorize", params=authorize_params(redirect_uri=redirect_uri)
    )

    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "redirect_uri is not registered for this client",
    }


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"scope": "openid admin"}, "invalid_scope"),
        (
            {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
            "invalid_request",
        ),
        (
            {"code_challenge": "short", "code_challenge_method": "S256"},
            "invalid_request",
        ),
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"request": "eyJ9"}, "request_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_authorize_redirects_other_errors_to_the_client(
    browser: TestClient, overrides: dict[str, str], error: str
) -> None:
    response = browser.get(f"{BASE}/authorize", params=authorize_params(**overrides))

    assert response.status_code == 302
    params = query(response)
    assert params["error"] == error
    assert params["state"] == "st-1"
    assert "code" not in params


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"client_id": ""}, "missing parameter client_id"),
        ({"client_id": "nobody"}, "unknown client_id"),
        ({"redirect_uri": ""}, "missing parameter redirect_uri"),
    ],
)
def test_authorize_shows_client_errors_without_redirect(
    browser: TestClient, params: dict[str, str], description: str
) -> None:
    response = browser.get(f"{BASE}/authorize", params=authorize_params(**params))

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": description,
    }


def test_login_with_a_wrong_password_shows_the_form_again(browser: TestClient) -> None:
    page = browser.get(f"{BASE}/authorize", params=authorize_params())

    response = browser.post(
        f"{BASE}/authorize",
        data={
            "tx": hidden(page.text, "tx"),
            "csrf_token": hidden(page.text, "csrf_token"),
            "username": "alice",
            "password": "wrong",
        },
    )

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert 'id="login-form"' in response.text


@pytest.mark.parametrize("forged", ["csrf_token", "tx"])
def test_login_refuses_a_forged_form(browser: TestClient, forged: str) -> None:
    page = browser.get(f"{BASE}/authorize", params=authorize_params())
    form = {
        "tx": hidden(page.text, "tx"),
        "csrf_token": hidden(page.text, "csrf_token"),
        "username": "alice",
        "password": PASSWORDS["alice"],
    }
    form[forged] = "forged"

    response = browser.post(f"{BASE}/authorize", data=form)

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_request", "error_description": FORGED}
    assert "location" not in response.headers


def test_login_refuses_a_form_without_the_csrf_cookie(browser: TestClient) -> None:
    page = browser.get(f"{BASE}/authorize", params=authorize_params())
    browser.cookies.clear()

    response = browser.post(
        f"{BASE}/authorize",
        data={
            "tx": hidden(page.text, "tx"),
            "csrf_token": hidden(page.text, "csrf_token"),
            "username": "alice",
            "password": PASSWORDS["alice"],
        },
    )

    assert response.status_code == 403
    assert response.json() == {"error": "invalid_request", "error_description": FORGED}


def test_login_form_works_once(browser: TestClient) -> None:
    page = browser.get(f"{BASE}/authorize", params=authorize_params())
    form = {
        "tx": hidden(page.text, "tx"),
        "csrf_token": hidden(page.text, "csrf_token"),
        "username": "alice",
        "password": PASSWORDS["alice"],
    }
    assert browser.post(f"{BASE}/authorize", data=form).status_code == 302

    assert browser.post(f"{BASE}/authorize", data=form).status_code == 403


def test_sso_session_skips_the_login_page_unless_prompt_login(
    browser: TestClient,
) -> None:
    log_in(browser, "bob")

    again = browser.get(f"{BASE}/authorize", params=authorize_params())
    forced = browser.get(f"{BASE}/authorize", params=authorize_params(prompt="login"))

    assert again.status_code == 302
    tokens = exchange(browser, query(again)["code"]).json()
    assert (
        browser.get(f"{BASE}/userinfo", headers=bearer(tokens["access_token"])).json()[
            "sub"
        ]
        == "bob"
    )
    assert forced.status_code == 200


def test_json_authenticate_token_id_is_an_sso_session(browser: TestClient) -> None:
    token_id = browser.post(
        "/openam/json/authenticate",
        headers={"X-OpenAM-Username": "carol", "X-OpenAM-Password": PASSWORDS["carol"]},
    ).json()["tokenId"]
    browser.cookies.set("iPlanetDirectoryPro", token_id)

    response = browser.get(f"{BASE}/authorize", params=authorize_params())

    assert response.status_code == 302
    tokens = exchange(browser, query(response)["code"]).json()
    info = browser.get(f"{BASE}/userinfo", headers=bearer(tokens["access_token"]))
    assert info.json()["sub"] == "carol"


def test_end_session_revokes_tokens_and_redirects_to_a_registered_uri(
    browser: TestClient,
) -> None:
    tokens = exchange(browser, query(log_in(browser))["code"]).json()

    response = browser.get(
        f"{BASE}/connect/endSession",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:8000/login",
            "state": "bye",
        },
    )

    assert response.status_code == 302
    assert response.headers["location"] == "http://127.0.0.1:8000/login?state=bye"
    userinfo = browser.get(f"{BASE}/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    refresh = browser.post(
        f"{BASE}/access_token",
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.status_code == 400
    assert (
        browser.get(f"{BASE}/authorize", params=authorize_params()).status_code == 200
    )


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "https://evil.example/"},
        {"id_token_hint": "not-a-jwt"},
    ],
)
def test_end_session_refuses_unregistered_uris_and_bad_hints(
    browser: TestClient, params: dict[str, str]
) -> None:
    tokens = exchange(browser, query(log_in(browser))["code"]).json()
    params = {"id_token_hint": tokens["id_token"], **params}

    response = browser.get(f"{BASE}/connect/endSession", params=params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "location" not in response.headers


def test_unfinished_logins_are_bounded_oldest_first(
    browser: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mock_openam.store.MAX_PENDING", 3)

    pages = [
        browser.get(f"{BASE}/authorize", params=authorize_params()) for _ in range(4)
    ]

    pending = browser.app.state.provider.store.logins  # type: ignore[attr-defined]
    assert list(pending) == [hidden(page.text, "tx") for page in pages[1:]]
