"""The results of one run: a table for the terminal and a JSON document for machines."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ._load import Result

Verdict = Literal["PASS", "MISS", "SKIP", "INFO"]


@dataclass
class Row:
    """One measured case, with its ratio and the issue's target where there is one."""

    part: str
    case: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_ms: float | None = None
    ratio: float | None = None
    target: str = ""
    verdict: Verdict = "INFO"
    note: str = ""
    figures: dict[str, object] = field(default_factory=dict)
    profile: dict[str, object] | None = None


@dataclass
class Report:
    """Every row of one run, in the order they were measured."""

    rows: list[Row] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    settings: dict[str, object] = field(default_factory=dict)
    load_at_start: list[float] | None = field(default_factory=lambda: _load_average())

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(_format_row(row), flush=True)
        return row

    def as_dict(self) -> dict[str, object]:
        return {
            "date": self.started.isoformat(timespec="seconds"),
            "machine": _machine(),
            "load_average": {"start": self.load_at_start, "end": _load_average()},
            "settings": self.settings,
            "rows": [asdict(row) for row in self.rows],
            "missed": [f"{r.part}: {r.case}" for r in self.rows if r.verdict == "MISS"],
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")

    def write_markdown(self, path: Path) -> None:
        """The table as Markdown, for a README or a pull request."""
        when = self.started.strftime("%Y-%m-%d %H:%M UTC")
        busy = f", load average {self.load_at_start[0]}" if self.load_at_start else ""
        lines = [
            f"Benchmarks of {when}, {_machine()['cpus']} cores{busy}",
            "",
            "| part | case | req/s | p50 ms | p99 ms | cpu ms | ratio | target | |",
            "|---|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for row in self.rows:
            figures = [
                (row.rps, 0),
                (row.p50_ms, 1),
                (row.p99_ms, 1),
                (row.cpu_ms, 2),
                (row.ratio, 2),
            ]
            cells = [row.part, row.case.strip()]
            cells += [_number(value, digits, blank="") for value, digits in figures]
            cells += [row.target, "" if row.verdict == "INFO" else row.verdict]
            lines.append("| " + " | ".join(cells) + " |")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")

    def table(self) -> str:
        lines = [_HEADER, "-" * len(_HEADER)]
        lines += [_format_row(row) for row in self.rows]
        for row in self.rows:
            for process, profile in (row.profile or {}).items():
                lines += [
                    "",
                    f"{row.part}: {row.case}, where {process} spends its time",
                ]
                lines += _profile_lines(profile)
        return "\n".join(lines)


_COLUMNS = (
    ("part", 10),
    ("case", 38),
    ("req/s", 8),
    ("p50 ms", 8),
    ("p99 ms", 8),
    ("cpu ms", 7),
    ("ratio", 6),
    ("target", 18),
    ("", 4),
)
_HEADER = " ".join(
    name.ljust(width) if i < 2 else name.rjust(width)
    for i, (name, width) in enumerate(_COLUMNS)
).rstrip()


def measured(part: str, case: str, result: Result) -> Row:
    """A row of one load run's figures, saying so when the time budget cut it short."""
    note = f"cut short at {result.requests} requests" if result.cut_short else ""
    return Row(
        part,
        case,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        cpu_ms=result.cpu_ms,
        note=note,
        figures=dict(result.as_dict()),
    )


def _format_row(row: Row) -> str:
    cells = [
        row.part[:10].ljust(10),
        row.case[:38].ljust(38),
        _number(row.rps, 0).rjust(8),
        _number(row.p50_ms, 2).rjust(8),
        _number(row.p99_ms, 2).rjust(8),
        _number(row.cpu_ms, 2).rjust(7),
        _number(row.ratio, 2).rjust(6),
        row.target[:18].rjust(18),
        ("" if row.verdict == "INFO" else row.verdict).rjust(4),
    ]
    line = " ".join(cells).rstrip()
    return f"{line}  {row.note}" if row.note else line


def _profile_lines(profile: object) -> list[str]:
    if not isinstance(profile, dict):
        return [f"  could not profile: {profile}"]
    lines = [f"  {share:6.1%} own  {frame}" for frame, share in _pairs(profile, "own")]
    lines += [
        f"  {share:6.1%} in   {frame}" for frame, share in _pairs(profile, "project")
    ]
    return lines


def _pairs(profile: dict[str, object], key: str) -> list[tuple[str, float]]:
    value = profile.get(key)
    return [(str(f), float(s)) for f, s in value] if isinstance(value, list) else []


def _number(value: float | None, digits: int, blank: str = "-") -> str:
    if value is None or math.isnan(value):
        return blank
    return f"{value:.{digits}f}"


def _machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def _load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: how busy the machine was."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def header() -> str:
    return _HEADER
