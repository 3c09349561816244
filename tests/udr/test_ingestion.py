"""Collectors push usage records: a write scope, idempotence, all or nothing."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.udr.conftest import PERIOD, MakeClient, MakeSettings, bearer
from tests.udr.fake_provider import FakeProvider
from udr import create_app

URL = "/usage/records"


def rec(n: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"collector-{n}",
        "keystoneid": "k-carol",
        "resource_id": "vm-1",
        "meter": "disk.write.bytes",
        "type": "cumulative",
        "unit": "B",
        "volume": 100.0 * (n + 1),
        "start": f"2026-11-05T{n:02d}:00:00Z",
        "end": f"2026-11-05T{n:02d}:59:59+00:00",
        "metadata": {"host": "compute-1"},
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


@pytest.fixture
def collector(provider: FakeProvider) -> dict[str, str]:
    token = provider.mint(
        sub="collector", client_id="collector", scope="udr:write", claims={}
    )
    return bearer(token)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def _stored(client: TestClient) -> int:
    return int(client.app.state.store.count())  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["introspection", "tokeninfo", "jwt"])
def test_batch_is_stored_and_served_to_its_owner(
    mode: str,
    provider: FakeProvider,
    make_client: MakeClient,
    collector: dict[str, str],
) -> None:
    client = make_client(write_validation_mode=mode)

    response = client.post(URL, json={"records": [rec(0), rec(1)]}, headers=collector)

    assert response.status_code == 200
    assert response.json() == {"stored": 2, "duplicates": 0}
    carol = provider.mint(sub="carol", claims={"keystoneid": "k-carol"})
    usage = client.get("/usage/users/k-carol", params=PERIOD, headers=bearer(carol))
    assert usage.json()["meters"][0]["total"] == 300.0


def test_same_batch_twice_is_stored_once(
    client: TestClient, collector: dict[str, str]
) -> None:
    batch = {"records": [rec(0), rec(1), rec(1)]}
    before = _stored(client)

    first = client.post(URL, json=batch, headers=collector)
    second = client.post(URL, json=batch, headers=collector)

    assert first.json() == {"stored": 2, "duplicates": 1}
    assert second.json() == {"stored": 0, "duplicates": 3}
    assert _stored(client) == before + 2


def test_same_id_with_other_content_is_a_conflict_and_stores_nothing(
    client: TestClient, collector: dict[str, str]
) -> None:
    client.post(URL, json={"records": [rec(0)]}, headers=collector)
    before = _stored(client)

    response = client.post(
        URL, json={"records": [rec(5), rec(0, volume=1.5)]}, headers=collector
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "error_description": (
            "record 1: id 'collector-0' is already stored with other content"
        ),
        "index": 1,
    }
    assert _stored(client) == before


def test_same_id_twice_in_one_batch_with_other_content_is_a_conflict(
    client: TestClient, collector: dict[str, str]
) -> None:
    before = _stored(client)

    response = client.post(
        URL, json={"records": [rec(7), rec(7, unit="kB")]}, headers=collector
    )

    assert response.status_code == 409
    assert response.json()["index"] == 1
    assert _stored(client) == before


def test_same_instant_in_another_offset_is_the_same_content(
    client: TestClient, collector: dict[str, str]
) -> None:
    client.post(URL, json={"records": [rec(0)]}, headers=collector)

    again = rec(0, start="2026-11-05T01:00:00+01:00", volume=100)
    response = client.post(URL, json={"records": [again]}, headers=collector)

    assert response.json() == {"stored": 0, "duplicates": 1}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (rec(2, volume="12"), "volume: Input should be a valid number"),
        (rec(2, volume=None), "volume: Input should be a valid number"),
        (rec(2, volume=True), "volume: Input should be a valid number"),
        (
            rec(2, volume=1e19),
            "volume: Input should be less than or equal to 1000000000000000000",
        ),
        (
            rec(2, type="counter"),
            "type: Input should be 'gauge', 'cumulative' or 'delta'",
        ),
        (rec(2, id=""), "id: String should have at least 1 character"),
        (rec(2, id="x" * 256), "id: String should have at most 255 characters"),
        (rec(2, keystoneid=...), "keystoneid: Field required"),
        (rec(2, colour="blue"), "colour: Extra inputs are not permitted"),
        (rec(2, start="2026-11-05T10:00:00"), "start: Input should have timezone info"),
        (
            rec(2, start="2026-11-05T12:00:00Z", end="2026-11-05T11:00:00Z"),
            "Value error, start is after end",
        ),
        (
            rec(2, metadata={"x": "y" * 20_000}),
            "metadata: Value error, metadata over 16384 bytes",
        ),
        (rec(2, metadata=[1, 2]), "metadata: Input should be a valid dictionary"),
        ("a string", "Input should be a valid dictionary or instance of UsageRecord"),
        (
            rec(2, id="\ud800"),  # a lone surrogate, as JSON may escape it
            "id: Input should be a valid string, unable to parse raw data as a unicode "
            "string",
        ),
    ],
)
def test_bad_record_names_its_index_and_stores_nothing(
    bad: Any, reason: str, client: TestClient, collector: dict[str, str]
) -> None:
    before = _stored(client)

    body = json.dumps({"records": [rec(0), rec(1), bad]})  # escapes lone surrogates

    response = client.post(
        URL, content=body, headers={**collector, "Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_request",
        "error_description": f"record 2: {reason}",
        "index": 2,
    }
    assert _stored(client) == before


@pytest.mark.parametrize("volume", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_volume_is_refused(
    volume: str, client: TestClient, collector: dict[str, str]
) -> None:
    body = json.dumps({"records": [rec(0)]}).replace("100.0", volume)

    response = client.post(
        URL, content=body, headers={**collector, "Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["index"] == 0
    assert (
        response.json()["error_description"]
        == "record 0: volume: Input should be a finite number"
    )


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"{not json", "the body is not JSON"),
        (b"[]", 'the body must be {"records": [...]}'),
        (b'{"records": [], "more": 1}', 'the body must be {"records": [...]}'),
        (b'{"records": {}}', "records must be a list"),
        (b"\xff\xfe", "the body is not JSON"),
        (
            b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "the body is not JSON",
        ),
    ],
)
def test_bad_body_is_422(
    body: bytes, description: str, client: TestClient, collector: dict[str, str]
) -> None:
    response = client.post(
        URL, content=body, headers={**collector, "Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_request",
        "error_description": description,
        "index": None,
    }


def test_too_many_records_is_422(
    make_client: MakeClient, collector: dict[str, str]
) -> None:
    client = make_client(max_batch=2)

    response = client.post(
        URL, json={"records": [rec(0), rec(1), rec(2)]}, headers=collector
    )

    assert response.status_code == 422
    assert response.json()["error_description"] == "more than 2 records in one batch"


def test_too_large_body_is_413(
    make_client: MakeClient, collector: dict[str, str]
) -> None:
    client = make_client(max_body_bytes=1024)
    batch = {"records": [rec(n) for n in range(20)]}

    response = client.post(URL, json=batch, headers=collector)

    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


def test_other_content_type_is_415(
    client: TestClient, collector: dict[str, str]
) -> None:
    response = client.post(
        URL, content=b"records=1", headers={**collector, "Content-Type": "text/plain"}
    )

    assert response.status_code == 415


def test_empty_batch_stores_nothing(
    client: TestClient, collector: dict[str, str]
) -> None:
    response = client.post(URL, json={"records": []}, headers=collector)

    assert response.json() == {"stored": 0, "duplicates": 0}


@pytest.mark.attack("user-token-writes")
def test_token_without_write_scope_is_refused(
    provider: FakeProvider, client: TestClient
) -> None:
    users = bearer(provider.mint())

    response = client.post(URL, json={"records": [rec(0)]}, headers=users)

    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "the token lacks the udr:write scope",
    }
    assert response.headers["www-authenticate"] == (
        'Bearer realm="udr", error="insufficient_scope", '
        'error_description="the token lacks the udr:write scope", scope="udr:write"'
    )


def test_ingestion_without_token_is_401_before_the_body_is_read(
    client: TestClient,
) -> None:
    response = client.post(
        URL, content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="udr"'


def test_revoked_collector_token_is_refused(
    provider: FakeProvider, client: TestClient
) -> None:
    token = provider.mint(
        sub="collector", client_id="collector", scope="udr:write", claims={}
    )
    provider.revoke(token)

    response = client.post(URL, json={"records": [rec(0)]}, headers=bearer(token))

    assert response.status_code == 401


def _post(
    app: FastAPI, headers: dict[str, str], messages: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """POST /usage/records straight into the ASGI app, as a server would hand it over:
    the client's `messages`, then `http.disconnect` (the socket is closed). Returns what
    the app sent and how many times it asked for the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8090),
    }
    pending = list(messages)
    sent: list[dict[str, Any]] = []
    asked = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        try:
            await app(scope, receive, send)
        finally:  # the provider's connections belong to this event loop
            await app.state.provider.aclose()

    asyncio.run(run())
    return sent, asked


