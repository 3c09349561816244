"""The authorization-code grant: one-time codes, exact redirect URIs, PKCE."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from contracts.checks import expect_oauth_error, expect_status
from contracts.oidc import AuthorizationResponse, FlowError, ProviderClient, pkce_pair
from contracts.target import Client, Target, User

pytestmark = pytest.mark.provider_contract


@pytest.fixture(scope="module")
def redirect_uri(target: Target) -> str:
    if target.redirect_uri is None:
        pytest.skip("no redirect URI registered for the client (--redirect-uri)")
    return target.redirect_uri


@pytest.fixture
def authorization(
    provider: ProviderClient, client: Client, user: User, redirect_uri: str
) -> AuthorizationResponse:
    try:
        answer = provider.authorize(client, user, redirect_uri=redirect_uri)
    except FlowError as exc:
        pytest.fail(f"the authorization-code login did not complete: {exc}")
    if "code" not in answer.params:
        pytest.fail(f"the provider redirected without a code: {answer.params}")
    return answer


@pytest.fixture(scope="module")
def login_works(
    provider: ProviderClient, client: Client, user: User, redirect_uri: str
) -> None:
    """The login reaches the registered redirect URI: a refusal below is the rule."""
    try:
        provider.authorize(client, user, redirect_uri=redirect_uri)
    except FlowError as exc:
        pytest.fail(f"the authorization-code login did not complete: {exc}")


def test_rfc6749_4_1_2_code_is_one_time(
    provider: ProviderClient,
    client: Client,
    redirect_uri: str,
    authorization: AuthorizationResponse,
) -> None:
    """A code is exchanged once; the second exchange is refused 400 `invalid_grant`."""
    code, verifier = authorization.params["code"], authorization.code_verifier
    first = provider.exchange_code(client, code, redirect_uri, verifier)
    expect_status(first, 200)
    second = provider.exchange_code(client, code, redirect_uri, verifier)
    expect_oauth_error(second, 400, "invalid_grant")


def test_rfc6749_4_1_3_redirect_uri_must_match_authorization_request(
    provider: ProviderClient,
    client: Client,
    redirect_uri: str,
    authorization: AuthorizationResponse,
) -> None:
    """An exchange naming another `redirect_uri` than the request is `invalid_grant`."""
    other = redirect_uri.rstrip("/") + "/other"
    response = provider.exchange_code(
        client, authorization.params["code"], other, authorization.code_verifier
    )
    expect_oauth_error(response, 400, "invalid_grant")


def test_rfc7636_4_6_exchange_without_verifier_refused(
    provider: ProviderClient,
    client: Client,
    redirect_uri: str,
    authorization: AuthorizationResponse,
) -> None:
    """A code bound to an S256 challenge is refused without its `code_verifier`."""
    response = provider.exchange_code(
        client, authorization.params["code"], redirect_uri, None
    )
    expect_oauth_error(response, 400, "invalid_grant", "invalid_request")


def test_rfc7636_4_6_exchange_with_wrong_verifier_refused(
    provider: ProviderClient,
    client: Client,
    redirect_uri: str,
    authorization: AuthorizationResponse,
) -> None:
    """A code is refused 400 `invalid_grant` with another request's verifier."""
    other_verifier, _ = pkce_pair()
    response = provider.exchange_code(
        client, authorization.params["code"], redirect_uri, other_verifier
    )
    expect_oauth_error(response, 400, "invalid_grant")


def _variants(uri: str) -> dict[str, str]:
    """Redirect URIs that differ from the registered one the way attackers try."""
    parts = urlsplit(uri)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    other_scheme = "https" if parts.scheme == "http" else "http"
    return {
        "path-suffix": urlunsplit(parts._replace(path=parts.path + "-evil")),
        "sub-path": urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/evil")),
        "trailing-slash": urlunsplit(parts._replace(path=parts.path + "/")),
        "added-query": urlunsplit(parts._replace(query="next=evil")),
        "other-port": urlunsplit(parts._replace(netloc=f"{host}:{port + 1}")),
        "other-scheme": urlunsplit(parts._replace(scheme=other_scheme)),
        "upper-case-path": urlunsplit(parts._replace(path=parts.path.upper())),
    }


@pytest.mark.parametrize(
    "variant",
    [
        "path-suffix",
        "sub-path",
        "trailing-slash",
        "added-query",
        "other-port",
        "other-scheme",
        "upper-case-path",
    ],
)
def test_rfc6749_3_1_2_4_redirect_uri_exact_match(
    provider: ProviderClient,
    client: Client,
    user: User,
    redirect_uri: str,
    login_works: None,
    variant: str,
) -> None:
    """A redirect URI that is not exactly a registered one is never redirected to."""
    bad = _variants(redirect_uri)[variant]
    if bad == redirect_uri:
        pytest.skip(f"the registered URI has no {variant} variant")
    try:
        answer = provider.authorize(
            client, user, redirect_uri=bad, expect_redirect_to=bad
        )
    except FlowError:
        return  # the provider stopped with an error page: the rule holds
    raise AssertionError(
        f"the provider redirected to the unregistered URI {bad} "
        f"(code issued: {'code' in answer.params})"
    )
