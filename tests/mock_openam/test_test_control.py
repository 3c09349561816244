"""The test-control API: minting, rotation, revocation, faults and the record."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from mock_openam import Settings, create_app

from .conftest import (
    BASE,
    DASHBOARD,
    KEYSTONEIDS,
    UDR,
    FakeClock,
    bearer,
    password_grant,
)

CONTROL = "/openam/__test__"


def test_minted_token_is_known_to_userinfo_with_chosen_claims(
    client: TestClient,
) -> None:
    minted = client.post(
        f"{CONTROL}/tokens",
        json={
            "sub": "mallory",
            "client_id": "dashboard",
            "scope": "openid keystoneid",
            "claims": {"keystoneid": "0" * 32},
            "lifetime": 60,
        },
    )

    assert minted.status_code == 200
    assert minted.json()["expires_in"] == 60
    info = client.get(f"{BASE}/userinfo", headers=bearer(minted.json()["access_token"]))
    assert info.json() == {"sub": "mallory", "keystoneid": "0" * 32}


def test_minted_token_with_negative_lifetime_is_already_expired(
    client: TestClient,
) -> None:
    minted = client.post(
        f"{CONTROL}/tokens",
        json={"sub": "alice", "client_id": "dashboard", "lifetime": -10},
    ).json()

    response = client.post(
        f"{BASE}/introspect", data={"token": minted["access_token"]}, auth=UDR
    )

    assert response.json() == {"active": False}


def test_minted_token_for_a_demo_user_carries_their_claims(client: TestClient) -> None:
    minted = client.post(
        f"{CONTROL}/tokens",
        json={"sub": "bob", "client_id": "dashboard", "scope": "openid keystoneid"},
    ).json()

    info = client.get(f"{BASE}/tokeninfo", headers=bearer(minted["access_token"]))

    assert info.json()["keystoneid"] == KEYSTONEIDS["bob"]


def test_rotation_keeps_the_previous_key_so_old_tokens_verify(
    client: TestClient,
) -> None:
    old_token = password_grant(client, "alice")["access_token"]

    rotated = client.post(f"{CONTROL}/keys/rotate", json={}).json()
    new_token = password_grant(client, "alice")["access_token"]
    jwks = client.get(f"{BASE}/connect/jwk_uri").json()

    assert [k["kid"] for k in jwks["keys"]] == [rotated["kid"], rotated["previous_kid"]]
    keys = KeySet.import_key_set(jwks)
    assert jwt.decode(old_token, keys).header["kid"] == rotated["previous_kid"]
    assert jwt.decode(new_token, keys).header["kid"] == rotated["kid"]
    assert client.get(f"{BASE}/userinfo", headers=bearer(old_token)).status_code == 200


def test_rotation_drops_the_previous_key_after_the_grace_period(
    client: TestClient, clock: FakeClock
) -> None:
    rotated = client.post(f"{CONTROL}/keys/rotate", json={}).json()

    clock.advance(3600)
    jwks = client.get(f"{BASE}/connect/jwk_uri").json()

    assert [k["kid"] for k in jwks["keys"]] == [rotated["kid"]]


def test_revoke_all_invalidates_every_token(client: TestClient) -> None:
    first = password_grant(client, "alice")
    second = password_grant(client, "bob")

    revoked = client.post(f"{CONTROL}/revoke-all", json={}).json()

    assert revoked == {"revoked": 4}
    for token in (first["access_token"], second["access_token"]):
        response = client.get(f"{BASE}/userinfo", headers=bearer(token))
        assert response.status_code == 401
    refresh = client.post(
        f"{BASE}/access_token",
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert refresh.status_code == 400


def test_fault_error_fails_provider_paths_but_not_health(client: TestClient) -> None:
    assert (
        client.post(
            f"{CONTROL}/faults", json={"mode": "error", "seconds": 30}
        ).status_code
        == 204
    )

    failing = client.get(f"{BASE}/.well-known/openid-configuration")
    health = client.get("/health")

    assert failing.status_code == 500
    assert failing.json()["error"] == "server_error"
    assert health.status_code == 200


def test_fault_garbage_answers_unparseable_json(client: TestClient) -> None:
    client.post(f"{CONTROL}/faults", json={"mode": "garbage", "seconds": 30})

    response = client.get(f"{BASE}/connect/jwk_uri")

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_fault_ends_after_its_duration(client: TestClient, clock: FakeClock) -> None:
    client.post(f"{CONTROL}/faults", json={"mode": "error", "seconds": 5})

    clock.advance(5)

    assert client.get(f"{BASE}/connect/jwk_uri").status_code == 200


def test_delete_faults_restores_service(client: TestClient) -> None:
    client.post(f"{CONTROL}/faults", json={"mode": "error", "seconds": 30})

    assert client.delete(f"{CONTROL}/faults").status_code == 204
    assert client.get(f"{BASE}/connect/jwk_uri").status_code == 200


def test_requests_record_never_holds_passwords_or_secrets(client: TestClient) -> None:
    password_grant(client, "alice")

    records = client.get(f"{CONTROL}/requests").json()

    assert records[0]["grant_type"] == "password"
    assert records[0]["client_id"] == "dashboard"
    assert records[0]["username"] == "alice"
    assert "alice-demo-password" not in str(records)
    assert "dashboard-demo-secret" not in str(records)


def test_delete_requests_empties_the_record(client: TestClient) -> None:
    password_grant(client, "alice")

    assert client.delete(f"{CONTROL}/requests").status_code == 204
    assert client.get(f"{CONTROL}/requests").json() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/tokens"),
        ("POST", "/keys/rotate"),
        ("POST", "/revoke-all"),
        ("POST", "/faults"),
        ("DELETE", "/faults"),
        ("GET", "/requests"),
        ("DELETE", "/requests"),
    ],
)
def test_test_control_is_not_found_when_disabled(
    rsa_key_file: object, method: str, path: str
) -> None:
    with TestClient(create_app(Settings(key_file=rsa_key_file))) as client:
        response = client.request(method, f"{CONTROL}{path}", json={})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sub": ""},
        {"sub": "a", "client_id": "b", "lifetime": "x"},
        {"sub": "a", "client_id": "b", "unknown": 1},
    ],
)
def test_mint_refuses_malformed_bodies(client: TestClient, body: object) -> None:
    response = client.post(f"{CONTROL}/tokens", json=body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_fault_slow_delays_provider_paths_by_the_given_delay(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []

    async def record_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr("mock_openam.app.asyncio.sleep", record_sleep)
    client.post(f"{CONTROL}/faults", json={"mode": "slow", "seconds": 30, "delay": 7})

    response = client.get(f"{BASE}/connect/jwk_uri")
    client.get("/health")

    assert response.status_code == 200
    assert delays == [7]
