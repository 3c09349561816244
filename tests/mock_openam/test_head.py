"""HEAD on GET routes (RFC 9110 section 9.3.2): GET's status and headers, no content."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import BASE, PASSWORDS, bearer, password_grant

REALM_BASE = "/openam/oauth2/realms/root/realms/customers"


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        f"{BASE}/.well-known/openid-configuration",
        f"{BASE}/connect/jwk_uri",
        f"{REALM_BASE}/.well-known/openid-configuration",
        "/openapi.json",
    ],
)
def test_head_answers_gets_status_and_headers_without_content(
    client: TestClient, path: str
) -> None:
    got = client.get(path)

    head = client.head(path)

    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


def test_head_on_userinfo_checks_the_bearer_token_as_get_does(
    client: TestClient,
) -> None:
    token = password_grant(client, "alice")["access_token"]

    allowed = client.head(f"{BASE}/userinfo", headers=bearer(token))
    refused = client.head(f"{BASE}/userinfo")

    assert allowed.status_code == 200
    assert allowed.content == b""
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.content == b""


def test_head_on_a_post_only_route_is_405_allowing_post(client: TestClient) -> None:
    response = client.head(f"{BASE}/access_token")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_head_on_an_unknown_path_is_404(client: TestClient) -> None:
    assert client.head(f"{BASE}/nothing-here").status_code == 404


def test_head_on_end_session_is_405_and_does_not_sign_out(client: TestClient) -> None:
    token_id = client.post(
        "/openam/json/authenticate",
        headers={"X-OpenAM-Username": "carol", "X-OpenAM-Password": PASSWORDS["carol"]},
    ).json()["tokenId"]
    client.cookies.set("iPlanetDirectoryPro", token_id)

    response = client.head(f"{BASE}/connect/endSession")

    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    # The SSO session still stands: the authorization request skips the login page.
    authorize = client.get(
        f"{BASE}/authorize",
        params={
            "response_type": "code",
            "client_id": "dashboard",
            "redirect_uri": "http://127.0.0.1:8000/callback",
            "scope": "openid",
        },
        follow_redirects=False,
    )
    assert authorize.status_code == 302
