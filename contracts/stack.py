"""The services the suites run against when no URL is given, and the interop stack.

- `our_stack`: `e2e.stack.Stack`, the three services of this repository with the
  provider's test-control API on.
- `interop_stack`: a third-party OpenID provider (`oidc-provider` from npm, run by
  `contracts/interop/provider.mjs`) with our UDR and dashboard configured against it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from contracts.target import Target, target_from_document
from e2e.processes import LOOPBACK, ServiceFailedToStart, ServiceProcess, free_port
from e2e.stack import Stack, ValidationMode

INTEROP_DIR = Path(__file__).with_name("interop")
START_TIMEOUT = 30.0


class ProviderOutage(ABC):
    """Takes the provider down and brings it back, for the fail-closed rule."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def start(self) -> None: ...


class StackOutage(ProviderOutage):
    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def stop(self) -> None:
        self._stack.stop_service("mock_openam")

    def start(self) -> None:
        self._stack.start_service("mock_openam")


class CommandOutage(ProviderOutage):
    """The user's commands: `--provider-stop-command`, `--provider-start-command`."""

    def __init__(self, stop_command: str, start_command: str, issuer: str) -> None:
        self._stop_command = stop_command
        self._start_command = start_command
        self._discovery = f"{issuer.rstrip('/')}/.well-known/openid-configuration"

    def stop(self) -> None:
        subprocess.run(self._stop_command, shell=True, check=True, timeout=120)  # noqa: S602
        self._wait(up=False)

    def start(self) -> None:
        subprocess.run(self._start_command, shell=True, check=True, timeout=120)  # noqa: S602
        self._wait(up=True)

    def _wait(self, *, up: bool) -> None:
        deadline = time.monotonic() + START_TIMEOUT * 4
        while time.monotonic() < deadline:
            if _answers(self._discovery) == up:
                return
            time.sleep(0.2)  # polling the provider's discovery document
        state = "come back" if up else "go down"
        raise RuntimeError(f"the provider did not {state} after the user's command")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def our_stack(
    run_dir: Path, udr_mode: ValidationMode, *, https: bool = False
) -> Iterator[tuple[Target, Stack]]:
    """Our three services; over TLS, this process trusts their local CA meanwhile."""
    with Stack(run_dir, https=https, udr_mode=udr_mode) as stack:
        target = target_from_document(stack.state)
        if stack.ca_file is None:
            yield target, stack
            return
        with trusting_ca(stack.ca_file):
            yield target, stack


@contextmanager
def trusting_ca(ca_file: Path) -> Iterator[None]:
    """httpx (`SSL_CERT_FILE`) and requests (`REQUESTS_CA_BUNDLE`) trust `ca_file`."""
    names = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(ca_file) for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# -- interop ---------------------------------------------------------------------------


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ServiceFailedToStart(
            "node is not installed; the interop stack needs Node 20+"
        )
    if not (INTEROP_DIR / "node_modules" / "oidc-provider").is_dir():
        raise ServiceFailedToStart(
            f"oidc-provider is not installed; run `npm ci --prefix {INTEROP_DIR}`"
        )
    return node


