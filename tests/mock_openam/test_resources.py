"""Userinfo, tokeninfo and introspection: what a resource server learns of a token."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from .conftest import (
    BASE,
    COLLECTOR,
    DASHBOARD,
    ISSUER,
    KEYSTONEIDS,
    UDR,
    FakeClock,
    bearer,
    password_grant,
)

INVALID = (
    "The access token provided is expired, revoked, malformed, or invalid for other "
    "reasons."
)


def test_userinfo_answers_the_claims_of_the_granted_scopes(client: TestClient) -> None:
    token = password_grant(client, "alice")["access_token"]

    response = client.get(f"{BASE}/userinfo", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "sub": "alice",
        "keystoneid": KEYSTONEIDS["alice"],
        "name": "Alice Andersen",
        "given_name": "Alice",
        "family_name": "Andersen",
        "email": "alice@example.org",
    }


def test_userinfo_releases_keystoneid_only_with_its_scope(client: TestClient) -> None:
    token = password_grant(client, "alice", scope="openid email")["access_token"]

    response = client.get(f"{BASE}/userinfo", headers=bearer(token))

    assert response.json() == {"sub": "alice", "email": "alice@example.org"}


def test_userinfo_shared_account_has_the_same_keystoneid(client: TestClient) -> None:
    carol = password_grant(client, "carol", scope="openid keystoneid")["access_token"]
    dave = password_grant(client, "dave", scope="openid keystoneid")["access_token"]

    carol_info = client.get(f"{BASE}/userinfo", headers=bearer(carol)).json()
    dave_info = client.get(f"{BASE}/userinfo", headers=bearer(dave)).json()

    assert carol_info["keystoneid"] == dave_info["keystoneid"]
    assert (carol_info["sub"], dave_info["sub"]) == ("carol", "dave")


def test_userinfo_accepts_the_token_in_a_form_body(client: TestClient) -> None:
    token = password_grant(client, "bob")["access_token"]

    response = client.post(f"{BASE}/userinfo", data={"access_token": token})

    assert response.status_code == 200
    assert response.json()["keystoneid"] == KEYSTONEIDS["bob"]


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", "x" * 5000],
)
def test_userinfo_refuses_an_invalid_token_with_a_bearer_challenge(
    client: TestClient, token: str
) -> None:
    response = client.get(f"{BASE}/userinfo", headers=bearer(token))

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": INVALID}
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="/", error="invalid_token", error_description="{INVALID}"'
    )


def test_userinfo_without_a_token_challenges_without_an_error_code(
    client: TestClient,
) -> None:
    response = client.get(f"{BASE}/userinfo")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="/"'
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "an access token is required",
    }


def test_userinfo_refuses_a_token_without_openid_scope(client: TestClient) -> None:
    token = client.post(
        f"{BASE}/access_token",
        data={"grant_type": "client_credentials"},
        auth=COLLECTOR,
    ).json()["access_token"]

    response = client.get(f"{BASE}/userinfo", headers=bearer(token))

    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_userinfo_refuses_an_expired_token(
    client: TestClient, clock: FakeClock
) -> None:
    token = password_grant(client, "alice")["access_token"]

    clock.advance(3601)
    response = client.get(f"{BASE}/userinfo", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_tokeninfo_answers_like_openam(client: TestClient) -> None:
    token = password_grant(client, "alice", scope="openid keystoneid")["access_token"]

    response = client.get(f"{BASE}/tokeninfo", params={"access_token": token})

    assert response.status_code == 200
    assert response.json() == {
        "access_token": token,
        "openid": "",
        "keystoneid": KEYSTONEIDS["alice"],
        "sub": "alice",
        "client_id": "dashboard",
        "scope": ["openid", "keystoneid"],
        "grant_type": "password",
        "realm": "/",
        "token_type": "Bearer",
        "expires_in": 3600,
    }


def test_tokeninfo_accepts_a_bearer_header(client: TestClient) -> None:
    token = password_grant(client, "bob", scope="openid keystoneid")["access_token"]

    response = client.get(f"{BASE}/tokeninfo", headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["keystoneid"] == KEYSTONEIDS["bob"]


def test_tokeninfo_refuses_a_token_in_both_query_and_header(
    client: TestClient,
) -> None:
    token = password_grant(client, "bob")["access_token"]

    response = client.get(
        f"{BASE}/tokeninfo", params={"access_token": token}, headers=bearer(token)
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "send the access token only once",
    }


def test_tokeninfo_without_a_token_is_401_with_a_bare_challenge(
    client: TestClient,
) -> None:
    response = client.get(f"{BASE}/tokeninfo")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="/"'
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing access_token",
    }


def test_tokeninfo_refuses_an_invalid_token(client: TestClient) -> None:
    response = client.get(f"{BASE}/tokeninfo", params={"access_token": "nonsense"})

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "error_description": INVALID}
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_introspection_answers_an_active_token_with_keystoneid(
    client: TestClient,
) -> None:
    token = password_grant(client, "carol", scope="openid keystoneid")["access_token"]

    response = client.post(f"{BASE}/introspect", data={"token": token}, auth=UDR)

    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["sub"] == "carol"
    assert body["scope"] == "openid keystoneid"
    assert body["client_id"] == "dashboard"
    assert body["iss"] == ISSUER
    assert body["token_type"] == "Bearer"
    assert body["keystoneid"] == KEYSTONEIDS["carol"]
    assert body["exp"] - body["iat"] == 3600


def test_introspection_omits_keystoneid_without_its_scope(client: TestClient) -> None:
    token = password_grant(client, "carol", scope="openid")["access_token"]

    body = client.post(f"{BASE}/introspect", data={"token": token}, auth=UDR).json()

    assert body["active"] is True
    assert "keystoneid" not in body


@pytest.mark.parametrize("token", ["unknown", "a.b.c", "eyJ9.eyJ9.x"])
def test_introspection_answers_inactive_for_unknown_tokens(
    client: TestClient, token: str
) -> None:
    response = client.post(f"{BASE}/introspect", data={"token": token}, auth=UDR)

    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_introspection_answers_inactive_for_expired_tokens(
    client: TestClient, clock: FakeClock
) -> None:
    token = password_grant(client, "alice")["access_token"]

    clock.advance(3600)
    response = client.post(f"{BASE}/introspect", data={"token": token}, auth=UDR)

    assert response.json() == {"active": False}


def test_introspection_hides_other_clients_tokens_without_introspect_scope(
    client: TestClient,
) -> None:
    token = password_grant(client, "alice")["access_token"]

    as_collector = client.post(
        f"{BASE}/introspect", data={"token": token}, auth=COLLECTOR
    )
    as_owner = client.post(f"{BASE}/introspect", data={"token": token}, auth=DASHBOARD)

    assert as_collector.json() == {"active": False}
    assert as_owner.json()["active"] is True


def test_introspection_requires_client_authentication(client: TestClient) -> None:
    token = password_grant(client, "alice")["access_token"]

    response = client.post(f"{BASE}/introspect", data={"token": token})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic ")


def test_introspection_answers_refresh_tokens(client: TestClient) -> None:
    refresh = password_grant(client, "bob")["refresh_token"]

    body = client.post(f"{BASE}/introspect", data={"token": refresh}, auth=UDR).json()

    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["sub"] == "bob"


def test_requests_record_token_fingerprints_not_tokens(client: TestClient) -> None:
    token = password_grant(client, "alice")["access_token"]
    client.delete("/openam/__test__/requests")

    client.get(f"{BASE}/userinfo", headers=bearer(token))
    records = client.get("/openam/__test__/requests").json()

    assert [r["path"] for r in records] == [f"{BASE}/userinfo"]
    assert records[0]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert records[0]["status"] == 200
    assert records[0]["username"] == "alice"
    assert token not in str(records)


def test_an_id_token_is_not_an_access_token(client: TestClient) -> None:
    id_token = password_grant(client, "alice")["id_token"]

    userinfo = client.get(f"{BASE}/userinfo", headers=bearer(id_token))
    introspected = client.post(f"{BASE}/introspect", data={"token": id_token}, auth=UDR)

    assert userinfo.status_code == 401
    assert introspected.json() == {"active": False}
