"""The token endpoint: answers (RFC 6749 section 5.1) and errors (section 5.2)."""

from __future__ import annotations

import secrets

import pytest

from contracts.checks import describe, expect_oauth_error, expect_status, json_body
from contracts.oidc import ProviderClient
from contracts.target import Client, Target, User

pytestmark = pytest.mark.provider_contract

NO_PASSWORD_GRANT = (
    "differs from OpenAM: the provider does not offer the resource owner password "
    "grant "
    "(RFC 9700 section 2.4 deprecates it); OpenAM's step 2 uses it"
)


@pytest.fixture
def password_grant(provider: ProviderClient) -> None:
    if not provider.offers_password_grant:
        pytest.skip(NO_PASSWORD_GRANT)


@pytest.fixture(scope="module")
def spare_user(target: Target, user: User) -> User:
    """The user whose failed logins the suite spends: the last one known.

    Providers throttle failed logins per user; spending them on the main test user
    could lock it out for the rest of the run.
    """
    return target.users[-1] if len(target.users) > 1 else user


def _wrong_password(user: User) -> User:
    return User(user.username, user.password + "-wrong", user.keystoneid)


def test_rfc6749_5_1_token_response_not_cached(
    provider: ProviderClient, client: Client, user: User, password_grant: None
) -> None:
    """A token response is JSON, `token_type` Bearer, with `Cache-Control: no-store`."""
    response = provider.password_grant(client, user)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict), f"not a JSON object: {describe(response)}"
    assert str(body.get("token_type", "")).lower() == "bearer", f"token_type: {body}"
    assert "no-store" in response.headers.get("cache-control", ""), (
        f"Cache-Control is {response.headers.get('cache-control')!r}, not no-store"
    )


def test_rfc6749_5_2_invalid_grant_wrong_password(
    provider: ProviderClient, client: Client, spare_user: User, password_grant: None
) -> None:
    """A wrong password is refused 400 `invalid_grant`."""
    response = provider.password_grant(client, _wrong_password(spare_user))
    expect_oauth_error(response, 400, "invalid_grant")


def test_rfc6749_5_2_unknown_user_answered_like_wrong_password(
    provider: ProviderClient, client: Client, spare_user: User, password_grant: None
) -> None:
    """An unknown user gets the answer a wrong password gets: no user enumeration."""
    unknown = User(f"nobody-{secrets.token_hex(4)}", "whatever-password", "")
    unknown_answer = provider.password_grant(client, unknown)
    wrong_answer = provider.password_grant(client, _wrong_password(spare_user))
    expect_oauth_error(unknown_answer, 400, "invalid_grant")
    assert unknown_answer.status_code == wrong_answer.status_code, (
        f"{describe(unknown_answer)} vs {describe(wrong_answer)}"
    )
    assert json_body(unknown_answer) == json_body(wrong_answer), (
        f"the bodies tell an unknown user from a wrong password: "
        f"{unknown_answer.text!r} vs {wrong_answer.text!r}"
    )


def test_rfc6749_5_2_unsupported_grant_type(
    provider: ProviderClient, client: Client
) -> None:
    """An unknown grant type is refused 400 `unsupported_grant_type`."""
    response = provider.token_request(
        {"grant_type": "urn:example:no-such-grant"}, client
    )
    expect_oauth_error(response, 400, "unsupported_grant_type")


def test_rfc6749_5_2_missing_grant_type_invalid_request(
    provider: ProviderClient, client: Client
) -> None:
    """A request without `grant_type` is refused 400 `invalid_request`."""
    response = provider.token_request({"scope": "openid"}, client)
    expect_oauth_error(response, 400, "invalid_request", "unsupported_grant_type")


def test_rfc6749_5_2_invalid_client_basic_gets_401_challenge(
    provider: ProviderClient, client: Client, user: User
) -> None:
    """A wrong client secret by HTTP Basic: 401 `invalid_client` with a challenge."""
    wrong = Client(client.client_id, client.client_secret + "-wrong")
    form = {"grant_type": "refresh_token", "refresh_token": secrets.token_urlsafe(24)}
    response = provider.token_request(form, wrong)
    expect_oauth_error(response, 401, "invalid_client")
    challenge = response.headers.get("www-authenticate", "")
    assert challenge, f"401 without WWW-Authenticate: {describe(response)}"


def test_rfc6749_5_2_unknown_client_invalid_client(provider: ProviderClient) -> None:
    """An unknown client (credentials in the form body) is refused `invalid_client`."""
    stranger = Client(f"stranger-{secrets.token_hex(4)}", secrets.token_urlsafe(16))
    form = {"grant_type": "client_credentials"}
    response = provider.token_request(form, stranger, basic=False)
    expect_oauth_error(response, (400, 401), "invalid_client")


def test_rfc6749_5_2_bogus_refresh_token_invalid_grant(
    provider: ProviderClient, client: Client
) -> None:
    """A refresh token the provider never issued is refused 400 `invalid_grant`."""
    form = {"grant_type": "refresh_token", "refresh_token": secrets.token_urlsafe(32)}
    response = provider.token_request(form, client)
    expect_oauth_error(response, 400, "invalid_grant")


def test_rfc6749_5_2_bogus_authorization_code_invalid_grant(
    provider: ProviderClient, client: Client, target: Target
) -> None:
    """A code the provider never issued is refused 400 `invalid_grant`."""
    redirect_uri = target.redirect_uri or "http://127.0.0.1/callback"
    response = provider.exchange_code(
        client, secrets.token_urlsafe(24), redirect_uri, secrets.token_urlsafe(48)
    )
    expect_oauth_error(response, 400, "invalid_grant")
