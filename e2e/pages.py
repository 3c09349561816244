"""The dashboard's pages as the browser suite drives them (docs/design.md selectors)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from playwright.sync_api import BrowserContext, Page, Response

from e2e.evidence import StoredTotal
from e2e.stack import DemoUser, Stack

SESSION_COOKIE = "dashboard_session"

BrowseFn = Callable[[Stack], BrowserContext]
"""The suite's `browse` fixture: a fresh, traced browser context on a stack."""


@dataclass(frozen=True)
class ShownTotal:
    """One row of the totals table: the exact `data-value` and the unit shown."""

    meter: str
    data_value: str
    text: str
    unit: str


def log_in(page: Page, user: DemoUser, password: str | None = None) -> Response | None:
    """Fill and submit the login form; the answer to the form's POST."""
    page.goto("/login")
    form = page.locator("#login-form")
    form.locator("[name=username]").fill(user.username)
    form.locator("[name=password]").fill(
        user.password if password is None else password
    )
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/login")
    ) as answer:
        form.locator("[name=password]").press("Enter")
    page.wait_for_load_state()
    return answer.value


def log_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#logout-form").evaluate("form => form.requestSubmit()")


def usage_path(
    keystoneid: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str | None = None,
) -> str:
    query = {
        "keystoneid": keystoneid,
        "from": start.strftime("%Y-%m-%dT%H:%M:%SZ") if start else None,
        "to": end.strftime("%Y-%m-%dT%H:%M:%SZ") if end else None,
        "bucket": bucket,
    }
    present = {key: value for key, value in query.items() if value is not None}
    return "/usage" + (f"?{urlencode(present)}" if present else "")


def shown_totals(page: Page) -> dict[str, ShownTotal]:
    """The totals table, meter by meter."""
    totals: dict[str, ShownTotal] = {}
    rows = page.locator("[data-testid=totals] tr[data-meter]")
    for index in range(rows.count()):
        row = rows.nth(index)
        meter = row.get_attribute("data-meter") or ""
        cell = row.locator("td[data-testid=total]")
        totals[meter] = ShownTotal(
            meter=meter,
            data_value=cell.get_attribute("data-value") or "",
            text=cell.inner_text().strip(),
            unit=row.locator("td[data-testid=unit]").inner_text().strip(),
        )
    return totals


def assert_totals_match(page: Page, stored: dict[str, StoredTotal]) -> None:
    """Every stored meter shown with its total and unit, and no other meter."""
    shown = shown_totals(page)
    assert sorted(shown) == sorted(stored)
    for meter, expected in stored.items():
        row = shown[meter]
        assert math.isclose(
            float(row.data_value), expected.total, rel_tol=1e-9, abs_tol=1e-9
        ), f"{meter}: page {row.data_value}, database {expected.total}"
        assert row.unit == expected.unit, f"{meter}: unit {row.unit!r}"


def chart_data(page: Page) -> dict[str, list[float]]:
    """Per meter, the values the chart draws (the page's `#usage-data` document)."""
    document = json.loads(page.locator("#usage-data").text_content() or "{}")
    return {meter["name"]: meter["values"] for meter in document.get("meters", [])}
