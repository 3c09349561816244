"""`python -m udr` as a real process: health, the guard over HTTP, and its log."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.processes import ServiceProcess
from tests.udr.conftest import PERIOD, bearer, seed
from tests.udr.fake_provider import UDR_CLIENT, FakeProvider
from udr.store import UsageStore


@pytest.fixture
def udr(tmp_path: Path, provider: FakeProvider) -> Iterator[ServiceProcess]:
    database = f"sqlite:///{tmp_path / 'udr.db'}"
    seed(UsageStore.from_url(database))
    env = {
        "UDR_DATABASE_URL": database,
        "UDR_ISSUER": provider.issuer,
        "UDR_CLIENT_ID": UDR_CLIENT[0],
        "UDR_CLIENT_SECRET": UDR_CLIENT[1],
    }
    with ServiceProcess("udr", env=env, log_path=tmp_path / "udr.log") as process:
        yield process


def test_process_serves_health_and_the_owner_only(
    udr: ServiceProcess, provider: FakeProvider
) -> None:
    token = provider.mint()

    health = httpx.get(f"{udr.url}/health")
    mine = httpx.get(
        f"{udr.url}/usage/users/k-alice", params=PERIOD, headers=bearer(token)
    )
    other = httpx.get(
        f"{udr.url}/usage/users/k-bob", params=PERIOD, headers=bearer(token)
    )

    assert health.json() == {"status": "ok"}
    assert mine.status_code == 200
    assert other.status_code == 403


def test_process_log_has_one_line_per_request_without_token_or_query(
    udr: ServiceProcess, provider: FakeProvider
) -> None:
    token = provider.mint()
    httpx.get(f"{udr.url}/usage/users/k-alice", params=PERIOD, headers=bearer(token))
    httpx.get(f"{udr.url}/usage/users/k-bob", params=PERIOD, headers=bearer(token))
    httpx.get(f"{udr.url}/usage/users/k-alice", params={"access_token": token})
    udr.stop()

    log = udr.log_path.read_text()
    lines = log.splitlines()
    requests = [x for x in lines if " udr.request " in x and "/health" not in x]

    assert len(requests) == 3
    assert [line.split()[6] for line in requests] == ["200", "403", "400"]
    assert token not in log
    assert "2026-11-01" not in log  # the query string is never written
    assert "access denied: sub='alice' client='dashboard' asked='k-bob'" in log


def test_process_answers_head_and_redirects_no_slash(udr: ServiceProcess) -> None:
    """Through uvicorn: HEAD as GET without content; `/health/` a 404, no Location."""
    get = httpx.get(f"{udr.url}/health")
    head = httpx.head(f"{udr.url}/health")
    slash = httpx.get(f"{udr.url}/health/", headers={"Host": "evil.example"})

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert slash.status_code == 404
    assert "location" not in slash.headers
    udr.stop()
    assert "Traceback" not in udr.log_path.read_text()


def test_process_collector_gone_mid_body_is_no_traceback_and_no_500(
    udr: ServiceProcess, provider: FakeProvider, tmp_path: Path
) -> None:
    """The reviewer's case: Content-Length 1000, 10 bytes sent, the socket closed."""
    store = UsageStore.from_url(f"sqlite:///{tmp_path / 'udr.db'}")
    before = store.count()
    token = provider.mint(
        sub="collector", client_id="collector", scope="udr:write", claims={}
    )
    head = (
        "POST /usage/records HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{udr.port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection((udr.host, udr.port), timeout=5) as sock:
        sock.sendall(head.encode() + b'{"records"')

    line = _wait_for_line(udr.log_path, "POST '/usage/records'")
    udr.stop()
    log = udr.log_path.read_text()

    assert line.split()[6] == "499"
    assert "client disconnected" in log
    assert "Traceback" not in log
    assert "ClientDisconnect" not in log
    assert store.count() == before


def _wait_for_line(log_path: Path, needle: str, timeout: float = 20.0) -> str:
    """The first log line holding `needle`, polled for until it is written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if needle in line:
                return line
        time.sleep(0.02)  # polling interval of a readiness check
    raise AssertionError(f"no log line with {needle!r} within {timeout:.0f}s")


def test_process_refuses_the_demo_secret_for_a_remote_provider(tmp_path: Path) -> None:
    env = {
        "UDR_DATABASE_URL": f"sqlite:///{tmp_path / 'udr.db'}",
        "UDR_ISSUER": "https://openam.example.org/openam/oauth2",
        "UDR_VALIDATION_MODE": "introspection",
    }
    process = ServiceProcess("udr", env=env, log_path=tmp_path / "udr.log")

    with pytest.raises(RuntimeError, match="exited"):
        process.start(timeout=60)

    assert "UDR_CLIENT_SECRET is the demo secret" in process.log_path.read_text()
