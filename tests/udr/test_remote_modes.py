"""Userinfo, introspection and tokeninfo: what the provider's answers may and may not
make the UDR do."""

from __future__ import annotations

import pytest
from httpx import Response

from tests.udr.conftest import PERIOD, MakeClient, bearer
from tests.udr.fake_provider import FakeProvider

REMOTE = ("userinfo", "introspection", "tokeninfo")
URL = "/usage/users/k-alice"
UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "the provider gave no usable answer",
}


def _invalid(response: Response, description: str) -> None:
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": description,
    }
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.step(6)
@pytest.mark.attack("revoked")
@pytest.mark.parametrize("mode", REMOTE)
def test_revoked_token_is_refused(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)
    token = provider.mint()
    assert client.get(URL, params=PERIOD, headers=bearer(token)).status_code == 200

    provider.revoke(token)
    response = client.get(URL, params=PERIOD, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.step(6)
@pytest.mark.attack("sub-mismatch")
def test_userinfo_for_another_subject_than_the_token_is_refused(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="userinfo")
    provider.behaviour.answers["userinfo"] = (
        200,
        {"sub": "bob", "keystoneid": "k-alice"},
    )

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    _invalid(response, "the token's subject is not the provider's")


@pytest.mark.step(6)
@pytest.mark.parametrize(
    "answer",
    [
        {"keystoneid": "k-alice"},
        {"sub": "", "keystoneid": "k-alice"},
        {"sub": 7, "keystoneid": "k-alice"},
    ],
)
def test_userinfo_without_a_subject_is_unusable(
    answer: dict[str, object], provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="userinfo")
    provider.behaviour.answers["userinfo"] = (200, answer)

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


@pytest.mark.step(6)
@pytest.mark.parametrize("active", ["true", 1, None, "yes", [True]])
def test_only_boolean_true_is_active(
    active: object, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="introspection")
    answer = {"active": active, "sub": "alice", "keystoneid": "k-alice"}
    provider.behaviour.answers["introspect"] = (200, answer)

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    _invalid(response, "the token is not active")


@pytest.mark.step(6)
@pytest.mark.parametrize(
    ("change", "description"),
    [
        (
            {"iss": "http://127.0.0.1:1/openam/oauth2"},
            "the token was issued by another provider",
        ),
        ({"exp": 1_000_000}, "the token has expired"),
        ({"token_type": "refresh_token"}, "the token is not an access token"),
    ],
)
def test_introspection_answer_is_checked(
    change: dict[str, object],
    description: str,
    provider: FakeProvider,
    make_client: MakeClient,
) -> None:
    client = make_client(validation_mode="introspection")
    answer = {"active": True, "sub": "alice", "keystoneid": "k-alice", **change}
    provider.behaviour.answers["introspect"] = (200, answer)

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    _invalid(response, description)


@pytest.mark.step(6)
def test_introspection_with_wrong_udr_credentials_is_unavailable(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="introspection", client_secret="wrong")

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


@pytest.mark.step(6)
def test_introspection_without_claims_reads_them_from_userinfo(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="introspection")
    provider.behaviour.introspection_claims = False

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    assert response.status_code == 200
    assert provider.count("introspect") == 1
    assert provider.count("userinfo") == 1


@pytest.mark.step(6)
@pytest.mark.attack("sub-mismatch")
def test_introspection_and_userinfo_disagreeing_on_subject_is_refused(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="introspection")
    provider.behaviour.introspection_claims = False
    provider.behaviour.answers["userinfo"] = (
        200,
        {"sub": "bob", "keystoneid": "k-alice"},
    )

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    _invalid(response, "the token's subject is not the provider's")


@pytest.mark.step(6)
@pytest.mark.parametrize("expires_in", [0, -5])
def test_tokeninfo_for_an_expired_token_is_refused(
    expires_in: int, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="tokeninfo")
    answer = {
        "scope": ["openid", "keystoneid"],
        "keystoneid": "k-alice",
        "expires_in": expires_in,
    }
    provider.behaviour.answers["tokeninfo"] = (200, answer)

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    _invalid(response, "the token has expired")


@pytest.mark.step(6)
def test_tokeninfo_empty_claim_for_a_granted_scope_is_denied(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    """OpenAM answers each granted scope as a key, "" when the user has no value."""
    client = make_client(validation_mode="tokeninfo")
    answer = {"scope": ["openid", "keystoneid"], "keystoneid": "", "expires_in": 60}
    provider.behaviour.answers["tokeninfo"] = (200, answer)

    response = client.get(
        "/usage/users/", params=PERIOD, headers=bearer(provider.mint())
    )
    assert response.status_code == 404  # an empty id is no route at all
    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    assert response.status_code == 403


@pytest.mark.step(5)
@pytest.mark.parametrize("mode", [*REMOTE, "jwt"])
def test_discovery_naming_another_issuer_is_unusable(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)
    provider.behaviour.issuer_override = provider.issuer + "/"

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    if mode == "tokeninfo":  # tokeninfo is not found through discovery
        assert response.status_code == 200
        return
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


@pytest.mark.step(6)
@pytest.mark.parametrize(
    ("mode", "endpoint"),
    [
        ("userinfo", "userinfo"),
        ("introspection", "introspect"),
        ("tokeninfo", "tokeninfo"),
        ("jwt", "jwks"),
    ],
)
@pytest.mark.parametrize("status", [500, 502, 404, 429])
def test_provider_error_status_is_unavailable(
    mode: str,
    endpoint: str,
    status: int,
    provider: FakeProvider,
    make_client: MakeClient,
) -> None:
    client = make_client(validation_mode=mode)
    provider.behaviour.answers[endpoint] = (status, {"error": "server_error"})

    response = client.get(URL, params=PERIOD, headers=bearer(provider.mint()))

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
