"""Step 8: the usage answer, its period and bucket rules, and bad parameters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.udr.conftest import PERIOD, MakeClient, bearer
from tests.udr.fake_provider import FakeProvider

URL = "/usage/users/k-alice"
NOT_ISO = (
    "{} is not an ISO 8601 time with an offset or Z (e.g. 2026-11-01T00:00:00Z) "
    "nor YYYY-MM-DD HH:MM"
)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client(max_period_days=31)


@pytest.fixture
def token(provider: FakeProvider) -> str:
    return provider.mint()


@pytest.mark.step(8)
def test_daily_answer_has_totals_averages_and_series(
    client: TestClient, token: str
) -> None:
    response = client.get(
        URL, params={**PERIOD, "bucket": "day"}, headers=bearer(token)
    )

    assert response.status_code == 200
    assert response.json() == {
        "keystoneid": "k-alice",
        "period": {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        "bucket": "day",
        "meters": [
            {
                "name": "cpu_util",
                "type": "gauge",
                "unit": "%",
                "aggregate": "average",
                "total": 20.0,
                "series": [{"start": "2026-11-02T00:00:00Z", "value": 20.0}],
            },
            {
                "name": "network.incoming.bytes",
                "type": "cumulative",
                "unit": "B",
                "aggregate": "sum",
                "total": 1500.0,
                "series": [
                    {"start": "2026-11-02T00:00:00Z", "value": 1000.0},
                    {"start": "2026-11-03T00:00:00Z", "value": 500.0},
                ],
            },
        ],
    }


@pytest.mark.step(8)
def test_hourly_series_keeps_each_hour(client: TestClient, token: str) -> None:
    response = client.get(
        URL, params={**PERIOD, "bucket": "hour"}, headers=bearer(token)
    )

    cpu = response.json()["meters"][0]
    assert cpu["series"] == [
        {"start": "2026-11-02T00:00:00Z", "value": 10.0},
        {"start": "2026-11-02T01:00:00Z", "value": 30.0},
    ]
    assert cpu["total"] == 20.0


def test_bucket_defaults_to_day(client: TestClient, token: str) -> None:
    assert (
        client.get(URL, params=PERIOD, headers=bearer(token)).json()["bucket"] == "day"
    )


def test_period_includes_from_and_excludes_to(client: TestClient, token: str) -> None:
    params = {"from": "2026-11-02T01:00:00Z", "to": "2026-11-03T01:00:00Z"}

    meters = client.get(URL, params=params, headers=bearer(token)).json()["meters"]

    # cpu_util at 01:00 starts at `from`; the bytes record at 01:00 the next day at `to`
    assert [(m["name"], m["total"]) for m in meters] == [("cpu_util", 30.0)]


@pytest.mark.parametrize(
    ("start", "end", "echoed"),
    [
        (
            "2026-11-01 00:00",
            "2026-12-01 00:00",
            ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ),
        (
            "2026-11-01T01:00:00+01:00",
            "2026-11-30T00:00:00-05:00",
            ("2026-11-01T00:00:00Z", "2026-11-30T05:00:00Z"),
        ),
        (
            "2026-11-01T00:00:00.250Z",
            "2026-11-20T00:00Z",
            ("2026-11-01T00:00:00.250000Z", "2026-11-20T00:00:00Z"),
        ),
    ],
)
def test_times_are_read_in_iso_and_legacy_forms_and_echoed_in_utc(
    start: str, end: str, echoed: tuple[str, str], client: TestClient, token: str
) -> None:
    response = client.get(URL, params={"from": start, "to": end}, headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["period"] == {"from": echoed[0], "to": echoed[1]}


def test_user_without_records_gets_no_meters(
    provider: FakeProvider, client: TestClient
) -> None:
    token = provider.mint(sub="erin", claims={"keystoneid": "k-erin"})

    response = client.get("/usage/users/k-erin", params=PERIOD, headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["meters"] == []


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"to": "2026-12-01T00:00:00Z"}, "from required"),
        ({"from": "2026-11-01T00:00:00Z"}, "to required"),
        ({}, "from and to required"),
        (
            {**PERIOD, "from": "yesterday"},
            NOT_ISO.format("from"),
        ),
        (
            {**PERIOD, "to": "2026-11-31T00:00:00Z"},
            NOT_ISO.format("to"),
        ),
        (
            {**PERIOD, "from": "2026-11-01T00:00:00"},
            "from has no offset: add Z or +HH:MM",
        ),
        ({**PERIOD, "from": "2026-11-01"}, "from has no offset: add Z or +HH:MM"),
        (
            {**PERIOD, "from": "2026-11-01T00:00:00 01:00"},
            "from is not ISO 8601: a '+' in an offset must be sent as %2B",
        ),
        (
            {"from": "2026-11-02T00:00:00Z", "to": "2026-11-02T00:00:00Z"},
            "from must be before to",
        ),
        (
            {"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
            "from must be before to",
        ),
        (
            {"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
            "the period is longer than 31 days",
        ),
        ({**PERIOD, "bucket": "week"}, "bucket must be hour or day"),
        (
            {**PERIOD, "from": "2026-11-01 24:00"},
            "from is not a valid YYYY-MM-DD HH:MM",
        ),
        ({**PERIOD, "to": "2026-02-30 00:00"}, "to is not a valid YYYY-MM-DD HH:MM"),
        ({**PERIOD, "to": "\x00"}, NOT_ISO.format("to")),
        ({**PERIOD, "bucket": ""}, "bucket must be hour or day"),
        ({**PERIOD, "to": "2" * 65}, "to is longer than 64 characters"),
        (
            {"from": "0001-01-01T00:00:00+01:00", "to": "2026-11-01T00:00:00Z"},
            "from is out of range",
        ),
        (
            {"from": "2026-11-01T00:00:00Z", "to": "9999-12-31T23:59:59-01:00"},
            "to is out of range",
        ),
    ],
)
def test_bad_period_is_422_with_a_clear_message(
    params: dict[str, str], description: str, client: TestClient, token: str
) -> None:
    response = client.get(URL, params=params, headers=bearer(token))

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_request",
        "error_description": description,
    }


@pytest.mark.step(7)
def test_authorization_is_decided_before_parameters(
    provider: FakeProvider, client: TestClient
) -> None:
    bad = {"from": "nonsense"}
    bobs = provider.mint(sub="bob", claims={"keystoneid": "k-bob"})

    assert client.get(URL, params=bad).status_code == 401
    assert client.get(URL, params=bad, headers=bearer(bobs)).status_code == 403
