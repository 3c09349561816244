"""Fixtures of the browser suite: the stacks, the browser, traced contexts, evidence.

Every run keeps its files under one artifacts folder (`E2E_ARTIFACTS_DIR`, by default
`runs/e2e-<time>`): each stack's run directory with the three services' logs, and for
each failed test a screenshot, a Playwright trace and copies of the logs. The output
names the folder. After a run that passed, only the step report is kept there unless
`E2E_KEEP_ARTIFACTS=1`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Generator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from e2e.browser import CHROMIUM_ARGS, BrowserNotFound, find_chromium
from e2e.evidence import ProviderRecords, stored_week
from e2e.pages import BrowseFn
from e2e.stack import SERVICES, Stack, StackFactory
from e2e.step_report import StepReport

ARTIFACTS_KEY = pytest.StashKey[Path]()
FAILED_KEY = pytest.StashKey[bool]()
STEP_TIMEOUT_MS = 10_000
RUN_FOLDERS = ("stack-http", "stack-https", "own-stacks", "failures")


def pytest_configure(config: pytest.Config) -> None:
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    configured = os.environ.get("E2E_ARTIFACTS_DIR")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    artifacts = Path(configured or config.rootpath / "runs" / f"e2e-{stamp}").resolve()
    config.stash[ARTIFACTS_KEY] = artifacts
    config.stash[FAILED_KEY] = False
    report = StepReport(artifacts / "step-report.md")
    config.pluginmanager.register(report, "e2e-step-report")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS_KEY, {})[report.when] = report
    if report.failed:
        item.config.stash[FAILED_KEY] = True
    return report


_REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Keep the folder of a failed run; of a passed one, only the step report."""
    artifacts = session.config.stash[ARTIFACTS_KEY]
    keep = os.environ.get("E2E_KEEP_ARTIFACTS") == "1"
    if session.config.stash[FAILED_KEY] or keep or exitstatus != 0:
        return
    for name in RUN_FOLDERS:  # only what this suite made: the folder may be shared
        shutil.rmtree(artifacts / name, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    artifacts = config.stash[ARTIFACTS_KEY]
    if config.stash[FAILED_KEY]:
        terminalreporter.write_line(
            f"failure artifacts (screenshots, traces, service logs): {artifacts}",
            red=True,
            bold=True,
        )
        terminalreporter.write_line(
            "open a trace with: playwright show-trace <artifacts>/failures/<test>/"
            "trace-0.zip"
        )


# -- stacks --


@pytest.fixture(scope="session")
def artifacts_dir(pytestconfig: pytest.Config) -> Path:
    path = pytestconfig.stash[ARTIFACTS_KEY]
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def stack_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """What every stack of the run shares: the demo usage seed and its cache.

    The seed is the day's date unless `E2E_SEED` says otherwise, so the data differ
    from day to day; a month of demo usage is generated once and then copied.
    """
    seed = int(os.environ.get("E2E_SEED") or time.strftime("%Y%m%d"))
    cache = pytestconfig.rootpath / "runs" / "seed-cache"
    _prune(cache, max_age=2 * 86_400)
    return {"seed": seed, "seed_cache": cache}


@pytest.fixture(scope="session")
def stack(artifacts_dir: Path, stack_options: dict[str, Any]) -> Iterator[Stack]:
    """The shared stack over plain HTTP, for every test that leaves it running."""
    with Stack(artifacts_dir / "stack-http", **stack_options) as running:
        yield running


@pytest.fixture(scope="session")
def https_stack(artifacts_dir: Path, stack_options: dict[str, Any]) -> Iterator[Stack]:
    """The same stack over HTTPS with a local CA: the one pass with Secure cookies."""
    run_dir = artifacts_dir / "stack-https"
    with Stack(run_dir, https=True, **stack_options) as running:
        yield running


@pytest.fixture
def make_stack(
    request: pytest.FixtureRequest, artifacts_dir: Path, stack_options: dict[str, Any]
) -> Iterator[StackFactory]:
    """A stack of the test's own, for tests that stop services or change settings."""
    stacks: list[Stack] = []
    name = _safe_name(request.node.nodeid)

    def start(**options: object) -> Stack:
        run_dir = artifacts_dir / "own-stacks" / f"{name}-{len(stacks)}"
        own = Stack(run_dir, **{**stack_options, **options})
        stacks.append(own)
        own.start()
        return own

    yield start
    for own in reversed(stacks):
        own.stop()


@pytest.fixture(scope="session")
def week(stack: Stack) -> tuple[datetime, datetime]:
    """Seven whole days inside the shared stack's demo usage."""
    return stored_week(stack.database_path)


@pytest.fixture
def provider(stack: Stack) -> Iterator[ProviderRecords]:
    """The provider's request records of the shared stack, cleared for this test."""
    records = ProviderRecords(stack)
    records.clear()
    yield records
    records.close()


# -- browser --


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Path:
    try:
        return find_chromium(playwright)
    except BrowserNotFound as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


class Browsers:
    """One headless Chromium per trust setting, launched on first use.

    Over HTTPS the browser trusts exactly the stack's certificate key (its SPKI
    pinned with `--ignore-certificate-errors-spki-list`), never any certificate.
    """

    def __init__(self, playwright: Playwright, executable: Path) -> None:
        self._playwright = playwright
        self._executable = executable
        self._browsers: dict[str | None, Browser] = {}

    def for_stack(self, stack: Stack) -> Browser:
        pin = stack.spki_sha256
        if pin not in self._browsers:
            args = list(CHROMIUM_ARGS)
            if pin:
                args.append(f"--ignore-certificate-errors-spki-list={pin}")
            self._browsers[pin] = self._playwright.chromium.launch(
                executable_path=str(self._executable), args=args, headless=True
            )
        return self._browsers[pin]

    def close(self) -> None:
        for browser in self._browsers.values():
            browser.close()


@pytest.fixture(scope="session")
def browsers(playwright: Playwright, chromium: Path) -> Iterator[Browsers]:
    launched = Browsers(playwright, chromium)
    yield launched
    launched.close()


@pytest.fixture
def browse(
    request: pytest.FixtureRequest, browsers: Browsers, artifacts_dir: Path
) -> Iterator[BrowseFn]:
    """Open a fresh, traced browser context on a stack's dashboard.

    When the test fails: each page's screenshot, each context's trace and the logs
    of every stack it used go to `failures/<test>/` in the artifacts folder.
    """
    opened: list[tuple[BrowserContext, Stack]] = []

    def open_context(on: Stack) -> BrowserContext:
        context = browsers.for_stack(on).new_context(base_url=on.dashboard_url)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        context.tracing.start(screenshots=True, snapshots=True)
        opened.append((context, on))
        return context

    yield open_context

    reports = request.node.stash.get(_REPORTS_KEY, {})
    failed = any(report.failed for report in reports.values())
    folder = artifacts_dir / "failures" / _safe_name(request.node.nodeid)
    for index, (context, _) in enumerate(opened):
        if failed:
            _keep_failure_evidence(context, folder, index)
        else:
            context.tracing.stop()
        context.close()
    if failed:
        for on in {id(s): s for _, s in opened}.values():
            _copy_logs(on, folder / on.run_dir.name)


@pytest.fixture
def page(browse: BrowseFn, stack: Stack) -> Page:
    """A page in a fresh context on the shared HTTP stack's dashboard."""
    return browse(stack).new_page()


def _keep_failure_evidence(context: BrowserContext, folder: Path, index: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number, open_page in enumerate(context.pages):
        with contextlib.suppress(Exception):  # a crashed page has no screenshot
            open_page.screenshot(path=folder / f"screenshot-{index}-{number}.png")
    context.tracing.stop(path=folder / f"trace-{index}.zip")


def _copy_logs(stack: Stack, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        log = stack.log_path(service)
        if log.exists():
            shutil.copy(log, folder / log.name)


def _prune(folder: Path, max_age: float, keep: int = 4) -> None:
    """Drop cached databases older than `max_age` and all but the newest `keep`."""
    if not folder.is_dir():
        return
    files = [entry for entry in folder.iterdir() if entry.is_file()]
    files.sort(key=lambda entry: entry.stat().st_mtime, reverse=True)
    for index, entry in enumerate(files):
        if index >= keep or time.time() - entry.stat().st_mtime > max_age:
            entry.unlink(missing_ok=True)


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]
