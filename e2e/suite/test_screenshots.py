"""Pictures of the pages a person sees, kept for people to look at.

The login page, a usage page and the 403 page are photographed on every run into
`<artifacts>/screenshots/`, which stays after a passing run. Each picture is taken only
once its page is known to read well: the page's own heading and message are on screen,
nothing runs off the side of a laptop-sized window, and no text is too small to read.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from e2e.pages import log_in, usage_path
from e2e.stack import Stack

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
SMALLEST_READABLE_PX = 12

# Widest element beyond the window, and the smallest font of any visible text.
_LAYOUT = """() => {
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  let smallest = Infinity;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    if (!element || !element.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    smallest = Math.min(smallest, size);
  }
  return {overflow, smallest};
}"""


@pytest.fixture
def screenshots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def photograph(page: Page, path: Path) -> None:
    """Check the page reads well at laptop size, then keep a full-page picture."""
    layout = page.evaluate(_LAYOUT)
    overflow = layout["overflow"]
    assert overflow <= 0, f"the page runs {overflow} px off the side"
    assert layout["smallest"] >= SMALLEST_READABLE_PX, (
        f"text as small as {layout['smallest']} px"
    )
    page.screenshot(path=path, full_page=True)
    width, height = _png_size(path)
    assert width == VIEWPORT["width"]
    assert height >= VIEWPORT["height"] // 2


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


@pytest.mark.step(1)
def test_login_page_reads_well(page: Page, screenshots: Path) -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto("/login")

    form = page.locator("#login-form")
    expect(form.get_by_label("Username", exact=False)).to_be_visible()
    expect(form.get_by_label("Password", exact=False)).to_be_visible()
    photograph(page, screenshots / "login.png")


@pytest.mark.step(9)
def test_usage_page_reads_well(page: Page, stack: Stack, screenshots: Path) -> None:
    page.set_viewport_size(VIEWPORT)
    log_in(page, stack.user("alice"))

    expect(page.locator("[data-testid=totals] tr[data-meter]").first).to_be_visible()
    expect(page.locator("canvas[data-testid=chart]")).to_be_visible()
    expect(page.get_by_test_id("period")).to_be_visible()
    photograph(page, screenshots / "usage.png")


@pytest.mark.step(7)
def test_forbidden_page_reads_well(page: Page, stack: Stack, screenshots: Path) -> None:
    page.set_viewport_size(VIEWPORT)
    log_in(page, stack.user("alice"))

    answer = page.goto(usage_path(keystoneid=stack.user("bob").keystoneid))

    assert answer is not None and answer.status == 403
    expect(page.get_by_test_id("forbidden")).to_contain_text(
        "You are not allowed to see this account"
    )
    photograph(page, screenshots / "forbidden.png")
