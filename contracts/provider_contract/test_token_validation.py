"""What a UDR asks the provider in steps 5 and 6: userinfo, introspection, revocation,
and the `keystoneid` claim bound to the token."""

from __future__ import annotations

import secrets

import pytest
from jose import jwt

from contracts.checks import (
    describe,
    expect_bearer_challenge,
    expect_oauth_error,
    expect_status,
    json_body,
)
from contracts.oidc import FlowError, ProviderClient, TokenSet
from contracts.target import Client, Target, User

pytestmark = pytest.mark.provider_contract


@pytest.fixture(scope="module")
def introspection_client(target: Target) -> Client:
    chosen = target.introspection_client or target.client
    if chosen is None:
        pytest.skip("no client to introspect with (--introspection-client-id)")
    return chosen


def test_oidc_core_5_3_userinfo_with_valid_token(
    provider: ProviderClient, fresh_tokens: TokenSet
) -> None:
    """Userinfo answers a valid access token 200 with a JSON object holding `sub`."""
    response = provider.userinfo(fresh_tokens.access_token)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict) and body.get("sub"), f"no sub: {describe(response)}"


def test_rfc6750_3_userinfo_without_token_401_challenge(
    provider: ProviderClient,
) -> None:
    """Userinfo without a token: 401 with a `WWW-Authenticate: Bearer` challenge."""
    response = provider.userinfo(None)
    expect_status(response, 401)
    expect_bearer_challenge(response)


def test_rfc6750_3_1_userinfo_invalid_token(provider: ProviderClient) -> None:
    """Userinfo with an unknown token answers 401, `error="invalid_token"`."""
    response = provider.userinfo(secrets.token_urlsafe(32))
    expect_status(response, 401)
    expect_bearer_challenge(response, "invalid_token")


def test_step6_keystoneid_claim_in_userinfo(
    provider: ProviderClient, fresh_tokens: TokenSet, user: User
) -> None:
    """With scope `keystoneid`, userinfo releases the user's `keystoneid` string."""
    body = json_body(provider.userinfo(fresh_tokens.access_token))
    assert isinstance(body, dict), "userinfo answered no JSON object"
    assert "keystoneid" in body, f"userinfo lacks keystoneid: keys {sorted(body)}"
    assert isinstance(body["keystoneid"], str), f"keystoneid is not a string: {body}"
    if user.keystoneid:
        assert body["keystoneid"] == user.keystoneid, (
            f"userinfo keystoneid {body['keystoneid']!r}, expected {user.keystoneid!r}"
        )


def test_step6_keystoneid_not_released_without_its_scope(
    provider: ProviderClient, client: Client, user: User, target: Target
) -> None:
    """Without the `keystoneid` scope, neither userinfo nor the id token carries it."""
    try:
        tokens = provider.user_tokens(
            client, user, redirect_uri=target.redirect_uri, scope="openid"
        )
    except FlowError as exc:
        pytest.fail(f"could not obtain a token for scope openid alone: {exc}")
    body = json_body(provider.userinfo(tokens.access_token))
    assert isinstance(body, dict) and "keystoneid" not in body, (
        f"keystoneid released without its scope: {body}"
    )
    if tokens.id_token:
        claims = jwt.get_unverified_claims(tokens.id_token)
        assert "keystoneid" not in claims, (
            "the id token carries keystoneid without scope"
        )


def test_openam_keystoneid_in_id_token(fresh_tokens: TokenSet, user: User) -> None:
    """Like OpenAM, the id token carries `keystoneid` when its scope was granted."""
    if fresh_tokens.id_token is None:
        pytest.fail("the token response for scope openid holds no id_token")
    claims = jwt.get_unverified_claims(fresh_tokens.id_token)
    if "keystoneid" not in claims:
        pytest.skip(
            "differs from OpenAM: the id token carries no scope claims (OpenID Connect "
            "Core 5.4 allows this when an access token is issued); userinfo has them"
        )
    if user.keystoneid:
        assert claims["keystoneid"] == user.keystoneid, f"id token keystoneid: {claims}"


