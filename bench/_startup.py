"""Part 4: the whole stack from nothing to all-healthy, and (opt-in) `nox -s e2e`.

The stack is `e2e.stack.Stack`, the launcher the browser suites use: provider config and
key written, demo usage seeded, three services started and polled on `/health`. The
clock runs from the call to `start()` until it returns. Target: under 3 seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from e2e.stack import Stack

from ._load import percentile
from ._report import Report, Row

PART = "startup"
LIMIT_S = 3.0
ROOT = Path(__file__).resolve().parent.parent


def run(report: Report, run_dir: Path, starts: int, with_e2e: bool) -> None:
    seconds = [_time_start(run_dir / f"stack-{n}") for n in range(starts)]
    median = percentile(seconds, 50)
    report.add(
        Row(
            PART,
            f"stack to all-healthy, median of {starts}",
            p50_ms=median * 1000,
            p99_ms=max(seconds) * 1000,
            target=f"< {LIMIT_S:.0f} s",
            verdict="PASS" if median < LIMIT_S else "MISS",
            figures={"seconds": [round(s, 3) for s in seconds]},
        )
    )
    if with_e2e:
        report.add(_time_e2e(run_dir / "e2e.log"))


def _time_start(run_dir: Path) -> float:
    stack = Stack(run_dir, seed=1)
    started = time.perf_counter()
    stack.start()
    try:
        return time.perf_counter() - started
    finally:
        stack.stop()


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