class NodeProvider:
    """`node provider.mjs` on a free loopback port, its output in a log file."""

    def __init__(self, config_path: Path, log_path: Path) -> None:
        self.port = free_port()
        self.issuer = f"http://{LOOPBACK}:{self.port}/openam/oauth2"
        self._config_path = config_path
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [_node(), str(INTEROP_DIR / "provider.mjs")]
        command += ["--config", str(self._config_path), "--port", str(self.port)]
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self._log_path.read_text(errors="replace")[-2000:]
                raise ServiceFailedToStart(f"oidc-provider exited:\n{tail}")
            if _answers(f"{self.issuer}/.well-known/openid-configuration"):
                return
            time.sleep(0.05)  # polling the provider's discovery document
        self.stop()
        raise ServiceFailedToStart(
            f"oidc-provider did not answer; see {self._log_path}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class NodeOutage(ProviderOutage):
    def __init__(self, provider: NodeProvider) -> None:
        self._provider = provider

    def stop(self) -> None:
        self._provider.stop()

    def start(self) -> None:
        self._provider.start()


def _interop_users() -> list[dict[str, Any]]:
    spec = importlib.util.find_spec("mock_openam")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceFailedToStart("mock_openam (its demo users) is not installed")
    demo = Path(next(iter(spec.submodule_search_locations))) / "demo.yaml"
    document = yaml.safe_load(demo.read_text())
    return [
        {"username": u["username"], "password": u["password"], "claims": u["claims"]}
        for u in document["users"]
    ]


def _write_private_json(path: Path, document: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(document, file)


def _provider_clients(secret: dict[str, str], callback: str) -> list[dict[str, Any]]:
    """The clients of docs/design.md, plus one whose tokens live two seconds."""
    user_scopes = ["openid", "profile", "email", "keystoneid", "offline_access"]
    return [
        {
            "client_id": "dashboard",
            "client_secret": secret["dashboard"],
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [callback],
            "scopes": user_scopes,
        },
        {
            "client_id": "short_lived",
            "client_secret": secret["short_lived"],
            "grant_types": ["authorization_code"],
            "redirect_uris": [callback],
            "scopes": ["openid", "profile", "keystoneid"],
            "access_token_lifetime": 2,
        },
        {
            "client_id": "udr",
            "client_secret": secret["udr"],
            "grant_types": ["client_credentials"],
            "scopes": [],
        },
        {
            "client_id": "collector",
            "client_secret": secret["collector"],
            "grant_types": ["client_credentials"],
            "scopes": ["udr:write"],
        },
    ]


def _interop_state(
    issuer: str,
    udr_url: str,
    dashboard_url: str,
    users: list[dict[str, Any]],
    secret: dict[str, str],
) -> dict[str, Any]:
    """The interop stack described like the e2e state file."""
    return {
        "openam": {"url": issuer.removesuffix("/oauth2"), "issuer": issuer},
        "udr": {"url": udr_url},
        "dashboard": {"url": dashboard_url},
        "users": [
            {
                "username": u["username"],
                "password": u["password"],
                "keystoneid": u["claims"]["keystoneid"],
            }
            for u in users
        ],
        "clients": {
            cid: {"client_id": cid, "client_secret": value}
            for cid, value in secret.items()
        },
    }


@contextmanager
def interop_stack(run_dir: Path) -> Iterator[tuple[Target, ProviderOutage]]:
    """oidc-provider plus our UDR and dashboard (code login) configured against it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    users = _interop_users()
    client_ids = ("dashboard", "udr", "collector", "short_lived")
    secret = {cid: secrets.token_urlsafe(32) for cid in client_ids}
    udr_port, dashboard_port = free_port(), free_port()
    udr_url = f"http://{LOOPBACK}:{udr_port}"
    dashboard_url = f"http://{LOOPBACK}:{dashboard_port}"

    config_path = run_dir / "oidc-provider.json"
    _write_private_json(
        config_path,
        {
            "cookie_key": secrets.token_urlsafe(32),
            "users": users,
            "clients": _provider_clients(secret, f"{dashboard_url}/callback"),
        },
    )
    provider = NodeProvider(config_path, run_dir / "oidc-provider.log")
    database_url = f"sqlite:///{run_dir / 'udr.db'}"
    keystoneids = sorted({u["claims"]["keystoneid"] for u in users})
    _seed(database_url, keystoneids, run_dir / "udr-demo-data.log")

    udr_env = {
        "UDR_DATABASE_URL": database_url,
        "UDR_ISSUER": provider.issuer,
        "UDR_CLIENT_ID": "udr",
        "UDR_CLIENT_SECRET": secret["udr"],
    }
    dashboard_env = {
        "DASHBOARD_PUBLIC_URL": dashboard_url,
        "DASHBOARD_ISSUER": provider.issuer,
        "DASHBOARD_CLIENT_ID": "dashboard",
        "DASHBOARD_CLIENT_SECRET": secret["dashboard"],
        "DASHBOARD_UDR_URL": udr_url,
        "DASHBOARD_LOGIN_METHODS": "code",
    }
    udr = ServiceProcess(
        "udr", env=udr_env, log_path=run_dir / "udr.log", port=udr_port
    )
    dashboard = ServiceProcess(
        "dashboard",
        env=dashboard_env,
        log_path=run_dir / "dashboard.log",
        port=dashboard_port,
    )
    try:
        provider.start()
        udr.start(START_TIMEOUT)
        dashboard.start(START_TIMEOUT)
        state = _interop_state(provider.issuer, udr_url, dashboard_url, users, secret)
        yield target_from_document(state), NodeOutage(provider)
    finally:
        dashboard.stop()
        udr.stop()
        provider.stop()


def _seed(database_url: str, keystoneids: list[str], log_path: Path) -> None:
    command = [sys.executable, "-m", "udr", "demo-data", "--seed", "7"]
    for keystoneid in keystoneids:
        command += ["--keystoneid", keystoneid]
    command += ["--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("UDR_")}
    with log_path.open("ab") as log:
        result = subprocess.run(  # noqa: S603
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=120,
            check=False,
        )
    if result.returncode != 0:
        raise ServiceFailedToStart(f"udr demo-data failed; see {log_path}")
