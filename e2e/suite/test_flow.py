"""The nine steps of communication-flow.md, each proven by what the services recorded.

Evidence comes from outside the browser: the provider's request records (with
`token_sha256` fingerprints), the UDR's log and the UDR's database, whose totals are
computed here in our own SQL.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from e2e.evidence import (
    LogWatch,
    ProviderRecords,
    sha256_hex,
    stored_series,
    stored_time_range,
    stored_totals,
)
from e2e.pages import (
    SESSION_COOKIE,
    BrowseFn,
    assert_totals_match,
    chart_data,
    log_in,
    log_out,
    usage_path,
)
from e2e.stack import Stack, StackFactory

JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*")


def udr_lines_for(watch: LogWatch, keystoneid: str) -> list[str]:
    return [line for line in watch.lines() if f"/usage/users/{keystoneid}'" in line]


@pytest.mark.step(1)
def test_login_form_posts_credentials_and_csrf_token(page: Page, stack: Stack) -> None:
    alice = stack.user("alice")
    page.goto("/login")
    csrf_token = page.locator("#login-form [name=csrf_token]").input_value()
    assert len(csrf_token) >= 16

    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/login")
    ) as posted:
        page.locator("#login-form [name=username]").fill(alice.username)
        page.locator("#login-form [name=password]").fill(alice.password)
        page.locator("#login-form [name=password]").press("Enter")
    form = parse_qs(posted.value.post_data or "")

    assert form == {
        "username": [alice.username],
        "password": [alice.password],
        "csrf_token": [csrf_token],
    }
    expect(page).to_have_url(f"{stack.dashboard_url}/usage")
    expect(page.get_by_test_id("keystoneid")).to_have_text(alice.keystoneid)


@pytest.mark.step(2)
def test_dashboard_asks_for_a_password_grant_with_its_own_client(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    alice = stack.user("alice")
    log_in(page, alice)

    grants = provider.to("/oauth2/access_token", method="POST")
    assert len(grants) == 1
    grant = grants[0]
    assert grant["grant_type"] == "password"
    assert grant["client_id"] == "dashboard"
    assert grant["username"] == alice.username
    assert {"openid", "keystoneid"} <= set(str(grant["scope"]).split())
    recorded = json.dumps(provider.all())
    assert alice.password not in recorded
    assert stack.client_secret("dashboard") not in recorded


@pytest.mark.step(3)
def test_provider_returns_tokens_the_dashboard_keeps_on_the_server(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    alice = stack.user("alice")
    log_in(page, alice)
    [grant] = provider.to("/oauth2/access_token", grant_type="password")
    access_token_sha256 = provider.validated_token(alice.username)

    assert grant["status"] == 200
    cookies = page.context.cookies()
    assert [cookie["name"] for cookie in cookies] == [SESSION_COOKIE]
    assert sha256_hex(cookies[0]["value"]) != access_token_sha256
    assert not JWT.search(page.content())
    assert page.evaluate("() => Object.keys(localStorage).length") == 0

    log_out(page)
    revoked = provider.to("/oauth2/token/revoke", client_id="dashboard")
    fingerprints = {record["token_sha256"] for record in revoked}
    assert access_token_sha256 in fingerprints  # the token issued in step 3
    assert len(fingerprints) == 2  # ... and the refresh token beside it
    assert provider.to("/oauth2/connect/endSession")  # ... and the id token


@pytest.mark.step(4)
def test_dashboard_sends_bearer_token_and_keystoneid_to_udr(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    alice = stack.user("alice")
    watch = LogWatch(stack.log_path("udr"))
    log_in(page, alice)

    [line] = udr_lines_for(watch, alice.keystoneid)
    assert line.startswith("GET ") or " GET " in line
    assert " 200 " in line
    assert "client='dashboard'" in line  # the UDR authenticated the dashboard's token
    validations = provider.to("/oauth2/userinfo", username=alice.username)
    assert validations and {v["client_id"] for v in validations} == {"dashboard"}


@pytest.mark.step(4)
@pytest.mark.step(5)
def test_dashboard_sends_the_token_in_the_authorization_header_only(
    make_stack: StackFactory, browse: BrowseFn
) -> None:
    """A wiretap in front of the UDR sees step 4 as sent; the provider's record of
    the UDR's validation (step 5) carries the same token fingerprint."""
    own = make_stack(udr_wiretap=True)
    assert own.wiretap is not None
    alice = own.user("alice")
    records = ProviderRecords(own)
    page = browse(own).new_page()

    log_in(page, alice)

    [call] = [r for r in own.wiretap.requests if r.path.startswith("/usage/users/")]
    assert call.method == "GET"
    assert call.path == f"/usage/users/{alice.keystoneid}"
    assert call.authorization_scheme == "Bearer"
    assert {"from", "to"} <= set(call.query)
    assert not {"access_token", "token", "id_token"} & set(call.query)
    assert "cookie" not in call.header_names  # the browser's cookie stays behind
    assert call.status == 200
    assert records.validated_token(alice.username) == call.bearer_sha256
    records.close()


