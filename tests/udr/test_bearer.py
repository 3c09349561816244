"""Step 4: the token comes from the Authorization header, once, as `Bearer <token>`."""

from __future__ import annotations

import pytest

from tests.udr.conftest import PERIOD, MakeClient
from tests.udr.fake_provider import FakeProvider

URL = "/usage/users/k-alice"
# RFC 6750 section 3.1: no error code when the request had no credentials; the body
# keeps every refusal's shape but names none of the RFC's codes either.
MISSING = {
    "error": "unauthorized",
    "error_description": "the request carries no bearer token",
}


@pytest.mark.step(4)
def test_request_without_token_gets_a_bare_bearer_challenge(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    response = make_client().get(URL, params=PERIOD)

    assert response.status_code == 401
    assert response.json() == MISSING
    # RFC 6750 section 3.1: no error code when the request had no credentials.
    assert response.headers["www-authenticate"] == 'Bearer realm="udr"'
    assert provider.calls == []


@pytest.mark.step(4)
@pytest.mark.attack("token-in-query")
@pytest.mark.parametrize("with_header", [False, True])
def test_token_in_query_string_is_refused(
    with_header: bool, provider: FakeProvider, make_client: MakeClient
) -> None:
    token = provider.mint()
    headers = {"Authorization": f"Bearer {token}"} if with_header else {}

    response = make_client().get(
        URL, params={**PERIOD, "access_token": token}, headers=headers
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "send the access token in the Authorization header only",
    }
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    assert provider.calls == []


@pytest.mark.step(4)
@pytest.mark.attack("two-authorization-headers")
def test_two_authorization_headers_are_refused(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    mine, theirs = (
        provider.mint(),
        provider.mint(sub="bob", claims={"keystoneid": "k-bob"}),
    )
    headers = [
        ("Authorization", f"Bearer {theirs}"),
        ("Authorization", f"Bearer {mine}"),
    ]

    response = make_client().get(URL, params=PERIOD, headers=headers)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the request carries more than one Authorization header",
    }
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert provider.calls == []


@pytest.mark.step(4)
@pytest.mark.parametrize(
    "header",
    [
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer\ttoken",
        "Token abc",
        "Bearer abc,def",
        "Bearer abc\u00e9".encode(),
        "Bearer =abc",
        "Bearer " + "a" * 8193,
    ],
)
def test_malformed_authorization_header_is_invalid_token(
    header: str | bytes, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client()

    response = client.get(URL, params=PERIOD, headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith('Bearer realm="udr", error=')
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert provider.calls == []


@pytest.mark.step(4)
@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_scheme_is_case_insensitive(
    scheme: str, provider: FakeProvider, make_client: MakeClient
) -> None:
    token = provider.mint()

    response = make_client().get(
        URL, params=PERIOD, headers={"Authorization": f"{scheme} {token}"}
    )

    assert response.status_code == 200
