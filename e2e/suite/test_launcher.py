"""`python -m e2e.stack`: the state file of ARCHITECTURE.md, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from e2e.stack import shipped_demo_config

START_TIMEOUT = 90.0


def _wait_for_state(process: subprocess.Popen[bytes], path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if path.exists():
            state: dict[str, Any] = json.loads(path.read_text())
            return state
        if process.poll() is not None:
            pytest.fail(f"python -m e2e.stack exited with {process.returncode}")
        time.sleep(0.05)  # polling for the state file, the readiness signal
    pytest.fail("no state file within the start timeout")


def test_stack_command_writes_the_state_file_and_stops_on_sigterm(
    tmp_path: Path, stack_options: dict[str, Any]
) -> None:
    state_file = tmp_path / "state.json"
    command = [sys.executable, "-m", "e2e.stack", "--state-file", str(state_file)]
    command += ["--run-dir", str(tmp_path / "run")]
    command += ["--seed-cache", str(stack_options["seed_cache"])]
    command += ["--seed", str(stack_options["seed"])]
    with (tmp_path / "stack.out").open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        state = _wait_for_state(process, state_file)
        _check_state(state)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    for url in (state["openam"]["url"], state["udr"]["url"], state["dashboard"]["url"]):
        base = url.removesuffix("/openam")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/health", timeout=2.0)


def _check_state(state: dict[str, Any]) -> None:
    openam, issuer = state["openam"]["url"], state["openam"]["issuer"]
    assert openam.endswith("/openam") and issuer == f"{openam}/oauth2"
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5.0)
    assert discovery.json()["issuer"] == issuer
    for url in (state["udr"]["url"], state["dashboard"]["url"]):
        assert httpx.get(f"{url}/health", timeout=5.0).status_code == 200

    demo = yaml.safe_load(shipped_demo_config().read_text())
    demo_users = {u["username"]: u for u in demo["users"]}
    assert {u["username"] for u in state["users"]} == set(demo_users)
    for user in state["users"]:
        assert user["password"] == demo_users[user["username"]]["password"]
        assert (
            user["keystoneid"] == demo_users[user["username"]]["claims"]["keystoneid"]
        )
    demo_secrets = {c["client_id"]: c["client_secret"] for c in demo["clients"]}
    assert set(state["clients"]) == {"dashboard", "collector", "udr"}
    for client_id, client in state["clients"].items():
        assert client["client_id"] == client_id
        assert client["client_secret"] != demo_secrets[client_id]  # fresh per run

    collector = state["clients"]["collector"]
    grant = httpx.post(
        f"{issuer}/access_token",
        data={"grant_type": "client_credentials", "scope": "udr:write"},
        auth=(collector["client_id"], collector["client_secret"]),
        timeout=5.0,
    )
    assert grant.status_code == 200  # the provider knows this run's secrets
