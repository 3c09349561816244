"""The HTTPS pass: the main flow and the session cookie over TLS with a local CA.

Every service serves a certificate of a trustme CA and trusts that CA for its own
calls (`<PREFIX>CA_FILE`); the browser trusts exactly the services' key (pinned), so
no certificate check is switched off anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from playwright.sync_api import expect

from e2e.evidence import LogWatch, ProviderRecords, stored_totals, stored_week
from e2e.pages import SESSION_COOKIE, BrowseFn, assert_totals_match, log_in, usage_path
from e2e.stack import Stack, StackFactory


@pytest.mark.step(1)
@pytest.mark.step(2)
@pytest.mark.step(4)
@pytest.mark.step(5)
@pytest.mark.step(8)
@pytest.mark.step(9)
def test_main_flow_over_https(browse: BrowseFn, https_stack: Stack) -> None:
    alice = https_stack.user("alice")
    provider = ProviderRecords(https_stack)
    provider.clear()
    watch = LogWatch(https_stack.log_path("udr"))
    week = stored_week(https_stack.database_path)
    page = browse(https_stack).new_page()

    answer = log_in(page, alice)
    page.goto(usage_path(start=week[0], end=week[1]))

    assert answer is not None and answer.url.startswith("https://")
    assert page.url.startswith(f"{https_stack.dashboard_url}/usage")
    stored = stored_totals(https_stack.database_path, alice.keystoneid, *week)
    assert_totals_match(page, stored)
    [grant] = provider.to("/oauth2/access_token", grant_type="password")
    assert grant["client_id"] == "dashboard" and grant["status"] == 200
    validations = provider.to("/oauth2/userinfo", username=alice.username, status=200)
    assert len(validations) >= 2  # the UDR validated the token over TLS, per request
    served = [line for line in watch.lines() if "/usage/users/" in line]
    assert len(served) == 2 and all(" 200 " in line for line in served)
    provider.close()


@pytest.mark.attack("cookie-theft")
def test_session_cookie_is_secure_httponly_and_samesite_over_https(
    browse: BrowseFn, https_stack: Stack
) -> None:
    page = browse(https_stack).new_page()
    log_in(page, https_stack.user("alice"))

    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

    assert cookie["secure"] is True
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("() => document.cookie") == ""  # out of reach of scripts


@pytest.mark.attack("cookie-theft")
def test_session_cookie_is_httponly_and_samesite_over_http(
    browse: BrowseFn, stack: Stack
) -> None:
    page = browse(stack).new_page()
    log_in(page, stack.user("alice"))

    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("() => document.cookie") == ""


@pytest.mark.failure("untrusted-certificate")
@pytest.mark.step(5)
def test_udr_refuses_a_provider_whose_certificate_it_does_not_trust(
    make_stack: StackFactory, browse: BrowseFn, tmp_path: Path
) -> None:
    """The UDR verifies the provider's certificate: with another CA it fails closed."""
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    own = make_stack(https=True, env={"udr": {"UDR_CA_FILE": str(other_ca)}})
    page = browse(own).new_page()

    log_in(page, own.user("alice"))

    expect(page.get_by_test_id("unavailable")).to_be_visible()
    assert page.locator("[data-testid=totals]").count() == 0


@pytest.mark.failure("untrusted-certificate")
@pytest.mark.step(2)
def test_dashboard_refuses_a_provider_whose_certificate_it_does_not_trust(
    make_stack: StackFactory, browse: BrowseFn, tmp_path: Path
) -> None:
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    env = {"dashboard": {"DASHBOARD_CA_FILE": str(other_ca)}}
    own = make_stack(https=True, env=env)
    page = browse(own).new_page()

    answer = log_in(page, own.user("alice"))

    assert answer is not None and answer.status == 503
    expect(page.get_by_test_id("unavailable")).to_have_attribute(
        "data-service", "openam"
    )
