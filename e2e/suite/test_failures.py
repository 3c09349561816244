"""Failure paths: a wrong password, a service down, a session that has ended.

Tests that stop a service or change a setting run on a stack of their own.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.evidence import LogWatch, ProviderRecords
from e2e.pages import BrowseFn, log_in, shown_totals
from e2e.stack import DemoUser, Stack, StackFactory

IDLE_TIMEOUT_SECONDS = 3


def usage_lines(watch: LogWatch, user: DemoUser) -> list[str]:
    return [
        line for line in watch.lines() if f"/usage/users/{user.keystoneid}'" in line
    ]


@pytest.mark.failure("wrong-password")
@pytest.mark.step(3)
def test_wrong_password_or_unknown_user_gets_the_same_login_error(
    browse: BrowseFn, stack: Stack, provider: ProviderRecords
) -> None:
    carol = stack.user("carol")
    nobody = DemoUser("nobody", "whatever-password", "none")
    errors = []
    for user, password in ((carol, "not-" + carol.password), (nobody, None)):
        page = browse(stack).new_page()

        answer = log_in(page, user, password=password)

        assert answer is not None and answer.status == 401
        assert urlsplit(page.url).path == "/login"
        errors.append(page.get_by_test_id("login-error").inner_text())
        page.goto("/usage")
        assert urlsplit(page.url).path == "/login"

    assert errors[0] == errors[1] and errors[0]
    grants = provider.to("/oauth2/access_token", grant_type="password")
    assert [g["username"] for g in grants] == ["carol", "nobody"]
    assert all(g["status"] in (400, 401) for g in grants)
    assert provider.to("/oauth2/userinfo") == []  # no token, so no step 4 and on


@pytest.mark.failure("openam-stopped")
@pytest.mark.step(5)
@pytest.mark.step(8)
def test_openam_stopped_mid_session_gives_the_503_page(
    make_stack: StackFactory, browse: BrowseFn
) -> None:
    own = make_stack()
    alice = own.user("alice")
    page = browse(own).new_page()
    log_in(page, alice)
    numbers = {row.data_value for row in shown_totals(page).values()}
    watch = LogWatch(own.log_path("udr"))

    own.stop_service("mock_openam")
    response = page.reload()

    assert numbers
    assert response is not None and response.status == 503
    expect(page.get_by_test_id("unavailable")).to_have_attribute(
        "data-service", "openam"
    )
    content = page.content()
    assert not {number for number in numbers if number in content}
    [line] = usage_lines(watch, alice)
    assert " 503 " in line  # the UDR failed closed: no provider, no data


@pytest.mark.failure("openam-stopped")
@pytest.mark.step(2)
def test_login_while_openam_is_down_gives_the_503_page(
    make_stack: StackFactory, browse: BrowseFn
) -> None:
    own = make_stack()
    own.stop_service("mock_openam")
    page = browse(own).new_page()

    answer = log_in(page, own.user("alice"))

    assert answer is not None and answer.status == 503
    expect(page.get_by_test_id("unavailable")).to_have_attribute(
        "data-service", "openam"
    )


@pytest.mark.failure("openam-stopped")
def test_after_openam_restarts_the_user_logs_in_again(
    make_stack: StackFactory, browse: BrowseFn
) -> None:
    """A restarted provider has forgotten its tokens: the old session ends, a new
    login works."""
    own = make_stack()
    alice = own.user("alice")
    page = browse(own).new_page()
    log_in(page, alice)

    own.restart_service("mock_openam")
    page.reload()

    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_test_id("login-notice")).to_be_visible()
    log_in(page, alice)
    expect(page.get_by_test_id("totals")).to_be_visible()


@pytest.mark.failure("udr-stopped")
@pytest.mark.step(4)
def test_udr_stopped_gives_the_503_page_and_recovers(
    make_stack: StackFactory, browse: BrowseFn
) -> None:
    own = make_stack()
    page = browse(own).new_page()
    log_in(page, own.user("alice"))
    numbers = {row.data_value for row in shown_totals(page).values()}

    own.stop_service("udr")
    response = page.reload()

    assert response is not None and response.status == 503
    expect(page.get_by_test_id("unavailable")).to_have_attribute("data-service", "udr")
    content = page.content()
    assert not {number for number in numbers if number in content}

    own.start_service("udr")
    response = page.reload()
    assert response is not None and response.status == 200
    assert {row.data_value for row in shown_totals(page).values()} == numbers


@pytest.mark.failure("session-expired")
def test_idle_session_expires_back_to_login(
    make_stack: StackFactory, browse: BrowseFn
) -> None:
    own = make_stack(
        env={"dashboard": {"DASHBOARD_SESSION_IDLE_TIMEOUT": str(IDLE_TIMEOUT_SECONDS)}}
    )
    page = browse(own).new_page()
    log_in(page, own.user("alice"))
    expect(page.get_by_test_id("totals")).to_be_visible()
    watch = LogWatch(own.log_path("udr"))

    # The idleness under test, not a readiness wait: nothing to poll for.
    time.sleep(IDLE_TIMEOUT_SECONDS + 0.5)
    page.goto("/usage")

    assert urlsplit(page.url).path == "/login"
    assert page.locator("[data-testid=totals]").count() == 0
    assert not [line for line in watch.lines() if "/usage/users/" in line]


@pytest.mark.failure("session-expired")
@pytest.mark.step(6)
def test_tokens_revoked_at_the_provider_end_the_session(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    """The provider answers that the token is no longer valid (step 6): the UDR
    refuses, the refresh fails, and the person is sent back to log in."""
    alice = stack.user("alice")
    log_in(page, alice)
    numbers = {row.data_value for row in shown_totals(page).values()}
    assert provider.post("/revoke-all", {}).status_code == 200
    watch = LogWatch(stack.log_path("udr"))

    page.reload()

    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_test_id("login-notice")).to_contain_text("expired")
    content = page.content()
    assert not {number for number in numbers if number in content}
    assert all(" 401 " in line for line in usage_lines(watch, alice))
    assert usage_lines(watch, alice)
