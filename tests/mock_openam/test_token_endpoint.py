"""The token endpoint: each grant, client authentication, and RFC 6749 errors."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from mock_openam import Settings, create_app
from mock_openam.config import Client, ProviderConfig

from .conftest import (
    BASE,
    COLLECTOR,
    DASHBOARD,
    ISSUER,
    KEYSTONEIDS,
    PASSWORDS,
    FakeClock,
    bearer,
    password_grant,
)

TOKEN_URL = f"{BASE}/access_token"


def verified_claims(client: TestClient, token: str) -> dict[str, Any]:
    """The claims of `token`, verified against the published JWKS by joserfc."""
    keys = KeySet.import_key_set(client.get(f"{BASE}/connect/jwk_uri").json())
    claims: dict[str, Any] = jwt.decode(token, keys).claims
    return claims


def test_password_grant_answers_access_id_and_refresh_tokens(
    client: TestClient,
) -> None:
    body = password_grant(client, "alice")

    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "refresh_token",
        "id_token",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid profile email keystoneid"


def test_password_grant_access_token_is_a_signed_jwt_with_keystoneid(
    client: TestClient,
) -> None:
    body = password_grant(client, "bob")

    claims = verified_claims(client, body["access_token"])

    assert claims["iss"] == ISSUER
    assert claims["sub"] == "bob"
    assert claims["aud"] == "dashboard"
    assert claims["client_id"] == "dashboard"
    assert claims["scope"] == "openid profile email keystoneid"
    assert claims["keystoneid"] == KEYSTONEIDS["bob"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


def test_password_grant_id_token_carries_keystoneid_and_at_hash(
    client: TestClient,
) -> None:
    body = password_grant(client, "carol")

    claims = verified_claims(client, body["id_token"])

    assert claims["iss"] == ISSUER
    assert claims["sub"] == "carol"
    assert claims["aud"] == "dashboard"
    assert claims["keystoneid"] == KEYSTONEIDS["carol"]
    assert claims["email"] == "carol@example.org"
    assert claims["at_hash"]


def test_password_grant_without_keystoneid_scope_releases_no_keystoneid(
    client: TestClient,
) -> None:
    body = password_grant(client, "alice", scope="openid profile")

    assert "keystoneid" not in verified_claims(client, body["id_token"])
    assert "keystoneid" not in verified_claims(client, body["access_token"])


def test_password_grant_accepts_client_secret_post(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "password",
            "username": "dave",
            "password": PASSWORDS["dave"],
            "client_id": DASHBOARD[0],
            "client_secret": DASHBOARD[1],
        },
    )

    assert response.status_code == 200
    assert verified_claims(client, response.json()["access_token"])["sub"] == "dave"


def test_client_credentials_grant_answers_a_token_for_the_client(
    client: TestClient,
) -> None:
    response = client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=COLLECTOR
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "udr:write"
    claims = verified_claims(client, body["access_token"])
    assert (claims["sub"], claims["client_id"]) == ("collector", "collector")


def test_refresh_token_grant_rotates_the_refresh_token(client: TestClient) -> None:
    first = password_grant(client, "alice")

    refreshed = client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    reused = client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )

    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != first["refresh_token"]
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token is invalid",
    }


def refresh(client: TestClient, token: str) -> Any:
    return client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={"grant_type": "refresh_token", "refresh_token": token},
    )


def test_reused_refresh_token_revokes_the_whole_grant_per_rfc9700_4_14_2(
    client: TestClient,
) -> None:
    first = password_grant(client, "alice")
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    userinfo = f"{BASE}/userinfo"
    assert client.get(userinfo, headers=bearer(rotated["access_token"])).is_success

    reused = refresh(client, first["refresh_token"])

    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert refresh(client, rotated["refresh_token"]).status_code == 400
    for token in (first["access_token"], rotated["access_token"]):
        response = client.get(userinfo, headers=bearer(token))
        assert response.status_code == 401
    introspected = client.post(
        f"{BASE}/introspect", auth=DASHBOARD, data={"token": rotated["refresh_token"]}
    )
    assert introspected.json() == {"active": False}


def test_refresh_token_of_another_client_revokes_nothing(client: TestClient) -> None:
    tokens = password_grant(client, "alice")

    stolen = client.post(
        TOKEN_URL,
        auth=COLLECTOR,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )

    assert stolen.status_code in (400, 401)
    assert refresh(client, tokens["refresh_token"]).status_code == 200


def test_refresh_token_grant_may_narrow_the_scope(client: TestClient) -> None:
    first = password_grant(client, "alice")

    response = client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "openid",
        },
    )

    assert response.status_code == 200
    claims = verified_claims(client, response.json()["access_token"])
    assert claims["scope"] == "openid"
    assert "keystoneid" not in claims


def test_refresh_token_grant_refuses_a_wider_scope(client: TestClient) -> None:
    first = password_grant(client, "alice", scope="openid")

    response = client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "openid keystoneid",
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("form", "error", "description"),
    [
        (
            {"grant_type": "password", "username": "alice", "password": "wrong"},
            "invalid_grant",
            "Authentication failed",
        ),
        (
            {"grant_type": "password", "username": "nobody", "password": "wrong"},
            "invalid_grant",
            "Authentication failed",
        ),
        (
            {"grant_type": "password", "username": "alice", "password": ""},
            "invalid_request",
            "missing parameter password",
        ),
        (
            {"grant_type": "password", "password": "x"},
            "invalid_request",
            "missing parameter username",
        ),
        (
            {"grant_type": "implicit"},
            "unsupported_grant_type",
            "the grant type is not supported",
        ),
        ({"username": "alice"}, "invalid_request", "missing parameter grant_type"),
        (
            {"grant_type": "client_credentials"},
            "unauthorized_client",
            "the client may not use this grant type",
        ),
        (
            {
                "grant_type": "password",
                "username": "alice",
                "password": PASSWORDS["alice"],
                "scope": "openid admin",
            },
            "invalid_scope",
            "the requested scope is not allowed",
        ),
        (
            {
                "grant_type": "password",
                "username": "alice",
                "password": PASSWORDS["alice"],
                "scope": 'openid "x',
            },
            "invalid_scope",
            "the scope is malformed",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "bogus"},
            "invalid_grant",
            "the refresh token is invalid",
        ),
        (
            {"grant_type": "authorization_code", "code": "bogus"},
            "invalid_grant",
            "the code is invalid",
        ),
    ],
)
def test_token_endpoint_refuses_bad_grants_with_rfc6749_errors(
    client: TestClient, form: dict[str, str], error: str, description: str
) -> None:
    response = client.post(TOKEN_URL, data=form, auth=DASHBOARD)

    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("auth", "form"),
    [
        (("dashboard", "wrong"), {}),
        (("nobody", "wrong"), {}),
        (None, {"client_id": "dashboard", "client_secret": "wrong"}),
        (None, {"client_id": "dashboard"}),
        (None, {}),
    ],
)
def test_token_endpoint_refuses_bad_client_auth_with_401(
    client: TestClient, auth: tuple[str, str] | None, form: dict[str, str]
) -> None:
    data = {
        "grant_type": "password",
        "username": "alice",
        "password": PASSWORDS["alice"],
        **form,
    }

    response = client.post(TOKEN_URL, data=data, auth=auth)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="/"'


def test_token_endpoint_refuses_two_client_auth_methods(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={"grant_type": "client_credentials", "client_secret": DASHBOARD[1]},
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "use one client authentication method",
    }


def test_password_grant_never_accepts_another_users_password(
    client: TestClient,
) -> None:
    response = client.post(
        TOKEN_URL,
        auth=DASHBOARD,
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORDS["bob"],
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_password_grant_locks_a_username_after_repeated_failures(
    client: TestClient,
) -> None:
    wrong = {"grant_type": "password", "username": "bob", "password": "guess"}
    for _ in range(5):
        assert client.post(TOKEN_URL, data=wrong, auth=DASHBOARD).status_code == 400

    right = {**wrong, "password": PASSWORDS["bob"]}
    response = client.post(TOKEN_URL, data=right, auth=DASHBOARD)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Authentication failed",
    }


def test_password_grant_lockout_ends_after_the_lockout_period(
    client: TestClient, clock: Any
) -> None:
    wrong = {"grant_type": "password", "username": "bob", "password": "guess"}
    for _ in range(5):
        client.post(TOKEN_URL, data=wrong, auth=DASHBOARD)

    clock.advance(61)

    password_grant(client, "bob")


def test_login_failure_limit_zero_turns_the_lockout_off(
    rsa_key_file: Path, clock: FakeClock
) -> None:
    settings = Settings(key_file=rsa_key_file, login_failure_limit=0)
    wrong = {"grant_type": "password", "username": "bob", "password": "guess"}

    with TestClient(create_app(settings, clock=clock)) as client:
        for _ in range(20):
            assert client.post(TOKEN_URL, data=wrong, auth=DASHBOARD).status_code == 400

        password_grant(client, "bob")


def test_basic_credentials_are_form_urlencoded_per_rfc6749_2_3_1(
    settings: Settings, clock: FakeClock
) -> None:
    secret = "s3cr:t+with/odd&chars é"
    config = ProviderConfig(
        clients=(
            Client(
                client_id="odd:client",
                client_secret=secret,
                grant_types=("client_credentials",),
                scopes=("udr:write",),
            ),
        )
    )
    encoded = base64.b64encode(
        f"{quote_plus('odd:client')}:{quote_plus(secret)}".encode()
    ).decode()

    with TestClient(create_app(settings, config=config, clock=clock)) as client:
        response = client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {encoded}"},
        )

    assert response.status_code == 200
    assert verified_claims(client, response.json()["access_token"])["sub"] == (
        "odd:client"
    )
