"""Discovery, the JWKS, realms and the health endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from mock_openam import Settings, create_app
from mock_openam.config import ConfigError
from mock_openam.settings import DEMO_CONFIG

from .conftest import BASE, ISSUER, bearer, password_grant

REALM_BASE = "/openam/oauth2/realms/root/realms/customers"


def test_health_answers_ok(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_discovery_issuer_is_the_url_it_is_served_under(client: TestClient) -> None:
    body = client.get(f"{BASE}/.well-known/openid-configuration").json()

    assert body["issuer"] == ISSUER
    assert body["token_endpoint"] == f"{ISSUER}/access_token"
    assert body["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert body["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert body["introspection_endpoint"] == f"{ISSUER}/introspect"
    assert body["revocation_endpoint"] == f"{ISSUER}/token/revoke"
    assert body["end_session_endpoint"] == f"{ISSUER}/connect/endSession"
    assert body["jwks_uri"] == f"{ISSUER}/connect/jwk_uri"


def test_discovery_announces_keystoneid_scope_and_claim(client: TestClient) -> None:
    body = client.get(f"{BASE}/.well-known/openid-configuration").json()

    assert {"openid", "keystoneid"} <= set(body["scopes_supported"])
    assert "keystoneid" in body["claims_supported"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }


def test_discovery_in_a_realm_has_the_realm_issuer(client: TestClient) -> None:
    body = client.get(f"{REALM_BASE}/.well-known/openid-configuration").json()

    assert body["issuer"] == f"http://127.0.0.1:8080{REALM_BASE}"
    assert body["token_endpoint"] == f"http://127.0.0.1:8080{REALM_BASE}/access_token"


def test_jwks_holds_only_public_keys_with_kid(client: TestClient) -> None:
    keys = client.get(f"{BASE}/connect/jwk_uri").json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["kid"]
    assert keys[0]["use"] == "sig"
    assert keys[0]["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(keys[0])


def test_realm_tokens_are_not_valid_in_another_realm(client: TestClient) -> None:
    token = password_grant(client, "alice", prefix=REALM_BASE)["access_token"]

    in_realm = client.get(f"{REALM_BASE}/userinfo", headers=bearer(token))
    at_root = client.get(f"{BASE}/userinfo", headers=bearer(token))

    assert in_realm.status_code == 200
    assert at_root.status_code == 401


@pytest.mark.parametrize("realm", ["-x", "a b", "x" * 65, "%00"])
def test_malformed_realm_names_are_not_found(client: TestClient, realm: str) -> None:
    response = client.get(
        f"/openam/oauth2/realms/root/realms/{realm}/.well-known/openid-configuration"
    )

    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "error_description": "no such realm",
    }


def test_es256_tokens_verify_against_the_ec_jwks() -> None:
    app = create_app(Settings(signing_alg="ES256"))
    with TestClient(app) as client:
        tokens = password_grant(client, "bob")
        jwks = client.get(f"{BASE}/connect/jwk_uri").json()
        info = client.get(f"{BASE}/userinfo", headers=bearer(tokens["access_token"]))

    keys = KeySet.import_key_set(jwks)
    for token in (tokens["access_token"], tokens["id_token"]):
        decoded = jwt.decode(token, keys)
        assert decoded.header["alg"] == "ES256"
        assert decoded.claims["sub"] == "bob"
    assert info.status_code == 200


def test_es256_signs_with_an_ec_key() -> None:
    app = create_app(Settings(signing_alg="ES256"))
    with TestClient(app) as client:
        keys = client.get(f"{BASE}/connect/jwk_uri").json()["keys"]
        discovery = client.get(f"{BASE}/.well-known/openid-configuration").json()

    assert [(k["kty"], k["crv"], k["alg"]) for k in keys] == [("EC", "P-256", "ES256")]
    assert discovery["id_token_signing_alg_values_supported"] == ["ES256"]


def test_deployment_path_is_a_setting(tmp_path: Path, rsa_key_file: Path) -> None:
    config = tmp_path / "provider.yaml"
    config.write_text(DEMO_CONFIG.read_text())
    settings = Settings(
        deployment_path="/am/",
        public_url="https://idp.test/",
        config_file=config,
        key_file=rsa_key_file,
    )
    with TestClient(create_app(settings)) as client:
        body = client.get("/am/oauth2/.well-known/openid-configuration").json()

    assert body["issuer"] == "https://idp.test/am/oauth2"


def test_demo_config_is_refused_off_loopback(rsa_key_file: Path) -> None:
    settings = Settings(public_url="https://idp.example.org", key_file=rsa_key_file)

    with pytest.raises(ConfigError, match="demo config"):
        create_app(settings)
