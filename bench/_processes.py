"""The processes a benchmark measures: our services, the npm peer, the baseline app.

Each one is started the way the suites start theirs (`e2e.processes.ServiceProcess`): a
real child process on a free loopback port, ready once `/health` answers.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from e2e.processes import LOOPBACK, ServiceProcess

PEER_DIR = Path(__file__).parent / "peer"


class PeerUnavailable(RuntimeError):
    """Node or the npm peer cannot be run on this machine."""


class NodePeer(ServiceProcess):
    """`oauth2-mock-server` from the npm registry, started by `peer/serve.mjs`."""

    def __init__(self, *, log_path: Path, alg: str = "RS256") -> None:
        super().__init__("oauth2-mock-server", env={}, log_path=log_path)
        self._alg = alg

    def command(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise PeerUnavailable("node is not on the PATH")
        script = str(PEER_DIR / "serve.mjs")
        address = ["--host", self.host, "--port", str(self.port)]
        return [node, script, *address, "--alg", self._alg]

    def __enter__(self) -> NodePeer:
        self.start()
        return self

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"


def install_peer() -> None:
    """`npm ci` into `peer/node_modules` unless the pinned peer is there already."""
    if (PEER_DIR / "node_modules" / "oauth2-mock-server" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable("npm is not on the PATH")
    command = [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(PEER_DIR)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise PeerUnavailable(f"npm ci failed: {completed.stderr.strip()[-500:]}")


def service(
    module: str,
    env: Mapping[str, str],
    log_dir: Path,
    *,
    name: str | None = None,
    port: int | None = None,
    args: tuple[str, ...] = (),
) -> ServiceProcess:
    """`python -m <module>` on a loopback port, logging to `log_dir/<name>.log`."""
    log_path = log_dir / f"{name or module.replace('.', '_')}.log"
    return ServiceProcess(
        module, env=env, log_path=log_path, host=LOOPBACK, port=port, args=args
    )


@contextlib.contextmanager
def running(*processes: ServiceProcess, timeout: float = 120.0) -> Iterator[None]:
    """Start every process at once, wait until all are healthy, stop them all after."""
    try:
        for process in processes:
            process.spawn()
        for process in processes:
            process.wait_healthy(timeout)
        yield
    finally:
        for process in processes:
            process.stop()
