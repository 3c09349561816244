"""Every endpoint answers alike under the realm form, each realm its own issuer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import DASHBOARD, KEYSTONEIDS, PASSWORDS, UDR, bearer, password_grant

ROOT = "/openam/oauth2"
CUSTOMERS = "/openam/oauth2/realms/root/realms/customers"


@pytest.mark.parametrize("prefix", [ROOT, CUSTOMERS])
def test_realm_serves_the_whole_password_flow(client: TestClient, prefix: str) -> None:
    issuer = client.get(f"{prefix}/.well-known/openid-configuration").json()["issuer"]
    tokens = password_grant(client, "dave", scope="openid keystoneid", prefix=prefix)
    token = tokens["access_token"]

    info = client.get(f"{prefix}/userinfo", headers=bearer(token)).json()
    token_info = client.get(f"{prefix}/tokeninfo", headers=bearer(token)).json()
    active = client.post(f"{prefix}/introspect", data={"token": token}, auth=UDR).json()
    client.post(
        f"{prefix}/token/revoke",
        data={"token": tokens["refresh_token"]},
        auth=DASHBOARD,
    )
    revoked = client.post(f"{prefix}/introspect", data={"token": token}, auth=UDR)

    assert issuer == f"http://127.0.0.1:8080{prefix}"
    assert info["keystoneid"] == KEYSTONEIDS["dave"]
    assert token_info["realm"] == ("/" if prefix == ROOT else "/customers")
    assert active["iss"] == issuer
    assert revoked.json() == {"active": False}


@pytest.mark.parametrize(
    ("issued_in", "asked_in"), [(ROOT, CUSTOMERS), (CUSTOMERS, ROOT)]
)
def test_a_realm_does_not_know_another_realms_tokens(
    client: TestClient, issued_in: str, asked_in: str
) -> None:
    tokens = password_grant(client, "alice", prefix=issued_in)

    introspected = client.post(
        f"{asked_in}/introspect", data={"token": tokens["access_token"]}, auth=UDR
    )
    refreshed = client.post(
        f"{asked_in}/access_token",
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )

    assert introspected.json() == {"active": False}
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def test_json_authenticate_session_is_bound_to_its_realm(client: TestClient) -> None:
    token_id = client.post(
        "/openam/json/realms/root/realms/customers/authenticate",
        headers={"X-OpenAM-Username": "bob", "X-OpenAM-Password": PASSWORDS["bob"]},
    ).json()["tokenId"]
    client.cookies.set("iPlanetDirectoryPro", token_id)
    params = {
        "response_type": "code",
        "client_id": "dashboard",
        "redirect_uri": "http://127.0.0.1:8000/callback",
        "scope": "openid",
    }

    in_realm = client.get(
        f"{CUSTOMERS}/authorize", params=params, follow_redirects=False
    )
    at_root = client.get(f"{ROOT}/authorize", params=params, follow_redirects=False)

    assert in_realm.status_code == 302
    assert "code=" in in_realm.headers["location"]
    assert at_root.status_code == 200  # the login page: no session in the root realm
