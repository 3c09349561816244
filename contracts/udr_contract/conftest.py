"""Fixtures of the UDR contract: the UDR, the user's own id, tokens real and forged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from contracts.forge import TokenForge
from contracts.oidc import FlowError, ProviderClient, TokenSet
from contracts.target import Client, Target, User

TIMEOUT = httpx.Timeout(20.0)


@pytest.fixture(scope="session")
def udr(target: Target) -> Iterator[httpx.Client]:
    if target.udr_url is None:
        pytest.skip("no UDR given (--udr-url)")
    with httpx.Client(base_url=target.udr_url, timeout=TIMEOUT) as http:
        yield http


@pytest.fixture(scope="session")
def own_keystoneid(target: Target) -> str:
    if target.user is None or not target.user.keystoneid:
        pytest.skip("the test user's keystoneid is not known (--keystoneid)")
    return target.user.keystoneid


@pytest.fixture(scope="session")
def period() -> dict[str, str]:
    """The last seven days, to the hour: the demo data covers them."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=7)
    return {
        "from": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def usage_path(keystoneid: str) -> str:
    """The path of step 4, the id percent-encoded as any HTTP client sends it."""
    return f"/usage/users/{quote(keystoneid, safe='')}"


def get_usage(
    udr: httpx.Client, keystoneid: str, token: str, period: dict[str, str]
) -> httpx.Response:
    """Step 4 as the dashboard sends it: the id in the path, the token in the header."""
    headers = {"Authorization": f"Bearer {token}"}
    return udr.get(usage_path(keystoneid), params=period, headers=headers)


@pytest.fixture(scope="session")
def optional_provider(target: Target) -> Iterator[ProviderClient | None]:
    issuer = target.provider_issuer
    if issuer is None:
        yield None
        return
    client = ProviderClient(issuer)
    yield client
    client.close()


def _fresh(provider: ProviderClient, target: Target, user: User | None) -> TokenSet:
    if user is None or not user.password:
        pytest.skip("no test user given (--username, --password, --keystoneid)")
    if target.client is None:
        pytest.skip("no client given (--client-id, --client-secret)")
    try:
        return provider.user_tokens(
            target.client, user, redirect_uri=target.redirect_uri
        )
    except FlowError as exc:
        pytest.fail(f"could not obtain the test user's tokens: {exc}")


@pytest.fixture
def user_tokens(optional_provider: ProviderClient | None, target: Target) -> TokenSet:
    """Fresh tokens from the provider; the given `--access-token` without one."""
    if optional_provider is not None:
        return _fresh(optional_provider, target, target.user)
    if target.access_token:
        return TokenSet(access_token=target.access_token)
    pytest.skip("no provider to get a token from and no --access-token")


@pytest.fixture
def user_token(user_tokens: TokenSet) -> str:
    return user_tokens.access_token


@pytest.fixture
def provider_required(optional_provider: ProviderClient | None) -> ProviderClient:
    if optional_provider is None:
        pytest.skip("needs the provider (--openam-url): the token must come from it")
    return optional_provider


@pytest.fixture
def revocation_client(target: Target) -> Client:
    if target.client is None:
        pytest.skip("no client given (--client-id, --client-secret)")
    return target.client


@pytest.fixture(scope="session")
def forge(
    optional_provider: ProviderClient | None, target: Target, own_keystoneid: str
) -> TokenForge:
    """Forgeries modelled on a real token of the test user."""
    if optional_provider is not None:
        tokens = _fresh(optional_provider, target, target.user)
        jwks = optional_provider.jwks()
    elif target.access_token:
        tokens, jwks = TokenSet(access_token=target.access_token), {}
    else:
        pytest.skip("no provider to get a token from and no --access-token")
    extra = {"keystoneid": own_keystoneid, "scope": "openid profile keystoneid"}
    if target.provider_issuer:
        extra["iss"] = target.provider_issuer
    return TokenForge.from_tokens(tokens.access_token, tokens.id_token, jwks, extra)
