"""Steps 7 and 8: the UDR serves a token only the usage of the `keystoneid` bound to it.

Ids are compared exactly, as strings, after no normalisation (ARCHITECTURE.md): an id
that only looks like the caller's is another id, refused 403 like any other.
"""

from __future__ import annotations

import secrets

import httpx
import pytest

from contracts.checks import describe, expect_no_usage, expect_status, json_body
from contracts.target import Target
from contracts.udr_contract.conftest import get_usage

pytestmark = pytest.mark.udr_contract


def expect_forbidden(response: httpx.Response) -> None:
    __tracebackhide__ = True
    expect_status(response, 403, why="the id is not the one bound to the token")
    expect_no_usage(response)


def test_step8_own_keystoneid_served(
    udr: httpx.Client, own_keystoneid: str, user_token: str, period: dict[str, str]
) -> None:
    """The token's own `keystoneid` is answered 200 with that id's usage report."""
    response = get_usage(udr, own_keystoneid, user_token, period)
    expect_status(response, 200)
    body = json_body(response)
    assert isinstance(body, dict), (
        f"the usage answer is not a JSON object: {describe(response)}"
    )
    if "keystoneid" in body:
        assert body["keystoneid"] == own_keystoneid, (
            f"answered for {body['keystoneid']!r}"
        )


def test_step7_other_keystoneid_forbidden(
    udr: httpx.Client, target: Target, user_token: str, period: dict[str, str]
) -> None:
    """Another existing `keystoneid` is refused 403, with no usage in the body."""
    other = target.other_existing_keystoneid
    if other is None:
        pytest.skip("no other existing keystoneid known (--other-keystoneid)")
    expect_forbidden(get_usage(udr, other, user_token, period))


def test_step7_unknown_keystoneid_forbidden(
    udr: httpx.Client, user_token: str, period: dict[str, str]
) -> None:
    """A `keystoneid` nobody has is refused 403 too, not 404: existence is not told."""
    expect_forbidden(get_usage(udr, secrets.token_hex(16), user_token, period))


def test_step7_same_answer_whether_other_id_exists(
    udr: httpx.Client, target: Target, user_token: str, period: dict[str, str]
) -> None:
    """The 403 for an existing id and for an unknown id are the same, byte for byte."""
    other = target.other_existing_keystoneid
    if other is None:
        pytest.skip("no other existing keystoneid known (--other-keystoneid)")
    existing = get_usage(udr, other, user_token, period)
    unknown = get_usage(udr, secrets.token_hex(16), user_token, period)
    assert (existing.status_code, existing.content) == (
        unknown.status_code,
        unknown.content,
    ), (
        f"an existing id is told apart from an unknown one: {describe(existing)} vs "
        f"{describe(unknown)}"
    )


_CONFUSABLES = {"a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "1": "l"}


def _lookalike(keystoneid: str, variant: str) -> str | None:
    """The caller's id changed as normalising or sloppy comparisons would not notice."""
    if variant == "upper-case":
        return keystoneid.upper() if keystoneid.upper() != keystoneid else None
    if variant == "trailing-space":
        return keystoneid + " "
    if variant == "leading-space":
        return " " + keystoneid
    if variant == "fullwidth":  # NFKC folds it back to the caller's id
        return "".join(
            chr(ord(c) + 0xFEE0) if c.isalnum() and c.isascii() else c
            for c in keystoneid
        )
    if variant == "cyrillic":
        for plain, twin in _CONFUSABLES.items():
            if plain in keystoneid:
                return keystoneid.replace(plain, twin, 1)
        return None
    if variant == "percent-encoded-twice":  # decoded once it is still not the id
        return "%" + f"{ord(keystoneid[0]):02X}" + keystoneid[1:]
    if variant == "numeric-form":
        return "0" + keystoneid if keystoneid.isdigit() else None
    if variant == "prefix":
        return keystoneid[:-1] if len(keystoneid) > 1 else None
    raise ValueError(variant)


@pytest.mark.parametrize(
    "variant",
    [
        "upper-case",
        "trailing-space",
        "leading-space",
        "fullwidth",
        "cyrillic",
        "percent-encoded-twice",
        "numeric-form",
        "prefix",
    ],
)
def test_step7_lookalike_of_own_id_forbidden(
    udr: httpx.Client,
    own_keystoneid: str,
    user_token: str,
    period: dict[str, str],
    variant: str,
) -> None:
    """An id that only resembles the caller's is another id: 403, no normalisation."""
    lookalike = _lookalike(own_keystoneid, variant)
    if lookalike is None:
        pytest.skip(f"the test user's keystoneid has no {variant} variant")
    expect_forbidden(get_usage(udr, lookalike, user_token, period))


HOSTILE_IDS = {
    "very-long": "a" * 4000,
    "path-traversal": "../../usage/users/x",
    "nul-byte": "k\x00k",
    "sql-quote": "' OR '1'='1",
    "wildcard": "%",
    "json-like": '{"$ne": null}',
    "newline": "k\r\nX-Injected: 1",
}


@pytest.mark.parametrize("kind", list(HOSTILE_IDS))
def test_step7_hostile_ids_refused_without_server_error(
    udr: httpx.Client, user_token: str, period: dict[str, str], kind: str
) -> None:
    """Ids built to break parsers or queries are refused (4xx, not 401), never a 5xx."""
    response = get_usage(udr, HOSTILE_IDS[kind], user_token, period)
    assert 400 <= response.status_code < 500 and response.status_code != 401, (
        f"expected a refusal of the id, got {describe(response)}"
    )
    expect_no_usage(response)
