"""Steps 5-8 in every validation mode: who may read which keystoneid's usage."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.udr.conftest import MODES, PERIOD, MakeClient, bearer
from tests.udr.fake_provider import FakeProvider

pytestmark = pytest.mark.parametrize("mode", MODES)

DENIED = {
    "error": "access_denied",
    "error_description": "the token does not grant access to this keystoneid",
}
UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "the provider gave no usable answer",
}


def _get(client: TestClient, keystoneid: str, token: str) -> Response:
    return client.get(
        f"/usage/users/{keystoneid}", params=PERIOD, headers=bearer(token)
    )


@pytest.mark.step(8)
def test_usage_served_to_the_owner(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)

    response = _get(client, "k-alice", provider.mint())

    assert response.status_code == 200
    body = response.json()
    assert body["keystoneid"] == "k-alice"
    assert {m["name"] for m in body["meters"]} == {"cpu_util", "network.incoming.bytes"}


@pytest.mark.step(7)
@pytest.mark.attack("other-users-token")
def test_another_users_token_on_your_id_is_denied(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)
    bobs = provider.mint(sub="bob", claims={"keystoneid": "k-bob"})

    response = _get(client, "k-alice", bobs)

    assert response.status_code == 403
    assert response.json() == DENIED
    assert "www-authenticate" not in response.headers


@pytest.mark.step(7)
@pytest.mark.attack("id-variants")
@pytest.mark.parametrize(
    "asked",
    [
        "k-bob",  # another existing account
        "k-nobody",  # an account that does not exist
        "K-ALICE",  # case changed
        "k-alice ",  # trailing space
        " k-alice",  # leading space
        "k-alice%20",  # URL-encoded trailing space
        "k\u2010alice",  # unicode hyphen look-alike
        "k-\u0430lice",  # Cyrillic a
        "k-alice\u200b",  # zero-width space
        "k-alice.",
        "k-alic",  # a prefix
    ],
)
def test_your_token_on_another_id_is_denied(
    mode: str, asked: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)

    response = _get(client, asked, provider.mint())

    assert response.status_code == 403
    assert response.json() == DENIED


@pytest.mark.step(7)
def test_url_encoded_path_is_compared_after_decoding(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)

    response = _get(client, "k%2Dalice", provider.mint())  # %2D is "-"

    assert response.status_code == 200
    assert response.json()["keystoneid"] == "k-alice"


@pytest.mark.step(7)
@pytest.mark.attack("numeric-id")
def test_numeric_claim_does_not_match_string_id(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)
    token = provider.mint(claims={"keystoneid": 12345})

    response = _get(client, "12345", token)

    assert response.status_code == 403
    assert response.json() == DENIED


@pytest.mark.step(7)
def test_token_without_the_claim_is_denied(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)
    token = provider.mint(claims={}, scope="openid")

    response = _get(client, "k-alice", token)

    assert response.status_code == 403
    assert response.json() == DENIED


@pytest.mark.step(7)
def test_denial_is_audited_without_the_token(
    mode: str,
    provider: FakeProvider,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(validation_mode=mode)
    token = provider.mint()

    with caplog.at_level(logging.INFO):
        _get(client, "k-bob", token)

    audit = [r.getMessage() for r in caplog.records if r.name == "udr.audit"]
    assert audit == [
        "access denied: sub='alice' client='dashboard' asked='k-bob': "
        "the token is bound to keystoneid 'k-alice'"
    ]
    assert all(token not in r.getMessage() for r in caplog.records)


@pytest.mark.step(5)
def test_refused_token_is_audited_without_the_token(
    mode: str, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(validation_mode=mode)

    with caplog.at_level(logging.INFO):
        _get(client, "k-alice", "forged.token.value")

    audit = [r.getMessage() for r in caplog.records if r.name == "udr.audit"]
    assert len(audit) == 1
    assert audit[0].startswith("token refused: asked='k-alice': ")
    assert all("forged.token.value" not in r.getMessage() for r in caplog.records)


@pytest.mark.step(5)
@pytest.mark.attack("expired")
def test_expired_token_is_refused(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode, jwt_leeway=0)
    token = provider.mint(lifetime=-120)

    response = _get(client, "k-alice", token)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.step(5)
@pytest.mark.attack("unknown-token")
def test_token_the_provider_never_issued_is_refused(
    mode: str, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode)

    response = _get(client, "k-alice", "not-a-token-anyone-issued")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.step(6)
@pytest.mark.attack("provider-down")
@pytest.mark.parametrize(
    "fault", ["error", "garbage", "non-object", "slow", "drip", "huge", "not-found"]
)
def test_provider_failure_fails_closed(
    mode: str, fault: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode=mode, provider_timeout=1.0)
    token = provider.mint()
    provider.behaviour.fault = fault

    response = _get(client, "k-alice", token)

    assert response.status_code == 503
    late = {"error_description": "the provider did not answer in time"}
    slow = fault in ("slow", "drip")
    assert response.json() == (UNAVAILABLE | late if slow else UNAVAILABLE)
    assert response.headers["retry-after"] == "5"


@pytest.mark.step(6)
@pytest.mark.attack("provider-down")
def test_provider_unreachable_fails_closed(
    mode: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    from e2e.processes import free_port

    token = provider.mint()
    nowhere = f"http://127.0.0.1:{free_port()}/openam/oauth2"
    client = make_client(validation_mode=mode, issuer=nowhere)

    response = _get(client, "k-alice", token)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert "meters" not in response.text
