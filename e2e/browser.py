"""Which Chromium the browser suites drive, found without downloading anything.

In order: the `E2E_CHROMIUM` setting, Playwright's own installed browser, then
`chromium`, `chromium-browser` and `google-chrome` on the PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Playwright

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome")

HOW_TO_INSTALL = """\
No Chromium or Chrome was found for the browser suite. Any one of these will do:
  - Debian or Ubuntu:  sudo apt-get install chromium
  - Fedora:            sudo dnf install chromium
  - Playwright's own build, where downloads are allowed:  playwright install chromium
  - a browser elsewhere:  E2E_CHROMIUM=/path/to/chrome nox -s e2e
Looked at: {looked}"""


class BrowserNotFound(RuntimeError):
    """No usable Chromium; the message says how to install one."""


def find_chromium(playwright: Playwright) -> Path:
    """The executable to launch, or `BrowserNotFound` naming every place looked at."""
    configured = os.environ.get("E2E_CHROMIUM")
    if configured:
        path = Path(configured).expanduser()
        if _executable(path):
            return path
        raise BrowserNotFound(f"E2E_CHROMIUM={configured} is not an executable file")

    looked: list[str] = []
    own = _playwright_browser(playwright)
    if own is not None:
        if _executable(own):
            return own
        looked.append(f"{own} (Playwright's browser)")
    for name in PATH_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
        looked.append(f"{name} on PATH")
    raise BrowserNotFound(HOW_TO_INSTALL.format(looked=", ".join(looked)))


def _playwright_browser(playwright: Playwright) -> Path | None:
    try:
        return Path(playwright.chromium.executable_path)
    except Exception:  # Playwright raises when it knows no path at all
        return None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
