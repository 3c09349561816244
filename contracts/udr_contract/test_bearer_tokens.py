"""Steps 5 and 6 from the UDR's side: only a token the provider vouches for gets in.

Every token below is refused 401 with `WWW-Authenticate: Bearer` (RFC 6750 section 3)
and no usage in the body, whichever validation mode the UDR uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from contracts.checks import (
    expect_bearer_challenge,
    expect_no_usage,
    expect_status,
)
from contracts.forge import TokenForge, tampered
from contracts.oidc import ProviderClient, TokenSet
from contracts.target import Client, Target
from contracts.udr_contract.conftest import usage_path

pytestmark = pytest.mark.udr_contract


def _ask(
    udr: httpx.Client,
    keystoneid: str,
    period: dict[str, str],
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return udr.get(
        usage_path(keystoneid), params=period | (params or {}), headers=headers
    )


def expect_unauthorized(response: httpx.Response, *, token_sent: bool = True) -> None:
    """401, a Bearer challenge (`invalid_token` when a token was sent), no usage."""
    __tracebackhide__ = True
    expect_status(response, 401, why="the token must not be accepted")
    expect_bearer_challenge(response, "invalid_token" if token_sent else None)
    expect_no_usage(response)


def test_rfc6750_3_missing_token_401(
    udr: httpx.Client, own_keystoneid: str, period: dict[str, str]
) -> None:
    """No Authorization header: 401 with a Bearer challenge."""
    expect_unauthorized(_ask(udr, own_keystoneid, period), token_sent=False)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer a b",
        "Bearer\tx y",
    ],
    ids=["scheme-only", "basic", "other-scheme", "two-tokens", "tab"],
)
def test_rfc6750_2_1_malformed_authorization_refused(
    udr: httpx.Client, own_keystoneid: str, period: dict[str, str], header: str
) -> None:
    """A malformed Authorization header: 400 or 401 with a Bearer challenge, no data."""
    response = _ask(udr, own_keystoneid, period, headers={"Authorization": header})
    expect_status(response, 400, 401)
    if response.status_code == 401:
        expect_bearer_challenge(response)
    expect_no_usage(response)


def test_rfc6750_2_1_scheme_is_case_insensitive(
    udr: httpx.Client, own_keystoneid: str, user_token: str, period: dict[str, str]
) -> None:
    """`bearer` in lower case is the same scheme (RFC 7235 section 2.1): served 200."""
    headers = {"Authorization": f"bearer {user_token}"}
    expect_status(_ask(udr, own_keystoneid, period, headers=headers), 200)


def test_step5_unknown_opaque_token_401(
    udr: httpx.Client, own_keystoneid: str, period: dict[str, str]
) -> None:
    """A random string as token: 401 `invalid_token`."""
    headers = {"Authorization": "Bearer Zm9yZ2VkLW9wYXF1ZS10b2tlbg"}
    expect_unauthorized(_ask(udr, own_keystoneid, period, headers=headers))


FORGERIES: dict[str, Callable[[TokenForge], str]] = {
    "alg-none": TokenForge.alg_none,
    "attacker-key-provider-kid": lambda forge: forge.attacker_signed(),
    "hs256-provider-public-key": TokenForge.hs256_with_public_key,
    "expired": TokenForge.expired,
    "wrong-issuer": TokenForge.wrong_issuer,
    "wrong-audience": TokenForge.wrong_audience,
}


@pytest.mark.parametrize("kind", list(FORGERIES))
def test_step5_forged_token_401(
    udr: httpx.Client,
    own_keystoneid: str,
    period: dict[str, str],
    forge: TokenForge,
    kind: str,
) -> None:
    """A token the provider never signed, claiming the caller's own id: 401."""
    try:
        token = FORGERIES[kind](forge)
    except ValueError as exc:
        pytest.skip(
            f"cannot build this forgery: {exc} (give --openam-url for the JWKS)"
        )
    headers = {"Authorization": f"Bearer {token}"}
    expect_unauthorized(_ask(udr, own_keystoneid, period, headers=headers))


def test_step5_tampered_token_401(
    udr: httpx.Client,
    own_keystoneid: str,
    target: Target,
    user_token: str,
    period: dict[str, str],
) -> None:
    """The caller's real token with its claims changed after signing: 401.

    The change points the token at another id and extends its life; the real
    signature is kept. For an opaque token, one character is changed.
    """
    other = target.other_existing_keystoneid or "0" * 32
    forged = tampered(
        user_token, {"keystoneid": other, "exp": int(time.time()) + 86400 * 365}
    )
    headers = {"Authorization": f"Bearer {forged}"}
    expect_unauthorized(_ask(udr, own_keystoneid, period, headers=headers))
    expect_unauthorized(_ask(udr, other, period, headers=headers))


def test_rfc7009_2_revoked_token_401(
    udr: httpx.Client,
    own_keystoneid: str,
    period: dict[str, str],
    provider_required: ProviderClient,
    revocation_client: Client,
    user_tokens: TokenSet,
) -> None:
    """A token revoked at the provider is refused, even right after it was served."""
    token = user_tokens.access_token
    headers = {"Authorization": f"Bearer {token}"}
    expect_status(_ask(udr, own_keystoneid, period, headers=headers), 200)
    revoked = provider_required.revoke(token, revocation_client, "access_token")
    expect_status(revoked, 200)
    expect_unauthorized(_ask(udr, own_keystoneid, period, headers=headers))


def test_rfc6750_3_1_expired_token_401(
    udr: httpx.Client,
    own_keystoneid: str,
    period: dict[str, str],
    expired_token: str,
) -> None:
    """A token the provider itself issued and now calls expired is refused 401."""
    headers = {"Authorization": f"Bearer {expired_token}"}
    expect_unauthorized(_ask(udr, own_keystoneid, period, headers=headers))


def test_rfc6750_2_3_token_in_query_string_refused(
    udr: httpx.Client, own_keystoneid: str, user_token: str, period: dict[str, str]
) -> None:
    """A valid token in `?access_token=` (no header) is not accepted: 400 or 401."""
    response = _ask(udr, own_keystoneid, period, params={"access_token": user_token})
    expect_status(
        response, 400, 401, why="tokens travel in the Authorization header only"
    )
    expect_no_usage(response)


def test_rfc6750_2_token_in_header_and_query_refused(
    udr: httpx.Client, own_keystoneid: str, user_token: str, period: dict[str, str]
) -> None:
    """A token sent both in the header and the query string is refused 400 or 401."""
    headers = {"Authorization": f"Bearer {user_token}"}
    response = _ask(
        udr,
        own_keystoneid,
        period,
        headers=headers,
        params={"access_token": user_token},
    )
    expect_status(response, 400, 401, why="more than one method to send the token")
    expect_no_usage(response)


def test_rfc9110_5_3_duplicate_authorization_header_refused(
    udr: httpx.Client,
    own_keystoneid: str,
    user_tokens: TokenSet,
    period: dict[str, str],
    forge: TokenForge,
) -> None:
    """Two Authorization headers are refused 400 or 401, whichever comes first."""
    for first, second in [
        (user_tokens.access_token, forge.alg_none()),
        (forge.alg_none(), user_tokens.access_token),
    ]:
        headers = [
            ("Authorization", f"Bearer {first}"),
            ("Authorization", f"Bearer {second}"),
        ]
        response = _ask(udr, own_keystoneid, period, headers=headers)
        expect_status(response, 400, 401, why="an ambiguous credential")
        expect_no_usage(response)
