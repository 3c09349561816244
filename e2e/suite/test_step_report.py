"""The step report itself: a failed test marks its step FAILED, a missing one shows."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INNER_CONFTEST = """
from pathlib import Path
from e2e.step_report import StepReport

def pytest_configure(config):
    config.pluginmanager.register(StepReport(Path("report.md")), "step-report")
"""

INNER_TESTS = """
import pytest

@pytest.mark.step(1)
def test_passes():
    pass

@pytest.mark.step(2)
@pytest.mark.attack("tampered-state")
def test_fails():
    assert False

@pytest.mark.step(2)
def test_also_passes():
    pass
"""


def test_report_shows_each_step_verdict_and_the_tests_behind_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS)
    pytester.makeini("[pytest]\nmarkers =\n    step(n): s\n    attack(name): a\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2, failed=1)
    report = (pytester.path / "report.md").read_text()
    rows = {
        line.split("|")[1].strip(): line for line in report.splitlines() if "|" in line
    }
    assert "3 tests: 1 failed, 2 passed." in report
    assert "| proven |" in rows["1"] and "test_passes` passed" in rows["1"]
    assert "| **FAILED** |" in rows["2"] and "test_fails` failed" in rows["2"]
    assert "test_also_passes` passed" in rows["2"]
    assert "| **not covered** |" in rows["3"]
    assert "| **FAILED** |" in rows["tampered-state"]
    assert "| **not covered** |" in rows["login-without-csrf"]
    result.stdout.fnmatch_lines(["*step report*", "*| 2 |*FAILED*"])
