"""Part 4: the whole stack from nothing to all-healthy, and (opt-in) `nox -s e2e`.

The stack is `e2e.stack.Stack`, the launcher the browser suites use: provider config and
key written, demo usage seeded, three services started and polled on `/health`. The
clock runs from the call to `start()` until it returns. Target: under 3 seconds. When
it is missed, each step of the launcher is timed alone to show where the time goes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from e2e.stack import Stack

from ._load import percentile
from ._processes import service
from ._report import Report, Row

PART = "startup"
LIMIT_S = 3.0
ROOT = Path(__file__).resolve().parent.parent


def run(report: Report, run_dir: Path, starts: int, with_e2e: bool) -> None:
    seconds: list[float] = []
    keystoneids: set[str] = set()
    for n in range(starts):
        took, stack = _time_start(run_dir / f"stack-{n}")
        seconds.append(took)
        keystoneids |= {user.keystoneid for user in stack.users}
    median = percentile(seconds, 50)
    report.add(
        Row(
            PART,
            f"stack to all-healthy, median of {starts}",
            p50_ms=median * 1000,
            p99_ms=max(seconds) * 1000,
            target=f"< {LIMIT_S:.0f} s",
            verdict="PASS" if median < LIMIT_S else "MISS",
            note="p99 column: the slowest start",
            figures={"seconds": [round(s, 3) for s in seconds]},
        )
    )
    if median >= LIMIT_S:
        for row in _breakdown(run_dir / "alone", sorted(keystoneids)):
            report.add(row)
    if with_e2e:
        report.add(_time_e2e(run_dir / "e2e.log"))


def _time_start(run_dir: Path) -> tuple[float, Stack]:
    stack = Stack(run_dir, seed=1)
    started = time.perf_counter()
    stack.start()
    took = time.perf_counter() - started
    stack.stop()
    return took, stack


def _breakdown(run_dir: Path, keystoneids: list[str]) -> list[Row]:
    """Where a slow start goes: the launcher's steps timed alone, one at a time."""
    run_dir.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{run_dir / 'udr.db'}"
    seed = [sys.executable, "-m", "udr", "demo-data", "--seed", "1", "--days", "35"]
    seed += ["--database-url", database]
    for keystoneid in keystoneids:
        seed += ["--keystoneid", keystoneid]
    started = time.perf_counter()
    subprocess.run(seed, check=True, capture_output=True)
    rows = [_alone("udr demo-data (the seeding)", time.perf_counter() - started)]

    envs = {"mock_openam": {}, "udr": {"UDR_DATABASE_URL": database}, "dashboard": {}}
    for module, env in envs.items():
        process = service(module, env, run_dir)
        started = time.perf_counter()
        with process:
            took = time.perf_counter() - started
        rows.append(_alone(f"python -m {module} to healthy", took))
    return rows


def _alone(case: str, seconds: float) -> Row:
    return Row(PART, f"  alone: {case}", p50_ms=seconds * 1000)


def _time_e2e(log_path: Path) -> Row:
    """Wall time of `nox -s e2e` as a user runs it (its venv reused if it exists)."""
    nox = shutil.which("nox")
    command = [nox] if nox else [sys.executable, "-m", "nox"]
    command += ["-s", "e2e"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log_path.open("wb") as log:
        code = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    return Row(
        PART,
        "nox -s e2e, wall time",
        p50_ms=seconds * 1000,
        note=f"exit {code}; log {log_path}",
        figures={"seconds": round(seconds, 1), "exit_code": code},
    )
