"""The stack launcher: the provider, the UDR and the dashboard as real processes.

`Stack` starts `python -m mock_openam`, `python -m udr` and `python -m dashboard` on
free loopback ports with one coherent configuration: one issuer URL that the browser,
the dashboard and the UDR all see; client secrets and a signing key made fresh for the
run; the demo users of `mock_openam/demo.yaml`; demo usage in the UDR's database for
each of their `keystoneid` values. Every file of a run (provider config, key, database,
certificates, the services' logs) lives in its run directory.

`python -m e2e.stack --state-file PATH` runs the stack until interrupted and writes the
state document of ARCHITECTURE.md once every service is healthy.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from e2e.processes import LOOPBACK, ServiceFailedToStart, ServiceProcess, free_port
from e2e.stack_files import (
    DemoUser,
    copy_database,
    default_clients,
    load_demo_users,
    package_digest,
    shipped_demo_config,
    write_private,
)
from e2e.tls import Tls, make_certificates
from e2e.wiretap import Wiretap

ServiceName = Literal["mock_openam", "udr", "dashboard"]
ValidationMode = Literal["userinfo", "introspection", "tokeninfo", "jwt"]

SERVICES: tuple[ServiceName, ...] = ("mock_openam", "udr", "dashboard")
_ENV_PREFIX = {"mock_openam": "OPENAM_", "udr": "UDR_", "dashboard": "DASHBOARD_"}
DEPLOYMENT_PATH = "/openam"
CLIENT_IDS = ("dashboard", "collector", "udr")
HEALTH_TIMEOUT = 20.0
PORT_ATTEMPTS = 3


class Stack:
    """The three services, started together and stopped together.

    Use it as a context manager. `state` is the ARCHITECTURE.md state document;
    `stop_service`, `start_service` and `restart_service` take one service down and up
    again for failure-path tests.
    """

    def __init__(
        self,
        run_dir: Path,
        https: bool = False,
        udr_mode: ValidationMode = "userinfo",
        *,
        login_methods: str = "password,code",
        seed: int | None = None,
        demo_days: int = 35,
        env: Mapping[ServiceName, Mapping[str, str]] | None = None,
        demo_config: Path | None = None,
        seed_cache: Path | None = None,
        udr_wiretap: bool = False,
    ) -> None:
        self.run_dir = Path(run_dir).resolve()
        self.https = https
        self.udr_mode = udr_mode
        self.login_methods = login_methods
        self.seed = seed if seed is not None else secrets.randbelow(2**31)
        self.demo_days = demo_days
        self.seed_cache = seed_cache
        self._extra_env = {name: dict(values) for name, values in (env or {}).items()}
        self._demo_config = demo_config or shipped_demo_config()
        self._ports = {name: free_port() for name in SERVICES}
        self._secrets = {cid: secrets.token_urlsafe(32) for cid in CLIENT_IDS}
        self._tls: Tls | None = None
        self._processes: dict[ServiceName, ServiceProcess] = {}
        self._seeded = False
        self.wiretap: Wiretap | None = None
        if udr_wiretap:
            if https:
                raise ValueError("the UDR wiretap speaks plain HTTP only")
            self.wiretap = Wiretap(self.udr_url)
        self.users: list[DemoUser] = []

    # -- addresses -------------------------------------------------------------------

    def base_url(self, service: ServiceName) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://{LOOPBACK}:{self._ports[service]}"

    @property
    def openam_url(self) -> str:
        """The provider's base URL, deployment path included."""
        return f"{self.base_url('mock_openam')}{DEPLOYMENT_PATH}"

    @property
    def issuer(self) -> str:
        return f"{self.openam_url}/oauth2"

    @property
    def udr_url(self) -> str:
        return self.base_url("udr")

    @property
    def dashboard_url(self) -> str:
        return self.base_url("dashboard")

    @property
    def test_control_url(self) -> str:
        return f"{self.openam_url}/__test__"

    @property
    def database_path(self) -> Path:
        return self.run_dir / "udr.db"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"

    @property
    def ca_file(self) -> Path | None:
        return self._tls.ca_file if self._tls else None

    @property
    def spki_sha256(self) -> str | None:
        """Base64 SHA-256 of the services' public key, for pinning it in a browser."""
        return self._tls.spki_sha256 if self._tls else None

    def log_path(self, service: ServiceName) -> Path:
        return self.run_dir / f"{service}.log"

    def client_secret(self, client_id: str) -> str:
        return self._secrets[client_id]

    def user(self, username: str) -> DemoUser:
        for user in self.users:
            if user.username == username:
                return user
        raise KeyError(username)

    @property
    def state(self) -> dict[str, Any]:
        """The state document of ARCHITECTURE.md, plus where the run keeps its files."""
        return {
            "openam": {
                "url": self.openam_url,
                "issuer": self.issuer,
                "test_control": self.test_control_url,
            },
            "udr": {"url": self.udr_url, "database_url": self.database_url},
            "dashboard": {"url": self.dashboard_url},
            "users": [dataclasses.asdict(user) for user in self.users],
            "clients": {
                cid: {"client_id": cid, "client_secret": secret}
                for cid, secret in self._secrets.items()
            },
            "ca_file": str(self.ca_file) if self.ca_file else None,
            "run_dir": str(self.run_dir),
            "logs": {name: str(self.log_path(name)) for name in SERVICES},
            "udr_validation_mode": self.udr_mode,
            "seed": self.seed,
        }

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Write the configuration, start every service, return once all are healthy.

        A free port can be taken by another program between choosing it and binding
        it; then the whole stack starts again on new ports, up to three times.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.users = load_demo_users(self._demo_config)
        if self.https:
            self._tls = make_certificates(self.run_dir / "tls", LOOPBACK)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self._start_once()
                return
            except ServiceFailedToStart as exc:
                if attempt == PORT_ATTEMPTS or "address already in use" not in str(exc):
                    raise
                self._ports = {name: free_port() for name in SERVICES}

    def _start_once(self) -> None:
        if self.wiretap is not None:
            self.wiretap.target = self.udr_url
            self.wiretap.start()
        self._write_provider_files()
        self._processes = {name: self._make_process(name) for name in SERVICES}
        _live_stacks.add(self)

        try:
            self._processes["mock_openam"].spawn()
            self._processes["dashboard"].spawn()
            self._seed_database()
            self._processes["udr"].spawn()
            for process in self._processes.values():
                process.wait_healthy(HEALTH_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every service; safe to call twice and from a signal's unwinding."""
        with _signals_ignored():
            for process in reversed(list(self._processes.values())):
                process.stop()
            if self.wiretap is not None:
                self.wiretap.stop()
        _live_stacks.discard(self)

    def stop_service(self, service: ServiceName) -> None:
        self._processes[service].stop()

    def start_service(self, service: ServiceName) -> None:
        """Start a stopped service again, same port and configuration."""
        self._processes[service].start(HEALTH_TIMEOUT)

    def restart_service(self, service: ServiceName) -> None:
        self.stop_service(service)
        self.start_service(service)

    def running(self, service: ServiceName) -> bool:
        return service in self._processes and self._processes[service].running

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------

    @property
    def _provider_config_path(self) -> Path:
        return self.run_dir / "provider.yaml"

    @property
    def _signing_key_path(self) -> Path:
        return self.run_dir / "signing-key.pem"

    def _write_provider_files(self) -> None:
        document = yaml.safe_load(self._demo_config.read_text())
        document["clients"] = self._clients(document.get("clients") or [])
        write_private(self._provider_config_path, yaml.safe_dump(document).encode())
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(self._signing_key_path, pem)

    def _clients(self, shipped: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The demo clients with this run's secrets and the dashboard's redirect URI."""
        by_id = {client["client_id"]: dict(client) for client in shipped}
        defaults = default_clients()
        clients = []
        for cid in CLIENT_IDS:
            client = by_id.pop(cid, None) or defaults[cid]
            client["client_secret"] = self._secrets[cid]
            if cid == "dashboard":
                client["redirect_uris"] = [f"{self.dashboard_url}/callback"]
                client["post_logout_redirect_uris"] = [f"{self.dashboard_url}/login"]
            clients.append(client)
        for client in by_id.values():  # any further demo client, with a fresh secret
            client["client_secret"] = secrets.token_urlsafe(32)
            clients.append(client)
        return clients

    def _environment(self, service: ServiceName) -> dict[str, str]:
        env: dict[str, str]
        if service == "mock_openam":
            env = {
                "OPENAM_PUBLIC_URL": self.base_url("mock_openam"),
                "OPENAM_DEPLOYMENT_PATH": DEPLOYMENT_PATH,
                "OPENAM_CONFIG_FILE": str(self._provider_config_path),
                "OPENAM_KEY_FILE": str(self._signing_key_path),
                "OPENAM_TEST_CONTROL": "true",
            }
        elif service == "udr":
            env = {
                "UDR_DATABASE_URL": self.database_url,
                "UDR_ISSUER": self.issuer,
                "UDR_VALIDATION_MODE": self.udr_mode,
                "UDR_CLIENT_ID": "udr",
                "UDR_CLIENT_SECRET": self._secrets["udr"],
            }
        else:
            env = {
                "DASHBOARD_PUBLIC_URL": self.dashboard_url,
                "DASHBOARD_ISSUER": self.issuer,
                "DASHBOARD_CLIENT_ID": "dashboard",
                "DASHBOARD_CLIENT_SECRET": self._secrets["dashboard"],
                "DASHBOARD_UDR_URL": self.wiretap.url if self.wiretap else self.udr_url,
                "DASHBOARD_LOGIN_METHODS": self.login_methods,
            }
        if self._tls:
            env[f"{_ENV_PREFIX[service]}CA_FILE"] = str(self._tls.ca_file)
        env.update(self._extra_env.get(service, {}))
        return env

    def _make_process(self, service: ServiceName) -> ServiceProcess:
        tls = (self._tls.cert_file, self._tls.key_file) if self._tls else None
        return ServiceProcess(
            service,
            env=self._environment(service),
            log_path=self.log_path(service),
            port=self._ports[service],
            tls=tls,
            ca_file=self.ca_file,
        )

    def _seed_database(self) -> None:
        """`python -m udr demo-data` for each demo `keystoneid`, before the UDR runs.

        With a seed cache, a database made by an earlier stack with the same users,
        seed and days is copied instead: generating a month of usage takes seconds.
        """
        if self._seeded:
            return
        keystoneids = sorted({user.keystoneid for user in self.users})
        cached = self._cached_database(keystoneids)
        if cached is not None and cached.exists():
            copy_database(cached, self.database_path)
            self._seeded = True
            return
        self._run_demo_data(keystoneids)
        self._seeded = True
        if cached is not None:
            partial = cached.with_name(cached.name + f".{os.getpid()}.partial")
            copy_database(self.database_path, partial)
            partial.replace(cached)

    def _cached_database(self, keystoneids: list[str]) -> Path | None:
        """Where a database for these users, seed and days, made by this very UDR
        code (its sources are part of the key), is kept."""
        if self.seed_cache is None:
            return None
        self.seed_cache.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(
            json.dumps([keystoneids, self.seed, self.demo_days]).encode()
        )
        key.update(package_digest("udr").encode())
        return self.seed_cache / f"udr-{key.hexdigest()[:16]}.db"

    def _run_demo_data(self, keystoneids: list[str]) -> None:
        command = [sys.executable, "-m", "udr", "demo-data"]
        for keystoneid in keystoneids:
            command += ["--keystoneid", keystoneid]
        command += ["--seed", str(self.seed), "--days", str(self.demo_days)]
        command += ["--database-url", self.database_url]
        log_path = self.run_dir / "udr-demo-data.log"
        with log_path.open("ab") as log:
            result = subprocess.run(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_child_environment(),
                timeout=60,
                check=False,
            )
        if result.returncode != 0:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise ServiceFailedToStart(
                f"udr demo-data exited with {result.returncode}; last output:\n{tail}"
            )


StackFactory = Callable[..., Stack]
"""Starts a stack of a test's own with `Stack`'s keyword options (the `make_stack`
fixture)."""


def _child_environment() -> dict[str, str]:
    prefixes = tuple(_ENV_PREFIX.values())
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


# -- no orphans: signals and interpreter exit --


class _LiveStacks:
    """Every started stack, so that SIGTERM, SIGHUP and exit stop them all.

    SIGINT already raises KeyboardInterrupt; SIGTERM and SIGHUP are made to do the same,
    so the `with` blocks and pytest fixtures unwind and stop their services.
    """

    def __init__(self) -> None:
        self._stacks: list[Stack] = []
        self._previous: dict[int, Any] = {}
        atexit.register(self.stop_all)

    def add(self, stack: Stack) -> None:
        if stack not in self._stacks:
            self._stacks.append(stack)
        if not self._previous and _in_main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                self._previous[sig] = signal.signal(sig, _interrupt)

    def discard(self, stack: Stack) -> None:
        if stack in self._stacks:
            self._stacks.remove(stack)
        if not self._stacks and self._previous and _in_main_thread():
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            self._previous.clear()

    def stop_all(self) -> None:
        for stack in reversed(list(self._stacks)):
            stack.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """Let a second Ctrl-C not cut the stopping of the services short."""
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_live_stacks = _LiveStacks()


# -- command line --


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Explicit, since a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    run_dir = Path(args.run_dir) if args.run_dir else None
    temporary = run_dir is None
    if run_dir is None:
        run_dir = Path(tempfile.mkdtemp(prefix="e2e-stack-"))
    seed = args.seed if args.seed is not None else int(time.strftime("%Y%m%d"))
    cache = Path(args.seed_cache) if args.seed_cache else None
    stack = Stack(
        run_dir, https=args.https, udr_mode=args.udr_mode, seed=seed, seed_cache=cache
    )
    try:
        started = time.monotonic()
        with stack:
            elapsed = time.monotonic() - started
            if args.state_file:
                _write_state(Path(args.state_file), stack.state)
            print(_banner(stack, elapsed, args.demo), flush=True)
            return _run_until_interrupted(stack)
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0
    except ServiceFailedToStart as exc:
        print(f"the stack did not start: {exc}", file=sys.stderr)
        return 1
    finally:
        if temporary:
            shutil.rmtree(run_dir, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.stack",
        description="Run the provider, the UDR and the dashboard until interrupted.",
    )
    parser.add_argument("--state-file", help="write the state JSON here once healthy")
    parser.add_argument("--https", action="store_true", help="TLS with a local CA")
    parser.add_argument("--demo", action="store_true", help="print how to log in")
    parser.add_argument(
        "--udr-mode",
        default="userinfo",
        choices=["userinfo", "introspection", "tokeninfo", "jwt"],
        help="how the UDR validates tokens (default: userinfo)",
    )
    parser.add_argument("--run-dir", help="keep config, database and logs here")
    parser.add_argument(
        "--seed", type=int, help="seed of the demo usage (default: today's date)"
    )
    parser.add_argument(
        "--seed-cache", help="keep generated demo databases here and reuse them"
    )
    return parser


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Write atomically: a script polling for the file never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    write_private(partial, json.dumps(state, indent=2).encode())
    partial.replace(path)


def _banner(stack: Stack, elapsed: float, demo: bool) -> str:
    lines = [
        f"stack healthy in {elapsed:.1f}s",
        f"  dashboard  {stack.dashboard_url}",
        f"  provider   {stack.openam_url}",
        f"  udr        {stack.udr_url}",
        f"  logs       {stack.run_dir}",
    ]
    if stack.ca_file:
        lines.append(f"  CA         {stack.ca_file}")
    if demo:
        lines += ["", f"Open {stack.dashboard_url}/login and log in as one of:"]
        lines += [
            f"  {u.username:<8} password {u.password:<16} keystoneid {u.keystoneid}"
            for u in stack.users
        ]
        if stack.ca_file:
            lines.append("The browser will not know the local CA; accept the warning.")
    lines += ["", "Ctrl-C stops everything."]
    return "\n".join(lines)


def _run_until_interrupted(stack: Stack) -> int:
    while True:
        for service in SERVICES:
            if not stack.running(service):
                log = stack.log_path(service)
                print(f"{service} exited; see {log}", file=sys.stderr)
                return 1
        time.sleep(0.5)  # watching for a crashed service, not waiting for readiness


if __name__ == "__main__":
    sys.exit(main())
