"""`--provider-stop-command` and `--provider-start-command`, waited on by discovery.

A stand-in provider (`python -m http.server` serving a discovery document) is stopped
and started by shell commands, as a user would with `systemctl` or `docker`.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts.stack import CommandOutage
from e2e.processes import free_port


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/openam/oauth2"
    document = tmp_path / "site" / "openam" / "oauth2" / ".well-known"
    document.mkdir(parents=True)
    (document / "openid-configuration").write_text(json.dumps({"issuer": issuer}))
    pid_file = tmp_path / "provider.pid"
    serve = shlex.join(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    )
    site = shlex.quote(str(tmp_path / "site"))
    start = f"cd {site} && {{ {serve} >/dev/null 2>&1 & echo $! > {pid_file}; }}"
    stop = f"kill $(cat {pid_file})"
    yield issuer, stop, start
    if pid_file.exists():
        CommandOutage(stop, start, issuer).stop()


def _answers(issuer: str) -> bool:
    try:
        url = f"{issuer}/.well-known/openid-configuration"
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_outage_commands_take_the_provider_down_and_up(
    stand_in: tuple[str, str, str],
) -> None:
    issuer, stop, start = stand_in
    outage = CommandOutage(stop, start, issuer)
    outage.start()
    assert _answers(issuer)
    outage.stop()
    assert not _answers(issuer)
    outage.start()
    assert _answers(issuer)
