"""The step report: which test proved which step of the flow, and which attack failed.

A pytest plugin. Tests carry `@pytest.mark.step(n)`, `@pytest.mark.attack("name")` and
`@pytest.mark.failure("name")`; after the run the plugin writes a Markdown report of the
nine steps of `communication-flow.md`, the attacks and the failure paths, with every
test that exercised each and its outcome, and prints the same in the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STEPS = {
    1: "The user submits credentials to the dashboard",
    2: "The dashboard requests an access token from OpenAM",
    3: "OpenAM returns the access token",
    4: "The dashboard asks the UDR for usage with the token and the keystoneid",
    5: "The UDR sends the token to OpenAM",
    6: "OpenAM answers validity and the keystoneid bound to the token",
    7: "The UDR compares the two keystoneid values",
    8: "Only then the UDR returns the usage data",
    9: "The dashboard presents the usage data",
}
ATTACKS = {
    "keystoneid-in-url": "the id in the URL changed to another user's",
    "cookie-replay-after-logout": "a session cookie replayed after logout",
    "login-without-csrf": "a login POST without the CSRF token",
    "tampered-state": "the code flow with a tampered state",
    "session-fixation": "a session cookie planted before login",
    "cookie-theft": "the session cookie read by a script or sent without TLS",
}
FAILURES = {
    "wrong-password": "a wrong password",
    "openam-stopped": "OpenAM stopped mid-session",
    "udr-stopped": "the UDR stopped",
    "session-expired": "the session expired",
    "untrusted-certificate": "a provider certificate of a CA the caller does not trust",
}
_RANK = {"failed": 4, "error": 3, "passed": 2, "skipped": 1, "not run": 0}


@dataclass
class _Test:
    nodeid: str
    steps: list[int] = field(default_factory=list)
    attacks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    outcome: str = "not run"


class StepReport:
    """Collects markers and outcomes; writes the report at the end of the session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tests: dict[str, _Test] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            test = _Test(item.nodeid)
            test.steps = [int(m.args[0]) for m in item.iter_markers("step")]
            test.attacks = [str(m.args[0]) for m in item.iter_markers("attack")]
            test.failures = [str(m.args[0]) for m in item.iter_markers("failure")]
            self._tests[item.nodeid] = test

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self._tests.get(report.nodeid)
        if test is None:
            return
        test.outcome = _merge(test.outcome, report)

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> None:
        ran = any(test.outcome != "not run" for test in self._tests.values())
        if not ran or terminalreporter.config.option.collectonly:
            return
        markdown = self.markdown()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(markdown)
        terminalreporter.section("step report")
        terminalreporter.write(markdown)
        terminalreporter.write_line(f"\nstep report written to {self.path}")

    def markdown(self) -> str:
        counts: dict[str, int] = {}
        for test in self._tests.values():
            counts[test.outcome] = counts.get(test.outcome, 0) + 1
        tally = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        lines = ["# Step report", "", f"{len(self._tests)} tests: {tally}.", ""]
        lines += self._table(
            "Steps of communication-flow.md",
            "step",
            ((str(n), text, self._with(step=n)) for n, text in STEPS.items()),
        )
        lines += self._table(
            "Attacks",
            "attack",
            self._named(ATTACKS, "attacks"),
        )
        lines += self._table(
            "Failure paths",
            "failure",
            self._named(FAILURES, "failures"),
        )
        others = [t for t in self._tests.values() if not _marked(t)]
        if others:
            lines += ["## Other tests", "", "| test | outcome |", "|---|---|"]
            lines += [f"| `{_short(t.nodeid)}` | {t.outcome} |" for t in others]
            lines.append("")
        return "\n".join(lines) + "\n"

    def _named(
        self, known: dict[str, str], kind: str
    ) -> Iterable[tuple[str, str, list[_Test]]]:
        seen = {name for test in self._tests.values() for name in getattr(test, kind)}
        for name in [*known, *sorted(seen - set(known))]:
            tests = [t for t in self._tests.values() if name in getattr(t, kind)]
            yield name, known.get(name, ""), tests

    def _with(self, step: int) -> list[_Test]:
        return [test for test in self._tests.values() if step in test.steps]

    def _table(
        self, title: str, label: str, rows: Iterable[tuple[str, str, list[_Test]]]
    ) -> list[str]:
        lines = [
            f"## {title}",
            "",
            f"| {label} | what | verdict | tests |",
            "|---|---|---|---|",
        ]
        for key, text, tests in rows:
            listed = "<br>".join(f"`{_short(t.nodeid)}` {t.outcome}" for t in tests)
            lines.append(f"| {key} | {text} | {_verdict(tests)} | {listed or '-'} |")
        return [*lines, ""]


def _merge(current: str, report: pytest.TestReport) -> str:
    outcome: str
    if report.when == "call":
        outcome = "passed" if report.passed else report.outcome
    elif report.failed:
        outcome = "error"
    elif report.skipped:
        outcome = "skipped"
    else:
        return current
    return outcome if _RANK[outcome] >= _RANK[current] else current


def _marked(test: _Test) -> bool:
    return bool(test.steps or test.attacks or test.failures)


def _verdict(tests: list[_Test]) -> str:
    outcomes = {test.outcome for test in tests}
    if not tests:
        return "**not covered**"
    if outcomes & {"failed", "error"}:
        return "**FAILED**"
    if outcomes == {"passed"}:
        return "proven"
    if "passed" in outcomes:
        return "proven in part"
    return "not run"


def _short(nodeid: str) -> str:
    return nodeid.split("e2e/suite/", 1)[-1]
