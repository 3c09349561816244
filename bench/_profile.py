"""Where a missed target's time goes: py-spy sampling the serving process under load.

py-spy attaches to the real process from outside (no code of the service changes) and
samples its Python stacks while the same load generator drives the missed case again.
The summary names the functions with the most time of their own and the project's
functions with the most time in all, which is where a fix starts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from e2e.processes import ServiceProcess

from . import _load
from ._report import Row

PROJECT = ("mock_openam/", "udr/", "dashboard/")
RATE = 100  # samples a second


@dataclass(frozen=True)
class Profile:
    samples: int
    own: list[tuple[str, float]]  # function, share of samples spent in it alone
    project: list[tuple[str, float]]  # project function, share of samples under it

    def as_dict(self) -> dict[str, object]:
        return {"samples": self.samples, "own": self.own, "project": self.project}


def py_spy() -> str | None:
    """py-spy beside this interpreter (the bench session installs it) or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile(
    pids: Mapping[str, int], send: _load.Send, load: _load.Load, seconds: float = 5.0
) -> dict[str, Profile]:
    """Drive `send` for about `seconds` while py-spy samples each named process."""
    spy = py_spy()
    if spy is None:
        raise RuntimeError("py-spy is not installed (nox -s bench installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        samplers: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        for name, pid in pids.items():
            output = Path(tmp) / f"{len(samplers)}.txt"
            command = [spy, "record", "--pid", str(pid), "--rate", str(RATE)]
            command += ["--duration", str(int(seconds)), "--format", "raw"]
            command += ["--output", str(output), "--nonblocking"]
            sampler = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            samplers[name] = (sampler, output)
        _load.run(send, _drive_for(load, seconds + 2))  # outlasts the sampling
        profiles = {}
        for name, (sampler, output) in samplers.items():
            sampler.wait(timeout=seconds + 30)
            if sampler.returncode != 0 or not output.exists():
                raise RuntimeError(f"py-spy on {name} exited with {sampler.returncode}")
            profiles[name] = summarise(output.read_text())
        return profiles


def _drive_for(load: _load.Load, seconds: float) -> _load.Load:
    return _load.Load(10**6, load.concurrency, 0, seconds * 4 / 3, load.timeout)


def summarise(collapsed: str, top: int = 6) -> Profile:
    """The busiest functions of py-spy's collapsed stacks (`a;b;c count` lines)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if _idle(frames[-1]):
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            if any(package in frame for package in PROJECT) and "__main__" not in frame:
                under[frame] += count
    share = (lambda n: round(n / total, 3)) if total else (lambda n: 0.0)
    return Profile(
        samples=total,
        own=[(frame, share(n)) for frame, n in own.most_common(top)],
        project=[(frame, share(n)) for frame, n in under.most_common(top)],
    )


def _idle(frame: str) -> bool:
    """A thread waiting for work, not doing any: left out of the shares."""
    return frame.startswith(("Condition.wait", "EpollSelector.select", "select "))


def profile_misses(
    rows: list[Row],
    served: Mapping[str, tuple[Sequence[ServiceProcess], _load.Send]],
    load: _load.Load,
) -> None:
    """Profile the processes serving each missed case; summaries go on its row."""
    if py_spy() is None:
        return
    for row in rows:
        if row.verdict != "MISS" or row.case not in served:
            continue
        processes, send = served[row.case]
        pids = {p.log_path.stem: p.pid for p in processes if p.pid is not None}
        try:
            found = profile(pids, send, load)
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            row.profile = {"error": str(exc)}
            continue
        row.profile = {name: summary.as_dict() for name, summary in found.items()}
