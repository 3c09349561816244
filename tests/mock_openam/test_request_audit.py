"""Around every request: an `X-Request-Id`, one log line, and the request record."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from .conftest import BASE, COLLECTOR

CONTROL = "/openam/__test__"


def _client_credentials(client: TestClient, secret: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "scope": "udr:write"}
    return client.post(f"{BASE}/access_token", data=form, auth=(COLLECTOR[0], secret))


@pytest.mark.parametrize(("secret", "status"), [(COLLECTOR[1], 200), ("wrong", 401)])
def test_answer_carries_the_request_id_of_its_log_line_and_record(
    client: TestClient, caplog: pytest.LogCaptureFixture, secret: str, status: int
) -> None:
    caplog.set_level(logging.INFO, logger="mock_openam")

    response = _client_credentials(client, secret)

    request_id = response.headers["X-Request-Id"]
    assert response.status_code == status
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith(f"POST {BASE}/access_token {status} ")
    assert lines[0].endswith("client_id=collector")
    record = client.get(f"{CONTROL}/requests").json()[0]
    assert (record["path"], record["status"]) == (f"{BASE}/access_token", status)
    assert (record["grant_type"], record["client_id"]) == (
        "client_credentials",
        "collector",
    )


def test_injected_fault_is_recorded_with_its_status(client: TestClient) -> None:
    client.post(f"{CONTROL}/faults", json={"mode": "error", "seconds": 30})

    response = client.get(f"{BASE}/connect/jwk_uri")

    assert response.status_code == 500
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])
    record = client.get(f"{CONTROL}/requests").json()[-1]
    assert (record["path"], record["status"]) == (f"{BASE}/connect/jwk_uri", 500)


def test_health_and_test_control_are_not_recorded(client: TestClient) -> None:
    client.get("/health")
    client.get(f"{CONTROL}/requests")

    assert client.get(f"{CONTROL}/requests").json() == []
