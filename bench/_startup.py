"""Part 4: the whole stack from nothing to all-healthy, and (opt-in) `nox -s e2e`.

The stack is `e2e.stack.Stack`, the launcher the browser suites use: provider config and
key written, demo usage seeded, three services started and polled on `/health`. The
clock runs from the call to `start()` until it returns. Target: under 3 seconds. When
it is missed, each step of the launcher is timed alone to show where the time goes.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from e2e.stack import Stack

from ._load import percentile
from ._processes import service
from ._report import Report, Row

PART = "startup"
LIMIT_S = 3.0
ROOT = Path(__file__).resolve().parent.parent


def run(report: Report, run_dir: Path, starts: int, with_e2e: bool) -> None:
    # Cold: the demo usage generated, as `python -m e2e.stack` does by default. The
    # first cold start also fills a seed cache of this run; warm starts copy from it,
    # as the browser suite's stacks do.
    cache = run_dir / "seed-cache"
    cold = [
        _time_start(run_dir / f"cold-{n}", cache if n == 0 else None)
        for n in range(starts)
    ]
    warm = [_time_start(run_dir / f"warm-{n}", cache) for n in range(starts)]
    rows = [
        _start_row("stack healthy, usage generated", cold),
        _start_row("stack healthy, usage from seed cache", warm),
    ]
    for row in rows:
        report.add(row)
    if any(row.verdict == "MISS" for row in rows):
        keystoneids = sorted({k for start in cold for k in start.keystoneids})
        for row in _breakdown(run_dir / "alone", keystoneids):
            report.add(row)
    if with_e2e:
        report.add(_time_e2e(run_dir / "e2e.log"))


@dataclass(frozen=True)
class _Start:
    seconds: float
    cpu_seconds: float
    keystoneids: frozenset[str]


def _time_start(run_dir: Path, seed_cache: Path | None) -> _Start:
    """One stack from `start()` to all-healthy; its CPU counted in every process."""
    stack = Stack(run_dir, seed=1, seed_cache=seed_cache)
    before = _cpu_spent()
    started = time.perf_counter()
    stack.start()
    took = time.perf_counter() - started
    stack.stop()
    keystoneids = frozenset(user.keystoneid for user in stack.users)
    return _Start(took, _cpu_spent() - before, keystoneids)


def _start_row(case: str, starts: list[_Start]) -> Row:
    seconds = [start.seconds for start in starts]
    cpu = [start.cpu_seconds for start in starts]
    median = percentile(seconds, 50)
    return Row(
        PART,
        case,
        p50_ms=median * 1000,
        p99_ms=max(seconds) * 1000,
        cpu_ms=percentile(cpu, 50) * 1000,
        target=f"< {LIMIT_S:.0f} s",
        verdict="PASS" if median < LIMIT_S else "MISS",
        note=f"median of {len(starts)}; p99: the slowest; cpu: all processes",
        figures={
            "seconds": [round(s, 3) for s in seconds],
            "cpu_seconds": [round(c, 3) for c in cpu],
        },
    )


def _breakdown(run_dir: Path, keystoneids: list[str]) -> list[Row]:
    """Where a slow start goes: the launcher's steps timed alone, one at a time."""
    run_dir.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{run_dir / 'udr.db'}"
    seed = [sys.executable, "-m", "udr", "demo-data", "--seed", "1", "--days", "35"]
    seed += ["--database-url", database]
    for keystoneid in keystoneids:
        seed += ["--keystoneid", keystoneid]
    started, before = time.perf_counter(), _cpu_spent()
    subprocess.run(seed, check=True, capture_output=True)
    took = time.perf_counter() - started
    rows = [_alone("udr demo-data", took, _cpu_spent() - before)]

    envs = {"mock_openam": {}, "udr": {"UDR_DATABASE_URL": database}, "dashboard": {}}
    for module, env in envs.items():
        process = service(module, env, run_dir)
        started, before = time.perf_counter(), _cpu_spent()
        with process:
            took = time.perf_counter() - started
        cpu = _cpu_spent() - before
        rows.append(_alone(f"{module} to healthy", took, cpu))
    return rows


def _alone(case: str, seconds: float, cpu: float) -> Row:
    return Row(PART, f"  alone: {case}", p50_ms=seconds * 1000, cpu_ms=cpu * 1000)


def _cpu_spent() -> float:
    """CPU seconds of this process and of its children that have ended.

    A started service's CPU counts once it has been stopped and reaped, so a difference
    taken around start and stop holds everything the start cost, in every process.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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