@pytest.mark.step(5)
@pytest.mark.step(6)
def test_udr_validates_the_token_at_the_provider_on_every_request(
    page: Page, stack: Stack, provider: ProviderRecords
) -> None:
    alice = stack.user("alice")
    log_in(page, alice)
    provider.clear()

    page.reload()
    page.reload()

    validations = provider.to("/oauth2/userinfo")
    assert len(validations) == 2
    assert {record["status"] for record in validations} == {200}
    assert {record["username"] for record in validations} == {alice.username}
    assert {record["client_id"] for record in validations} == {"dashboard"}
    assert len({record["token_sha256"] for record in validations}) == 1
    expect(page.get_by_test_id("totals")).to_be_visible()


@pytest.mark.step(7)
@pytest.mark.step(8)
def test_user_sharing_a_keystoneid_sees_that_account(
    page: Page, stack: Stack, week: tuple[datetime, datetime]
) -> None:
    carol, dave = stack.user("carol"), stack.user("dave")
    assert carol.keystoneid == dave.keystoneid
    log_in(page, dave)

    page.goto(usage_path(start=week[0], end=week[1]))

    expect(page.get_by_test_id("keystoneid")).to_have_text(carol.keystoneid)
    stored = stored_totals(stack.database_path, carol.keystoneid, *week)
    assert_totals_match(page, stored)


@pytest.mark.step(8)
@pytest.mark.step(9)
def test_page_totals_equal_the_stored_totals(
    page: Page, stack: Stack, week: tuple[datetime, datetime]
) -> None:
    alice = stack.user("alice")
    watch = LogWatch(stack.log_path("udr"))
    log_in(page, alice)

    response = page.goto(usage_path(start=week[0], end=week[1], bucket="day"))

    assert response is not None and response.status == 200
    stored = stored_totals(stack.database_path, alice.keystoneid, *week)
    assert stored, "the demo data holds no usage for alice in this week"
    assert_totals_match(page, stored)
    assert any(" 200 " in line for line in udr_lines_for(watch, alice.keystoneid))


@pytest.mark.step(9)
def test_usage_page_shows_period_chart_and_account(page: Page, stack: Stack) -> None:
    alice = stack.user("alice")
    log_in(page, alice)

    period = page.get_by_test_id("period")
    start = _parse(period.get_attribute("data-from"))
    end = _parse(period.get_attribute("data-to"))
    now = datetime.now(UTC)

    expect(page.get_by_test_id("keystoneid")).to_have_text(alice.keystoneid)
    assert timedelta(days=29) <= end - start <= timedelta(days=31)
    assert abs(end - now) < timedelta(hours=2)
    expect(period).to_contain_text(start.strftime("%Y-%m-%d %H:%M"))
    expect(page.locator("canvas[data-testid=chart]")).to_be_visible()
    assert page.evaluate(_CHART_DRAWN), "the chart canvas has nothing drawn on it"
    assert_totals_match(
        page, stored_totals(stack.database_path, alice.keystoneid, start, end)
    )


@pytest.mark.step(9)
def test_period_without_stored_usage_shows_the_empty_state(
    page: Page, stack: Stack
) -> None:
    alice = stack.user("alice")
    first, _ = stored_time_range(stack.database_path)
    end = first.replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    before = (end - timedelta(days=7), end)
    log_in(page, alice)

    response = page.goto(usage_path(start=before[0], end=before[1]))

    assert stored_totals(stack.database_path, alice.keystoneid, *before) == {}
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("empty")).to_be_visible()
    assert page.locator("[data-testid=totals]").count() == 0
    period = page.get_by_test_id("period")
    assert _parse(period.get_attribute("data-from")) == before[0]
    assert _parse(period.get_attribute("data-to")) == before[1]


@pytest.mark.step(9)
@pytest.mark.parametrize("bucket", ["day", "hour"])
def test_chart_draws_the_stored_usage_per_bucket(
    page: Page, stack: Stack, week: tuple[datetime, datetime], bucket: str
) -> None:
    alice = stack.user("alice")
    log_in(page, alice)

    page.goto(usage_path(start=week[0], end=week[1], bucket=bucket))

    expected = stored_series(stack.database_path, alice.keystoneid, *week, bucket)
    drawn = chart_data(page)
    assert sorted(drawn) == sorted(expected)
    for meter, points in expected.items():
        values = [value for _, value in points]
        assert len(drawn[meter]) == len(values), meter
        assert all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
            for a, b in zip(drawn[meter], values, strict=True)
        ), meter


_CHART_DRAWN = """() => {
  const canvas = document.querySelector('canvas[data-testid=chart]');
  const { width, height } = canvas;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height);
  return pixels.data.some((value, index) => index % 4 === 3 && value !== 0);
}"""


def _parse(value: str | None) -> datetime:
    assert value is not None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
