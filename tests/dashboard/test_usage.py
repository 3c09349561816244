"""Steps 4 and 9: the usage page asks the UDR with the session's token and shows it."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient

from dashboard.pages import approximate_bytes
from tests.dashboard import fakes
from tests.dashboard.conftest import log_in


@pytest.fixture
def alice(client: TestClient) -> TestClient:
    assert log_in(client).status_code == 303
    return client


@pytest.mark.step(4)
def test_usage_asks_udr_with_bearer_token_and_session_keystoneid(
    alice: TestClient, provider: fakes.FakeProvider, udr: fakes.FakeUdr
) -> None:
    response = alice.get("/usage")

    assert response.status_code == 200
    [request] = udr.requests
    assert request["keystoneid"] == "ks-alice"
    assert request["authorization"] == f"Bearer {provider.grants[0].access_token}"
    assert request["query"]["bucket"] == "day"


@pytest.mark.step(9)
def test_usage_shows_totals_with_exact_values_and_units(alice: TestClient) -> None:
    html = alice.get("/usage").text

    assert 'data-testid="totals"' in html
    cpu = _row(html, "cpu_util")
    assert 'data-testid="total" data-value="12.5"' in cpu
    assert '<td data-testid="unit">%</td>' in cpu
    net = _row(html, "network.incoming.bytes")
    assert 'data-value="123456789"' in net
    assert "123,456,789" in net
    assert '<td data-testid="unit">B</td>' in net
    assert '<code data-testid="keystoneid">ks-alice</code>' in html


@pytest.mark.step(9)
def test_usage_default_period_is_last_30_days_to_current_hour(
    alice: TestClient, udr: fakes.FakeUdr, clock: fakes.Clock
) -> None:
    clock.now = datetime(2026, 12, 4, 15, 42, 7, tzinfo=UTC).timestamp()

    html = alice.get("/usage").text

    query = udr.requests[0]["query"]
    assert query["to"] == "2026-12-04T16:00:00Z"
    assert query["from"] == "2026-11-04T16:00:00Z"
    assert 'data-testid="period"' in html
    assert "2026-11-04 16:00 to 2026-12-04 16:00 UTC" in html


@pytest.mark.step(9)
def test_usage_chart_data_is_json_for_the_static_script(alice: TestClient) -> None:
    html = alice.get("/usage").text

    assert '<canvas data-testid="chart"' in html
    match = re.search(
        r'<script type="application/json" id="usage-data">(.*?)</script>', html, re.S
    )
    assert match
    chart = json.loads(match.group(1))
    assert chart["meters"][0] == {
        "name": "cpu_util",
        "unit": "%",
        "labels": ["Nov 01", "Nov 02"],
        "values": [11.0, 14.0],
    }
    assert '<script src="/static/usage.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))", html) == []


def test_usage_empty_period_shows_empty_state(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    udr.empty = True

    html = alice.get("/usage").text

    assert 'data-testid="empty"' in html
    assert 'data-testid="totals"' not in html


@pytest.mark.step(4)
def test_usage_passes_period_and_bucket_from_query(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    response = alice.get(
        "/usage",
        params={"from": "2026-11-01T00:00", "to": "2026-11-03 00:00", "bucket": "hour"},
    )

    assert response.status_code == 200
    assert udr.requests[0]["query"] == {
        "from": "2026-11-01T00:00:00Z",
        "to": "2026-11-03T00:00:00Z",
        "bucket": "hour",
    }


@pytest.mark.step(4)
def test_usage_converts_offset_times_to_utc(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    alice.get("/usage", params={"from": "2026-11-01T02:00:00+02:00"})

    assert udr.requests[0]["query"]["from"] == "2026-11-01T00:00:00Z"


@pytest.mark.attack("forged-keystoneid")
def test_usage_for_another_account_shows_forbidden_without_its_data(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    response = alice.get("/usage", params={"keystoneid": "ks-bob"})

    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.text
    assert "You are not allowed to see this account" in response.text
    assert udr.requests[0]["keystoneid"] == "ks-bob"  # the UDR decided, not us
    assert "bob.secret.meter" not in response.text
    assert "4242" not in response.text
    assert 'data-testid="totals"' not in response.text


def test_usage_keystoneid_is_passed_on_exactly_and_path_safely(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    forged = " KS-alice?bucket=hour#x"
    response = alice.get("/usage", params={"keystoneid": forged})

    assert response.status_code == 403
    assert udr.requests[0]["keystoneid"] == forged
    assert udr.requests[0]["query"]["bucket"] == "day"


def test_usage_keystoneid_with_slash_stays_one_path_segment(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    response = alice.get("/usage", params={"keystoneid": "../../health"})

    # Encoded as one segment, it matches no UDR route: the UDR's 404 is a 404 page.
    assert response.status_code == 404
    assert 'data-testid="not-found"' in response.text
    assert udr.requests == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"to": "2026-13-01"},
        {"from": "2026-11-02", "to": "2026-11-01"},
        {"from": "2026-11-01", "to": "2026-11-01"},
        {"bucket": "week"},
        {"keystoneid": "ks\x00alice"},
        {"keystoneid": "k" * 257},
        {"from": "2" * 100},
        {"to": "0001-01-01"},
        {"from": "0001-01-01T00:00+01:00"},
        {"from": "0999-01-01", "to": "1000-01-01"},
        {"to": "9999-12-31T23:59"},
    ],
    ids=[
        "from-words",
        "to-month-13",
        "from-after-to",
        "empty-period",
        "bucket-week",
        "keystoneid-nul",
        "keystoneid-long",
        "from-long",
        "to-year-1",
        "from-before-year-1-in-utc",
        "year-999",
        "year-9999",
    ],
)
def test_usage_bad_parameters_show_400_page(
    alice: TestClient, udr: fakes.FakeUdr, params: dict[str, str]
) -> None:
    response = alice.get("/usage", params=params)

    assert response.status_code == 400
    assert 'data-testid="bad-request"' in response.text
    assert udr.requests == []


def test_usage_repeated_parameter_is_a_bad_request(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    response = alice.get("/usage?bucket=day&bucket=week")

    assert response.status_code == 400
    assert 'data-testid="bad-request"' in response.text
    assert udr.requests == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_usage_when_udr_fails_shows_udr_unavailable(
    alice: TestClient, udr: fakes.FakeUdr, status: int
) -> None:
    udr.status = status

    response = alice.get("/usage")

    assert response.status_code == 503
    assert 'data-testid="unavailable"' in response.text
    assert 'data-service="udr"' in response.text


def test_usage_when_udr_unreachable_shows_udr_unavailable(
    alice: TestClient, network: fakes.RoutingTransport
) -> None:
    network.down.add(fakes.UDR_HOST)

    response = alice.get("/usage")

    assert response.status_code == 503
    assert 'data-service="udr"' in response.text


def test_usage_when_udr_503_because_provider_down_names_openam(
    alice: TestClient, udr: fakes.FakeUdr, network: fakes.RoutingTransport
) -> None:
    udr.status = 503
    network.down.add(fakes.PROVIDER_HOST)

    response = alice.get("/usage")

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


def test_usage_when_udr_answers_garbage_shows_udr_unavailable(
    alice: TestClient, udr: fakes.FakeUdr
) -> None:
    fakes.USAGE["ks-alice"].append({"name": "broken"})  # no total
    try:
        response = alice.get("/usage")
    finally:
        fakes.USAGE["ks-alice"].pop()

    assert response.status_code == 503
    assert 'data-service="udr"' in response.text


def test_usage_refreshes_token_once_after_udr_401(
    alice: TestClient, provider: fakes.FakeProvider, udr: fakes.FakeUdr
) -> None:
    provider.expire_access_tokens()

    response = alice.get("/usage")

    assert response.status_code == 200
    assert 'data-testid="totals"' in response.text
    assert len(provider.calls("/access_token")) == 2  # login, then one refresh
    assert provider.calls("/access_token")[1]["grant_type"] == "refresh_token"
    first, second = udr.requests
    assert first["authorization"] != second["authorization"]


def test_usage_refreshes_token_before_it_expires(
    client: TestClient, provider: fakes.FakeProvider, clock: fakes.Clock
) -> None:
    provider.expires_in = 60
    log_in(client)
    clock.advance(45)

    response = client.get("/usage")

    assert response.status_code == 200
    assert provider.calls("/access_token")[-1]["grant_type"] == "refresh_token"


def test_usage_when_refresh_refused_goes_back_to_login(
    alice: TestClient, provider: fakes.FakeProvider, udr: fakes.FakeUdr
) -> None:
    for grant in provider.grants:
        grant.revoked = True

    response = alice.get("/usage", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=expired"
    login = alice.get(response.headers["location"])
    assert "Your session has expired" in login.text
    assert len(udr.requests) == 1
    again = alice.get("/usage", follow_redirects=False)
    assert again.headers["location"] == "/login"


def test_usage_when_refresh_needs_unreachable_provider_shows_openam_unavailable(
    alice: TestClient, provider: fakes.FakeProvider, network: fakes.RoutingTransport
) -> None:
    provider.expire_access_tokens()
    provider.failing = True

    response = alice.get("/usage")

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


def test_usage_without_session_redirects_to_login(
    client: TestClient, udr: fakes.FakeUdr
) -> None:
    response = client.get("/usage", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert udr.requests == []


def test_root_redirects_to_usage(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/usage"


def test_usage_page_holds_no_token(
    alice: TestClient, provider: fakes.FakeProvider
) -> None:
    html = alice.get("/usage").text

    grant = provider.grants[0]
    assert grant.access_token not in html
    assert grant.refresh_token not in html
    assert "eyJ" not in html  # no JWT of any kind


def test_usage_page_has_security_headers(alice: TestClient) -> None:
    response = alice.get("/usage")

    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # plain http here


def test_usage_meter_names_are_escaped(
    alice: TestClient,
) -> None:
    fakes.USAGE["ks-alice"].append(
        {"name": "<img src=x>", "unit": "</script>", "total": 1, "series": []}
    )
    try:
        html = alice.get("/usage").text
    finally:
        fakes.USAGE["ks-alice"].pop()

    assert "<img src=x>" not in html
    assert '</script>"' not in html
    assert "&lt;img src=x&gt;" in html


def test_chart_script_and_library_are_served_locally(client: TestClient) -> None:
    library = client.get("/static/vendor/chartjs/chart.umd.js")
    script = client.get("/static/usage.js")
    licence = client.get("/static/vendor/chartjs/LICENSE.md")

    assert library.status_code == 200 and "Chart.js v4" in library.text[:200]
    assert script.status_code == 200 and "usage-data" in script.text
    assert licence.status_code == 200 and "MIT License" in licence.text


def _row(html: str, meter: str) -> str:
    match = re.search(rf'<tr data-meter="{re.escape(meter)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {meter}"
    return match.group(1)


def test_default_period_end_is_within_the_next_hour(
    alice: TestClient, udr: fakes.FakeUdr, clock: fakes.Clock
) -> None:
    alice.get("/usage")

    end = datetime.fromisoformat(udr.requests[0]["query"]["to"])
    now = datetime.fromtimestamp(clock(), UTC)
    assert timedelta(0) < end - now <= timedelta(hours=1)


def test_concurrent_pages_refresh_the_token_once(
    client: TestClient, provider: fakes.FakeProvider, clock: fakes.Clock
) -> None:
    """The provider rotates refresh tokens: two tabs must not spend the same one."""
    provider.expires_in = 60
    log_in(client)
    clock.advance(45)
    cookies = dict(client.cookies)

    async def two_tabs() -> list[int]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=fakes.PUBLIC_URL, cookies=cookies
        ) as tab:
            pages = await asyncio.gather(tab.get("/usage"), tab.get("/usage"))
        return [page.status_code for page in pages]

    assert client.portal is not None
    statuses = client.portal.call(two_tabs)

    assert statuses == [200, 200]
    grants = [c["grant_type"] for c in provider.calls("/access_token")]
    assert grants == ["password", "refresh_token"]


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("999", "B", None),
        ("1000", "B", "1 kB"),
        ("123456789", "B", "123 MB"),
        ("1273104404271", "B", "1.27 TB"),
        ("123456789", "MB", None),
    ],
)
def test_byte_totals_get_a_readable_size(
    value: str, unit: str, shown: str | None
) -> None:
    assert approximate_bytes(Decimal(value), unit) == shown


def test_usage_without_keystoneid_from_provider_says_so(
    client: TestClient, provider: fakes.FakeProvider, udr: fakes.FakeUdr
) -> None:
    provider.id_token_keystoneid = False
    provider.userinfo_keystoneid = False
    log_in(client)

    response = client.get("/usage")

    assert response.status_code == 200
    assert 'data-testid="no-keystoneid"' in response.text
    assert udr.requests == []


def test_usage_when_udr_too_slow_shows_udr_unavailable(
    alice: TestClient, network: fakes.RoutingTransport
) -> None:
    network.slow.add(fakes.UDR_HOST)

    response = alice.get("/usage")

    assert response.status_code == 503
    assert 'data-service="udr"' in response.text


@pytest.mark.parametrize("status", [400, 422])
def test_usage_udr_refusal_is_a_400_page_with_its_description_escaped(
    alice: TestClient, udr: fakes.FakeUdr, status: int
) -> None:
    udr.status = status
    udr.body = {
        "error": "invalid_request",
        "error_description": "period longer than 366 days <b>x</b>",
    }

    response = alice.get("/usage")

    assert response.status_code == 400
    assert 'data-testid="bad-request"' in response.text
    assert "period longer than 366 days &lt;b&gt;x&lt;/b&gt;" in response.text
    assert "<b>x</b>" not in response.text
    assert "data-service" not in response.text


@pytest.mark.parametrize(
    "description",
    ["line\nbreak", "x" * 301, 42, None],
    ids=["control-character", "too-long", "not-text", "absent"],
)
def test_usage_udr_refusal_without_fit_description_is_a_plain_400(
    alice: TestClient, udr: fakes.FakeUdr, description: object
) -> None:
    udr.status = 422
    udr.body = {"error": "invalid_request", "error_description": description}

    response = alice.get("/usage")

    assert response.status_code == 400
    assert "The usage service did not accept this query." in response.text
    assert "line\nbreak" not in response.text
    assert "x" * 301 not in response.text


def test_usage_udr_404_is_a_404_page(alice: TestClient, udr: fakes.FakeUdr) -> None:
    udr.status = 404
    udr.body = {"error": "not_found", "error_description": "no such route"}

    response = alice.get("/usage")

    assert response.status_code == 404
    assert 'data-testid="not-found"' in response.text
    assert "data-service" not in response.text


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_usage_udr_redirect_is_not_followed_and_not_blamed_on_udr_being_down(
    alice: TestClient, provider: fakes.FakeProvider, udr: fakes.FakeUdr, status: int
) -> None:
    udr.status = status
    udr.headers = {"Location": f"{fakes.ISSUER}/stolen"}

    response = alice.get("/usage")

    assert provider.calls("/stolen") == []  # the bearer token went nowhere else
    assert response.status_code == 502
    assert 'data-testid="bad-gateway"' in response.text
    assert f"HTTP {status}" in response.text
    assert "data-service" not in response.text


@pytest.mark.parametrize("status", [405, 409, 413, 429])
def test_usage_udr_unexpected_4xx_is_a_502_page_not_unavailable(
    alice: TestClient, udr: fakes.FakeUdr, status: int
) -> None:
    udr.status = status

    response = alice.get("/usage")

    assert response.status_code == 502
    assert 'data-testid="bad-gateway"' in response.text
    assert 'data-testid="unavailable"' not in response.text


@pytest.mark.parametrize(
    "discovery",
    ["<html>maintenance</html>", "[]", '{"issuer": "http://elsewhere.test"}'],
    ids=["not-json", "not-an-object", "other-issuer"],
)
def test_usage_udr_503_with_provider_answering_garbage_names_openam(
    alice: TestClient,
    provider: fakes.FakeProvider,
    udr: fakes.FakeUdr,
    discovery: str,
) -> None:
    udr.status = 503
    provider.discovery_raw = discovery

    response = alice.get("/usage")

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text
