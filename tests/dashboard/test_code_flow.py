"""Log in with OpenAM: the authorization code flow with state, nonce and PKCE."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from dashboard import create_app
from tests.dashboard import fakes
from tests.dashboard.conftest import make_settings


def _start(client: TestClient) -> dict[str, str]:
    response = client.get("/login/openam", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{fakes.ISSUER}/authorize"
    )
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _authorize(
    client: TestClient,
    network: fakes.RoutingTransport,
    sent: dict[str, str] | None = None,
) -> str:
    """What the browser would do at the provider: the redirect back to /callback."""
    query = _start(client)
    if sent is not None:
        sent.update(query)
    answer = _provider_browser(network).get(f"{fakes.ISSUER}/authorize", params=query)
    return str(answer.headers["location"]).removeprefix(fakes.PUBLIC_URL)


def _provider_browser(network: fakes.RoutingTransport) -> TestClient:
    app = network.apps[fakes.PROVIDER_HOST]
    base_url = f"http://{fakes.PROVIDER_HOST}"
    return TestClient(app, base_url=base_url, follow_redirects=False)


def test_login_openam_sends_state_nonce_and_s256_challenge(client: TestClient) -> None:
    query = _start(client)

    assert query["response_type"] == "code"
    assert query["client_id"] == "dashboard"
    assert query["redirect_uri"] == f"{fakes.PUBLIC_URL}/callback"
    assert query["scope"] == "openid profile email keystoneid"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert len(query["code_challenge"]) == 43


def test_code_flow_logs_in_with_matching_verifier(
    client: TestClient,
    network: fakes.RoutingTransport,
    provider: fakes.FakeProvider,
    udr: fakes.FakeUdr,
) -> None:
    sent: dict[str, str] = {}
    callback = _authorize(client, network, sent)
    planted = client.cookies["dashboard_session"]

    response = client.get(callback, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/usage"
    assert response.cookies["dashboard_session"] != planted
    [exchange] = provider.calls("/access_token")
    verifier = exchange["form"]["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert exchange["form"]["grant_type"] == "authorization_code"
    assert exchange["form"]["redirect_uri"] == f"{fakes.PUBLIC_URL}/callback"
    assert (
        base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == sent["code_challenge"]
    )
    assert client.get("/usage").status_code == 200
    assert udr.requests[0]["keystoneid"] == "ks-alice"


@pytest.mark.parametrize(
    "tamper",
    ["tampered", "missing", "empty"],
)
def test_callback_with_bad_state_is_refused_without_exchange(
    client: TestClient,
    network: fakes.RoutingTransport,
    provider: fakes.FakeProvider,
    tamper: str,
) -> None:
    callback = urlsplit(_authorize(client, network))
    params = {k: v[0] for k, v in parse_qs(callback.query).items()}
    if tamper == "tampered":
        params["state"] = params["state"][:-2] + "xx"
    elif tamper == "missing":
        del params["state"]
    else:
        params["state"] = ""

    response = client.get("/callback", params=params, follow_redirects=False)

    assert response.status_code == 400
    assert 'data-testid="bad-request"' in response.text
    assert provider.calls("/access_token") == []


def test_callback_state_is_single_use(
    client: TestClient, network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    callback = _authorize(client, network)
    client.get(callback, follow_redirects=False)
    client.post("/logout", data={"csrf_token": "x"})  # refused; session unchanged
    client.cookies.clear()

    response = client.get(callback, follow_redirects=False)

    assert response.status_code == 400
    assert len(provider.calls("/access_token")) == 1


def test_callback_from_another_browser_is_refused(
    client: TestClient, network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    callback = _authorize(client, network)
    client.cookies.clear()  # the victim's browser never started this login

    response = client.get(callback, follow_redirects=False)

    assert response.status_code == 400
    assert provider.calls("/access_token") == []


def test_callback_with_provider_error_shows_login_error(
    client: TestClient, provider: fakes.FakeProvider
) -> None:
    state = _start(client)["state"]

    response = client.get(
        "/callback", params={"state": state, "error": "access_denied"}
    )

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert provider.calls("/access_token") == []


def test_callback_refuses_id_token_with_wrong_nonce(
    client: TestClient, network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    callback = _authorize(client, network)
    [pending] = provider.codes.values()
    pending["nonce"] = "another-nonce"

    response = client.get(callback, follow_redirects=False)

    assert response.status_code == 503
    assert "dashboard_session" not in response.headers.get("set-cookie", "")


def test_code_login_is_404_when_not_enabled(
    network: fakes.RoutingTransport, clock: fakes.Clock
) -> None:
    app = create_app(make_settings(login_methods="password"), transport=network)
    with TestClient(app, base_url=fakes.PUBLIC_URL) as client:
        login = client.get("/login").text
        response = client.get("/login/openam", follow_redirects=False)

    assert response.status_code == 404
    assert 'id="login-openam"' not in login


def test_password_login_is_404_when_only_code_enabled(
    network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    app = create_app(make_settings(login_methods="code"), transport=network)
    with TestClient(app, base_url=fakes.PUBLIC_URL) as client:
        login = client.get("/login").text
        response = client.post("/login", data={"username": "alice"})

    assert response.status_code == 404
    assert 'id="login-form"' not in login
    assert 'id="login-openam"' in login
    assert provider.calls("/access_token") == []


def test_logout_after_code_login_ends_provider_session_in_browser(
    client: TestClient, network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    client.get(_authorize(client, network), follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/usage").text)
    assert token

    response = client.post(
        "/logout", data={"csrf_token": token.group(1)}, follow_redirects=False
    )

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{fakes.ISSUER}/connect/endSession"
    )
    assert parse_qs(location.query) == {
        "client_id": ["dashboard"],
        "post_logout_redirect_uri": [f"{fakes.PUBLIC_URL}/login"],
        "state": ["logged_out"],
    }
    assert provider.grants[0].revoked  # revoked server-side before the redirect
    assert 'dashboard_session=""' in response.headers["set-cookie"]
    back = client.get("/login", params={"state": "logged_out"})
    assert "You have been logged out." in back.text


def test_login_openam_when_provider_unreachable_shows_openam_unavailable(
    client: TestClient, network: fakes.RoutingTransport
) -> None:
    network.down.add(fakes.PROVIDER_HOST)

    response = client.get("/login/openam", follow_redirects=False)

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


def test_callback_when_provider_fails_shows_openam_unavailable(
    client: TestClient, network: fakes.RoutingTransport, provider: fakes.FakeProvider
) -> None:
    callback = _authorize(client, network)
    provider.failing = True

    response = client.get(callback, follow_redirects=False)

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


@pytest.mark.parametrize(
    ("status", "error"), [(400, "invalid_request"), (401, "invalid_client")]
)
def test_callback_when_token_endpoint_refuses_shows_login_error(
    client: TestClient,
    network: fakes.RoutingTransport,
    provider: fakes.FakeProvider,
    status: int,
    error: str,
) -> None:
    callback = _authorize(client, network)
    provider.token_answer = (status, {"error": error})

    response = client.get(callback, follow_redirects=False)

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert 'data-testid="unavailable"' not in response.text
