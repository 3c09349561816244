"""Steps 5 to 7 in each of the UDR's validation modes besides userinfo.

Introspection and tokeninfo ask the provider on every request; jwt verifies the
token's signature against the provider's JWKS and asks nothing per request. In every
mode another account's `keystoneid` is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from e2e.evidence import LogWatch, ProviderRecords
from e2e.pages import BrowseFn, log_in, usage_path
from e2e.stack import StackFactory

PER_REQUEST_ENDPOINTS = ("/oauth2/userinfo", "/oauth2/introspect", "/oauth2/tokeninfo")


@pytest.mark.step(5)
@pytest.mark.step(6)
@pytest.mark.step(7)
@pytest.mark.parametrize(
    ("mode", "endpoint", "caller"),
    [
        ("introspection", "/oauth2/introspect", "udr"),
        ("tokeninfo", "/oauth2/tokeninfo", "dashboard"),
        ("jwt", None, None),
    ],
    ids=["introspection", "tokeninfo", "jwt"],
)
def test_udr_validates_tokens_in_mode(
    make_stack: StackFactory,
    browse: BrowseFn,
    mode: str,
    endpoint: str | None,
    caller: str | None,
) -> None:
    own = make_stack(udr_mode=mode)
    alice, bob = own.user("alice"), own.user("bob")
    records = ProviderRecords(own)
    page = browse(own).new_page()
    log_in(page, alice)
    records.clear()
    watch = LogWatch(own.log_path("udr"))

    page.reload()
    page.reload()
    expect(page.get_by_test_id("totals")).to_be_visible()
    refused = page.goto(usage_path(keystoneid=bob.keystoneid))

    assert refused is not None and refused.status == 403
    served = [line for line in watch.lines() if "/usage/users/" in line]
    assert [" 200 " in line for line in served] == [True, True, False]
    assert " 403 " in served[2]
    asked = [
        record
        for record in records.all()
        if urlsplit(str(record["path"])).path.endswith(PER_REQUEST_ENDPOINTS)
    ]
    if endpoint is None:
        assert asked == []  # local verification: nothing asked per request
    else:
        assert [record["path"].endswith(endpoint) for record in asked] == [True] * 3
        assert {record["status"] for record in asked} == {200}
        assert {record["client_id"] for record in asked} == {caller}
        assert {record["username"] for record in asked} == {alice.username}
        assert len({record["token_sha256"] for record in asked}) == 1
    records.close()
