"""The Markdown findings report: every failed test read as a broken rule.

A test's name carries the rule it checks (`test_rfc6749_5_2_...`, `test_step7_...`,
`test_oidc_discovery_4_3_...`); its docstring says the rule in a sentence. A failure
becomes a finding: the rule, what it requires, and what the service answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

_SPEC_NAMES = {
    "rfc": "RFC {num}",
    "oidc_core": "OpenID Connect Core 1.0",
    "oidc_discovery": "OpenID Connect Discovery 1.0",
}


@dataclass(frozen=True)
class Rule:
    source: str  # "RFC 6749 section 5.2", "Flow step 7", ...
    topic: str  # the rest of the name, in words

    def __str__(self) -> str:
        return f"{self.source}: {self.topic}" if self.topic else self.source


def rule_of(test_name: str) -> Rule:
    """Read the rule out of a test's name (parameters in brackets left aside)."""
    name = test_name.split("[", 1)[0].removeprefix("test_")
    if match := re.match(r"rfc(\d+)((?:_\d+)*)_(.*)", name):
        return Rule(_with_section(f"RFC {match[1]}", match[2]), _words(match[3]))
    if match := re.match(r"(oidc_core|oidc_discovery)((?:_\d+)*)_(.*)", name):
        return Rule(_with_section(_SPEC_NAMES[match[1]], match[2]), _words(match[3]))
    if match := re.match(r"step(\d+)_(.*)", name):
        return Rule(f"Flow step {match[1]}", _words(match[2]))
    if match := re.match(r"(openapi|openam|interop)_(.*)", name):
        source = {"openapi": "OpenAPI document", "openam": "OpenAM behaviour"}
        return Rule(source.get(match[1], "Interoperability"), _words(match[2]))
    return Rule("Contract", _words(name))


def _with_section(spec: str, digits: str) -> str:
    numbers = [part for part in digits.split("_") if part]
    return f"{spec} section {'.'.join(numbers)}" if numbers else spec


def _words(snake: str) -> str:
    return snake.replace("_", " ").strip()


@dataclass
class Outcome:
    nodeid: str
    name: str
    doc: str
    outcome: str  # passed, failed, skipped, error
    message: str = ""


@dataclass(eq=False)
class FindingsReport:
    """A pytest plugin: collects outcomes, writes the Markdown file at the end."""

    path: Path
    target: str = "(not resolved)"
    logs: str | None = None  # where the services started for the run keep their logs
    outcomes: list[Outcome] = field(default_factory=list)
    _docs: dict[str, str] = field(default_factory=dict)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            function = getattr(item, "function", None)
            doc = (getattr(function, "__doc__", None) or "").strip()
            self._docs[item.nodeid] = " ".join(doc.split())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        failed_setup = report.when == "setup" and report.failed
        if report.when != "call" and not report.skipped and not failed_setup:
            return
        if report.when == "teardown" and report.skipped:
            return
        outcome = "error" if failed_setup else report.outcome
        self.outcomes.append(
            Outcome(
                nodeid=report.nodeid,
                name=report.nodeid.rsplit("::", 1)[-1],
                doc=self._docs.get(report.nodeid, ""),
                outcome=outcome,
                message=_message(report),
            )
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render(self.target, self.outcomes, self.logs))

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> None:
        failed = sum(o.outcome == "failed" for o in self.outcomes)
        errors = sum(o.outcome == "error" for o in self.outcomes)
        terminalreporter.write_sep("-", "contract findings")
        could_not = f", {errors} could not run" if errors else ""
        terminalreporter.write_line(
            f"{failed} finding(s){could_not}; report: {self.path}"
        )


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(report.longrepr or "")[-600:]


def render(target: str, outcomes: Iterable[Outcome], logs: str | None = None) -> str:
    outcomes = list(outcomes)
    failed = [o for o in outcomes if o.outcome == "failed"]
    errors = [o for o in outcomes if o.outcome == "error"]
    skipped = [o for o in outcomes if o.outcome == "skipped"]
    passed = [o for o in outcomes if o.outcome == "passed"]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Contract findings",
        "",
        f"Target: {target}  ",
        f"Run: {when}  ",
        *([f"Service logs: {logs}  "] if logs else []),
        f"Result: {len(failed)} finding(s), {len(passed)} rule(s) held, "
        f"{len(skipped)} not checked, {len(errors)} could not run.",
        "",
        "## Findings",
        "",
    ]
    if not failed:
        lines += ["None: every rule checked held.", ""]
    lines += _detailed(failed)
    if errors:
        lines += [
            "## Could not run",
            "",
            "The suite itself failed before checking these rules (setup errors):",
            "",
        ]
        lines += _detailed(errors)
    lines += ["## Not checked", ""]
    if skipped:
        lines += ["| rule | test | why |", "|---|---|---|"]
        lines += [
            f"| {rule_of(o.name).source} | `{o.name}` | {_one_line(o.message)} |"
            for o in skipped
        ]
    else:
        lines.append("Every rule was checked.")
    lines += ["", "## Held", ""]
    lines += [f"- {rule_of(o.name)} (`{o.name}`)" for o in passed] or ["None."]
    return "\n".join(lines) + "\n"


def _detailed(outcomes: list[Outcome]) -> list[str]:
    lines: list[str] = []
    for number, outcome in enumerate(outcomes, 1):
        rule = rule_of(outcome.name)
        lines += [
            f"### {number}. {rule.source}: {rule.topic}",
            "",
            f"- Test: `{outcome.nodeid}`",
        ]
        if outcome.doc:
            lines.append(f"- Rule: {outcome.doc}")
        lines += _observed(outcome.message)
    return lines


def _observed(message: str) -> list[str]:
    """One line for a short message; a list as sent for a multi-line one."""
    rows = [row for row in message.splitlines() if row.strip()]
    if len(rows) <= 1:
        return [f"- Observed: {_one_line(message)}", ""]
    rows = rows[:40] + ([f"... {len(rows) - 40} more"] if len(rows) > 40 else [])
    return ["- Observed:", "", *[f"  {_one_line(row)}" for row in rows], ""]


def _one_line(text: str) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat[:600] + ("..." if len(flat) > 600 else "")
