"""Attacks from the browser: each refused, and each refusal shown to be the reason.

Every attack test has a control beside it (the same request done honestly succeeds,
or the numbers looked for do show up on their owner's page), so a refusal for some
unrelated reason cannot pass for a defence.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from e2e.evidence import (
    LogWatch,
    ProviderRecords,
    number_spellings,
    stored_totals,
)
from e2e.pages import (
    SESSION_COOKIE,
    BrowseFn,
    log_in,
    log_out,
    shown_totals,
    usage_path,
)
from e2e.stack import DemoUser, Stack

FORBIDDEN_TEXT = "You are not allowed to see this account"


def numbers_of(
    stack: Stack, keystoneid: str, week: tuple[datetime, datetime]
) -> set[str]:
    """Every spelling of every total the account has in the week."""
    totals = stored_totals(stack.database_path, keystoneid, *week)
    return {text for total in totals.values() for text in number_spellings(total.total)}


# -- the keystoneid in the URL --


def _target(stack: Stack, name: str) -> str:
    alice = stack.user("alice")
    return {
        "bob": stack.user("bob").keystoneid,
        "carol": stack.user("carol").keystoneid,
        "unknown": "00000000000000000000000000000000",
        "alice-in-upper-case": alice.keystoneid.upper(),
        "alice-with-a-trailing-space": alice.keystoneid + " ",
    }[name]


@pytest.mark.attack("keystoneid-in-url")
@pytest.mark.step(7)
@pytest.mark.parametrize(
    "target",
    ["bob", "carol", "unknown", "alice-in-upper-case", "alice-with-a-trailing-space"],
)
def test_other_keystoneid_in_url_gets_403_and_none_of_its_numbers(
    page: Page, stack: Stack, week: tuple[datetime, datetime], target: str
) -> None:
    keystoneid = _target(stack, target)
    log_in(page, stack.user("alice"))
    watch = LogWatch(stack.log_path("udr"))

    response = page.goto(usage_path(keystoneid=keystoneid, start=week[0], end=week[1]))

    assert response is not None and response.status == 403
    expect(page.get_by_test_id("forbidden")).to_contain_text(FORBIDDEN_TEXT)
    assert page.locator("[data-testid=totals]").count() == 0
    content = page.content()
    leaked = {text for text in numbers_of(stack, keystoneid, week) if text in content}
    assert not leaked, f"numbers of {target} in the page: {sorted(leaked)[:5]}"
    refused = [
        line for line in watch.lines() if " 403 " in line and "/usage/users/" in line
    ]
    assert len(refused) == 1, "the UDR itself refused the request (step 7)"


@pytest.mark.attack("keystoneid-in-url")
def test_owner_sees_the_numbers_the_attack_test_looks_for(
    page: Page, stack: Stack, week: tuple[datetime, datetime]
) -> None:
    """The control: bob's own page shows his numbers in a form the check finds."""
    bob = stack.user("bob")
    log_in(page, bob)

    page.goto(usage_path(start=week[0], end=week[1]))

    content = page.content()
    totals = stored_totals(stack.database_path, bob.keystoneid, *week)
    assert totals
    for total in totals.values():
        spellings = number_spellings(total.total)
        assert any(text in content for text in spellings), total.meter


@pytest.mark.attack("keystoneid-in-url")
def test_forbidden_page_is_the_same_for_existing_and_unknown_accounts(
    page: Page, stack: Stack
) -> None:
    log_in(page, stack.user("alice"))

    page.goto(usage_path(keystoneid=stack.user("bob").keystoneid))
    existing = page.get_by_test_id("forbidden").inner_text()
    page.goto(usage_path(keystoneid=_target(stack, "unknown")))
    unknown = page.get_by_test_id("forbidden").inner_text()

    assert existing == unknown


# -- the session cookie after logout --


@pytest.mark.attack("cookie-replay-after-logout")
def test_session_cookie_replayed_after_logout_shows_nothing(
    browse: BrowseFn, stack: Stack
) -> None:
    alice = stack.user("alice")
    victim = browse(stack).new_page()
    log_in(victim, alice)
    numbers = {row.data_value for row in shown_totals(victim).values()}
    [cookie] = [c for c in victim.context.cookies() if c["name"] == SESSION_COOKIE]
    log_out(victim)
    attacker_context = browse(stack)
    attacker_context.add_cookies([cookie])  # type: ignore[list-item]
    attacker = attacker_context.new_page()
    watch = LogWatch(stack.log_path("udr"))

    attacker.goto("/usage")

    assert numbers, "alice saw no numbers before logging out"
    assert urlsplit(attacker.url).path == "/login"
    content = attacker.content()
    assert not {number for number in numbers if number in content}
    assert not [line for line in watch.lines() if "/usage/users/" in line]


