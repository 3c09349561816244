"""Revocation (RFC 7009) and OpenAM's `/json/authenticate`."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from .conftest import BASE, COLLECTOR, DASHBOARD, PASSWORDS, UDR, bearer, password_grant

REVOKE = f"{BASE}/token/revoke"
AUTHENTICATE = "/openam/json/authenticate"
FAILED = {"code": 401, "reason": "Unauthorized", "message": "Authentication Failed"}


def test_revoking_an_access_token_invalidates_only_that_token(
    client: TestClient,
) -> None:
    tokens = password_grant(client, "alice")

    response = client.post(
        REVOKE, data={"token": tokens["access_token"]}, auth=DASHBOARD
    )

    assert response.status_code == 200
    assert response.json() == {}
    userinfo = client.get(f"{BASE}/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 401
    refreshed = client.post(
        f"{BASE}/access_token",
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200


def test_revoking_a_refresh_token_revokes_its_access_tokens(
    client: TestClient,
) -> None:
    tokens = password_grant(client, "alice")

    response = client.post(
        REVOKE,
        auth=DASHBOARD,
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
    )

    assert response.status_code == 200
    introspected = client.post(
        f"{BASE}/introspect", data={"token": tokens["access_token"]}, auth=UDR
    )
    assert introspected.json() == {"active": False}


def test_revoking_an_unknown_token_answers_200(client: TestClient) -> None:
    response = client.post(REVOKE, data={"token": "unknown"}, auth=DASHBOARD)

    assert response.status_code == 200


def test_revocation_by_another_client_leaves_the_token_alone(
    client: TestClient,
) -> None:
    tokens = password_grant(client, "alice")

    client.post(REVOKE, data={"token": tokens["access_token"]}, auth=COLLECTOR)

    userinfo = client.get(f"{BASE}/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 200


def test_revocation_requires_client_authentication(client: TestClient) -> None:
    tokens = password_grant(client, "alice")

    response = client.post(REVOKE, data={"token": tokens["access_token"]})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_json_authenticate_answers_a_token_id(client: TestClient) -> None:
    response = client.post(
        AUTHENTICATE,
        headers={"X-OpenAM-Username": "alice", "X-OpenAM-Password": PASSWORDS["alice"]},
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"tokenId", "successUrl", "realm"}
    assert body["realm"] == "/"
    assert body["successUrl"] == "/openam/console"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", "wrong"), ("alice", PASSWORDS["bob"])],
)
def test_json_authenticate_failure_answers_openams_401(
    client: TestClient, username: str, password: str
) -> None:
    response = client.post(
        AUTHENTICATE,
        headers={"X-OpenAM-Username": username, "X-OpenAM-Password": password},
    )

    assert response.status_code == 401
    assert response.json() == FAILED


def test_json_authenticate_decodes_rfc2047_headers(client: TestClient) -> None:
    encoded = base64.b64encode(PASSWORDS["dave"].encode()).decode()

    response = client.post(
        AUTHENTICATE,
        headers={
            "X-OpenAM-Username": "dave",
            "X-OpenAM-Password": f"=?UTF-8?B?{encoded}?=",
        },
    )

    assert response.status_code == 200


def test_json_authenticate_callback_exchange(client: TestClient) -> None:
    first = client.post(AUTHENTICATE, json={}).json()
    first["callbacks"][0]["input"][0]["value"] = "bob"
    first["callbacks"][1]["input"][0]["value"] = PASSWORDS["bob"]

    response = client.post(AUTHENTICATE, json=first)

    assert [c["type"] for c in first["callbacks"]] == [
        "NameCallback",
        "PasswordCallback",
    ]
    assert response.status_code == 200
    assert response.json()["tokenId"]


def test_json_authenticate_in_a_realm_names_the_realm(client: TestClient) -> None:
    response = client.post(
        "/openam/json/realms/root/realms/customers/authenticate",
        headers={"X-OpenAM-Username": "bob", "X-OpenAM-Password": PASSWORDS["bob"]},
    )

    assert response.json()["realm"] == "/customers"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"authId": 5}',
        b'{"authId": "forged", "callbacks": []}',
        b"\xff\xfe",
    ],
)
def test_json_authenticate_refuses_malformed_bodies(
    client: TestClient, body: bytes
) -> None:
    response = client.post(
        AUTHENTICATE, content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_json_authenticate_auth_id_is_not_a_login_form_id(client: TestClient) -> None:
    auth_id = client.post(AUTHENTICATE, json={}).json()["authId"]

    response = client.post(
        f"{BASE}/authorize",
        data={
            "tx": auth_id,
            "csrf_token": "",
            "username": "alice",
            "password": PASSWORDS["alice"],
        },
    )

    assert response.status_code == 403
