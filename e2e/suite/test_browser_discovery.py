"""Which browser the suite drives: E2E_CHROMIUM, Playwright's own, then the PATH."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from e2e.browser import BrowserNotFound, find_chromium


def _fake_playwright(executable: Path) -> Any:
    return SimpleNamespace(chromium=SimpleNamespace(executable_path=str(executable)))


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("E2E_CHROMIUM", raising=False)
    return folder


def test_setting_comes_first(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = _executable(bin_dir / "my-chrome")
    own = _executable(bin_dir / "playwright-chrome")
    _executable(bin_dir / "chromium")
    monkeypatch.setenv("E2E_CHROMIUM", str(chosen))

    assert find_chromium(_fake_playwright(own)) == chosen


def test_setting_that_is_not_executable_is_an_error(
    bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _executable(bin_dir / "chromium")
    monkeypatch.setenv("E2E_CHROMIUM", str(bin_dir / "missing"))

    with pytest.raises(BrowserNotFound, match="E2E_CHROMIUM"):
        find_chromium(_fake_playwright(bin_dir / "nothing"))


def test_playwright_browser_before_the_path(bin_dir: Path) -> None:
    own = _executable(bin_dir / "playwright-chrome")
    _executable(bin_dir / "chromium")

    assert find_chromium(_fake_playwright(own)) == own


@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_path_names_when_playwright_has_none(bin_dir: Path, name: str) -> None:
    found = _executable(bin_dir / name)

    assert find_chromium(_fake_playwright(bin_dir / "no")) == found


def test_no_browser_says_how_to_install_one(bin_dir: Path) -> None:
    with pytest.raises(BrowserNotFound) as raised:
        find_chromium(_fake_playwright(bin_dir / "no"))

    message = str(raised.value)
    assert "apt-get install chromium" in message
    assert "E2E_CHROMIUM=" in message
    assert "chromium on PATH" in message