@pytest.mark.attack("cookie-replay-after-logout")
def test_logout_revokes_the_tokens_at_the_provider(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    """Even a session copied before logout holds no token the UDR would accept."""
    log_in(page, stack.user("alice"))
    access_token_sha256 = provider.validated_token("alice")

    log_out(page)

    revoked = provider.to("/oauth2/token/revoke", client_id="dashboard", status=200)
    assert access_token_sha256 in {record["token_sha256"] for record in revoked}


@pytest.mark.attack("session-fixation")
def test_login_issues_a_new_session_cookie(browse: BrowseFn, stack: Stack) -> None:
    """A cookie planted before login (session fixation) is worth nothing after it."""
    context = browse(stack)
    page = context.new_page()
    page.goto("/login")
    [before] = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]

    log_in(page, stack.user("alice"))

    [after] = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    assert after["value"] != before["value"]
    planted_context = browse(stack)
    planted_context.add_cookies([before])  # type: ignore[list-item]
    planted = planted_context.new_page()
    planted.goto("/usage")
    assert urlsplit(planted.url).path == "/login"


# -- the login form's CSRF token --


@pytest.mark.attack("login-without-csrf")
@pytest.mark.parametrize(
    "csrf", ["missing", "empty", "altered", "another session's", "the page's own"]
)
def test_login_post_needs_the_session_csrf_token(
    page: Page, browse: BrowseFn, stack: Stack, provider: ProviderRecords, csrf: str
) -> None:
    """Only the page's own token logs in (the control); every other is refused
    before the password goes anywhere."""
    alice = stack.user("alice")
    page.goto("/login")
    own = page.locator("#login-form [name=csrf_token]").input_value()
    form: dict[str, str | float | bool] = {
        "username": alice.username,
        "password": alice.password,
    }
    token = _csrf_value(csrf, own, browse, stack)
    if token is not None:
        form["csrf_token"] = token

    response = page.request.post("/login", form=form, max_redirects=0)

    if csrf == "the page's own":
        assert response.status == 303
        assert len(provider.to("/oauth2/access_token", grant_type="password")) == 1
        return
    assert response.status == 403
    assert provider.to("/oauth2/access_token") == []
    page.goto("/usage")
    assert urlsplit(page.url).path == "/login"


def _csrf_value(kind: str, own: str, browse: BrowseFn, stack: Stack) -> str | None:
    if kind == "missing":
        return None
    if kind == "empty":
        return ""
    if kind == "altered":
        return _altered(own)
    if kind == "another session's":
        other = browse(stack).new_page()
        other.goto("/login")
        return other.locator("#login-form [name=csrf_token]").input_value()
    return own


def _altered(value: str) -> str:
    """The same value with its last four characters changed."""
    return value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")


# -- the code flow's state --


def _authorize_at_provider(page: Page, stack: Stack, user: DemoUser) -> str:
    """Start the code flow and log in at the provider; the callback URL, unvisited.

    Playwright does not route the hops of a redirect, so the provider's answer to
    its login form is fetched here and its redirect to the callback kept back.
    """
    callbacks: list[str] = []

    def hold_back_callback(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        location = answer.headers.get("location", "")
        if location.startswith(f"{stack.dashboard_url}/callback"):
            callbacks.append(location)
            route.fulfill(status=200, body="callback held back by the test")
        else:
            route.fulfill(response=answer)

    page.route(f"{stack.openam_url}/**", hold_back_callback)
    page.goto("/login")
    page.locator("#login-openam").click()
    page.locator("#login-form [name=username]").fill(user.username)
    page.locator("#login-form [name=password]").fill(user.password)
    page.locator("#login-form [name=password]").press("Enter")
    page.get_by_text("callback held back by the test").wait_for()
    page.unroute(f"{stack.openam_url}/**")
    [callback] = callbacks
    return callback


@pytest.mark.step(1)
@pytest.mark.step(2)
@pytest.mark.step(3)
def test_code_flow_with_the_genuine_state_logs_in(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    """The control of the tampered-state attack: the untouched callback works."""
    alice = stack.user("alice")
    callback = _authorize_at_provider(page, stack, alice)

    page.goto(callback)

    expect(page.get_by_test_id("keystoneid")).to_have_text(alice.keystoneid)
    [grant] = provider.to("/oauth2/access_token", grant_type="authorization_code")
    assert grant["client_id"] == "dashboard" and grant["status"] == 200


@pytest.mark.attack("tampered-state")
@pytest.mark.parametrize("state", ["altered", "missing", "another session's"])
def test_callback_with_tampered_state_is_refused(
    page: Page, browse: BrowseFn, stack: Stack, provider: ProviderRecords, state: str
) -> None:
    alice = stack.user("alice")
    callback = _authorize_at_provider(page, stack, alice)
    query = parse_qs(urlsplit(callback).query)
    code, genuine = query["code"][0], query["state"][0]
    forged = {"code": code}
    if state == "altered":
        forged["state"] = _altered(genuine)
    elif state == "another session's":
        other = urlsplit(_authorize_at_provider(browse(stack).new_page(), stack, alice))
        forged["state"] = parse_qs(other.query)["state"][0]

    response = page.goto(f"/callback?{urlencode(forged)}")

    assert response is not None and response.status == 400
    assert provider.to("/oauth2/access_token", grant_type="authorization_code") == []
    page.goto("/usage")
    assert urlsplit(page.url).path == "/login"


@pytest.mark.attack("cookie-replay-after-logout")
def test_usage_page_after_logout_in_the_same_browser_goes_to_login(
    page: Page, stack: Stack
) -> None:
    log_in(page, stack.user("alice"))
    log_out(page)

    page.goto("/usage")

    assert urlsplit(page.url).path == "/login"
    assert page.locator("[data-testid=totals]").count() == 0
