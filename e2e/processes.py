"""Run one service as a real child process on a free loopback port.

The one place that starts `python -m <service>`, waits on its health endpoint and
stops it. The stack launcher, the services' own cross-process tests and the contract
suites all use it, so that every suite talks to the same kind of real process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import httpx

LOOPBACK = "127.0.0.1"


class ServiceFailedToStart(RuntimeError):
    """A child process exited, or never answered its health check in time."""


def trust(ca_file: Path | None) -> ssl.SSLContext:
    """An SSL context for httpx: the given CA bundle, or the system's trust store."""
    if ca_file is None:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=str(ca_file))


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """`python -m <module>` on a loopback port, its output in a log file."""

    def __init__(
        self,
        module: str,
        *,
        env: Mapping[str, str],
        log_path: Path,
        port: int | None = None,
        host: str = LOOPBACK,
        tls: tuple[Path, Path] | None = None,
        ca_file: Path | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.module = module
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._env = dict(env)
        self._tls = tls
        self._ca_file = ca_file
        self._args = args
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", self.module, "--host", self.host]
        cmd += ["--port", str(self.port), *self._args]
        if self._tls:
            certfile, keyfile = self._tls
            cmd += ["--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile)]
        return cmd

    def start(self, timeout: float = 20.0) -> None:
        """Start the process and return once `/health` answers 200."""
        self.spawn()
        self.wait_healthy(timeout)

    def spawn(self) -> None:
        """Start the process without waiting; `wait_healthy` waits.

        Spawning several services before waiting on any lets them start in parallel.
        """
        if self.running:
            raise RuntimeError(f"{self.module} is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**_inherited_environment(), **self._env}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_parent_death_signal(),
            )

    def wait_healthy(self, timeout: float = 20.0) -> None:
        """Poll `/health` until it answers 200; stop the process if it never does."""
        deadline = time.monotonic() + timeout
        with httpx.Client(verify=trust(self._ca_file), timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._process is None:
                    raise ServiceFailedToStart(f"{self.module} was never started")
                if self._process.poll() is not None:
                    raise ServiceFailedToStart(self._exit_message())
                try:
                    if client.get(f"{self.url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.02)  # polling interval of a readiness check
        self.stop()
        raise ServiceFailedToStart(
            f"{self.module} did not become healthy within {timeout:.0f}s; "
            f"see {self.log_path}"
        )

    def _exit_message(self) -> str:
        code = self._process.returncode if self._process else None
        tail = self.log_path.read_text(errors="replace")[-2000:]
        return f"{self.module} exited with {code}; last output:\n{tail}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout)

    def __enter__(self) -> ServiceProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, have the kernel SIGTERM the child if its parent dies.

    The last guard against orphans when the parent is killed with SIGKILL and no
    cleanup code runs. The kernel ties the signal to the thread that forked, so it is
    only set when spawning from the main thread, whose end is the process's end.
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def set_signal() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_signal


def _inherited_environment() -> dict[str, str]:
    """The parent's environment without any service setting.

    A developer's shell may export `UDR_...` or `OPENAM_...`; a child must see only the
    settings its launcher chose.
    """
    prefixes = ("OPENAM_", "UDR_", "DASHBOARD_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