def test_rfc7662_2_2_unknown_token_inactive(
    provider: ProviderClient, introspection_client: Client
) -> None:
    """Introspecting a token never issued answers 200 `{"active": false}`."""
    response = provider.introspect(secrets.token_urlsafe(32), introspection_client)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict) and body.get("active") is False, (
        f"expected active: false, got {describe(response)}"
    )


def test_rfc7662_2_2_valid_token_active(
    provider: ProviderClient, introspection_client: Client, fresh_tokens: TokenSet
) -> None:
    """Introspecting a fresh access token answers `active: true` (a boolean)."""
    response = provider.introspect(fresh_tokens.access_token, introspection_client)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict) and body.get("active") is True, (
        f"expected active: true, got {describe(response)}"
    )


def test_rfc7662_2_1_introspection_requires_client_authentication(
    provider: ProviderClient, fresh_tokens: TokenSet
) -> None:
    """Introspection refuses a caller that does not authenticate (401)."""
    response = provider.introspect(fresh_tokens.access_token, None)
    expect_status(response, 400, 401)
    body = json_body(response)
    assert not (isinstance(body, dict) and body.get("active") is True), (
        "introspection told an anonymous caller the token is active: "
        f"{describe(response)}"
    )


def test_rfc7009_2_revoked_token_rejected_by_userinfo(
    provider: ProviderClient, client: Client, fresh_tokens: TokenSet
) -> None:
    """After revocation (200), userinfo refuses the token 401 `invalid_token`."""
    response = provider.revoke(fresh_tokens.access_token, client, "access_token")
    expect_status(response, 200)
    after = provider.userinfo(fresh_tokens.access_token)
    expect_status(after, 401, why="the token was revoked")
    expect_bearer_challenge(after, "invalid_token")


def test_rfc7009_2_revoked_token_inactive_at_introspection(
    provider: ProviderClient,
    client: Client,
    introspection_client: Client,
    fresh_tokens: TokenSet,
) -> None:
    """After revocation, introspection answers `active: false`."""
    expect_status(
        provider.revoke(fresh_tokens.access_token, client, "access_token"), 200
    )
    response = provider.introspect(fresh_tokens.access_token, introspection_client)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict) and body.get("active") is False, (
        f"a revoked token is still active: {describe(response)}"
    )


def test_rfc7009_2_2_unknown_token_revocation_200(
    provider: ProviderClient, client: Client
) -> None:
    """Revoking a token the provider does not know still answers 200."""
    response = provider.revoke(secrets.token_urlsafe(32), client)
    expect_status(response, 200)


def test_rfc7009_2_1_revocation_requires_client_authentication(
    provider: ProviderClient, fresh_tokens: TokenSet
) -> None:
    """Revocation by an unknown client is refused `invalid_client`; the token lives."""
    endpoint = provider.endpoint("revocation_endpoint")
    if endpoint is None:
        pytest.fail("discovery names no revocation_endpoint")
    response = provider.http.post(
        endpoint, data={"token": fresh_tokens.access_token}, auth=("nobody", "nothing")
    )
    expect_oauth_error(response, (400, 401), "invalid_client")
    expect_status(provider.userinfo(fresh_tokens.access_token), 200)


def test_rfc6750_3_1_userinfo_expired_token(
    provider: ProviderClient, expired_token: str
) -> None:
    """Userinfo refuses an expired token 401 `invalid_token`."""
    response = provider.userinfo(expired_token)
    expect_status(response, 401)
    expect_bearer_challenge(response, "invalid_token")


def test_rfc7662_2_2_expired_token_inactive(
    provider: ProviderClient, introspection_client: Client, expired_token: str
) -> None:
    """Introspecting an expired token answers `active: false`."""
    response = provider.introspect(expired_token, introspection_client)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict) and body.get("active") is False, (
        f"an expired token is still active: {describe(response)}"
    )
