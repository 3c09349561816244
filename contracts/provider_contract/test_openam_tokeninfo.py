"""OpenAM's tokeninfo endpoint (`{issuer}/tokeninfo`), which a UDR may validate with.

Not in any standard nor in discovery: a provider without it is told apart by a 404,
and these checks skip with the reason.
"""

from __future__ import annotations

import secrets

import httpx
import pytest

from contracts.checks import describe, expect_oauth_error, expect_status, json_body
from contracts.oidc import ProviderClient, TokenSet

pytestmark = pytest.mark.provider_contract


@pytest.fixture(scope="module")
def tokeninfo_url(provider: ProviderClient) -> str:
    url = f"{provider.issuer}/tokeninfo"
    probe = provider.http.get(url)
    if probe.status_code == 404:
        pytest.skip("differs from OpenAM: the provider has no tokeninfo endpoint")
    return url


def _tokeninfo(
    provider: ProviderClient, url: str, token: str, *, header: bool = True
) -> httpx.Response:
    if header:
        return provider.http.get(url, headers={"Authorization": f"Bearer {token}"})
    return provider.http.get(url, params={"access_token": token})


def test_openam_tokeninfo_valid_token(
    provider: ProviderClient, tokeninfo_url: str, fresh_tokens: TokenSet
) -> None:
    """A valid token: 200 with `scope` as a list, each scope a key, and `expires_in`."""
    response = _tokeninfo(provider, tokeninfo_url, fresh_tokens.access_token)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict), f"not a JSON object: {describe(response)}"
    scope = body.get("scope")
    assert isinstance(scope, list) and "openid" in scope, f"scope is {scope!r}"
    missing = [name for name in scope if name not in body]
    assert not missing, f"granted scopes without their own key: {missing}"
    expires_in = body.get("expires_in")
    assert isinstance(expires_in, int) and expires_in > 0, f"expires_in {expires_in!r}"


def test_openam_tokeninfo_unknown_token_refused(
    provider: ProviderClient, tokeninfo_url: str
) -> None:
    """A token the provider never issued is refused with an RFC 6749-shaped error."""
    response = _tokeninfo(provider, tokeninfo_url, secrets.token_urlsafe(32))
    expect_oauth_error(response, (400, 401))


def test_openam_tokeninfo_token_sent_twice_invalid_request(
    provider: ProviderClient, tokeninfo_url: str, fresh_tokens: TokenSet
) -> None:
    """A token both in the header and the query string: 400 `invalid_request`."""
    token = fresh_tokens.access_token
    response = provider.http.get(
        tokeninfo_url,
        params={"access_token": token},
        headers={"Authorization": f"Bearer {token}"},
    )
    expect_oauth_error(response, 400, "invalid_request")