def _status(sent: list[dict[str, Any]]) -> int:
    starts = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1
    return int(starts[0])


def test_collector_gone_mid_body_is_logged_as_499_and_stores_nothing(
    make_settings: MakeSettings,
    collector: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Content-Length 1000, 10 bytes, then the socket closes: no ClientDisconnect
    escapes the app (uvicorn would print its traceback and log a 500)."""
    app = create_app(make_settings())
    headers = {**collector, "content-type": "application/json"}
    headers["content-length"] = "1000"
    first = {"type": "http.request", "body": b'{"records"', "more_body": True}

    with caplog.at_level(logging.INFO, logger="udr"):
        sent, _ = _post(app, headers, [first])

    assert _status(sent) == 499
    lines = [r.getMessage() for r in caplog.records if r.name == "udr.request"]
    assert len(lines) == 1
    assert lines[0].startswith("POST '/usage/records' 499 ")
    assert "client disconnected" in caplog.text
    assert app.state.store.count() == 0


def test_declared_length_over_the_limit_is_413_before_the_body_is_read(
    make_settings: MakeSettings, collector: dict[str, str]
) -> None:
    app = create_app(make_settings(max_body_bytes=1024))
    headers = {**collector, "content-type": "application/json"}
    headers["content-length"] = "1025"
    body = {"type": "http.request", "body": b"{}", "more_body": False}

    sent, asked = _post(app, headers, [body])

    assert _status(sent) == 413
    assert json.loads(sent[-1]["body"]) == {
        "error": "invalid_request",
        "error_description": "the body is larger than 1024 bytes",
    }
    assert asked == 0
