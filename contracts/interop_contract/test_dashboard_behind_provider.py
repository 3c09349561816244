"""Our dashboard logged in through a third-party provider (`--interop` runs only).

The dashboard finds the provider by discovery, logs the user in with the
authorization-code flow and PKCE (the provider offers no password grant), and shows
the usage the UDR serves after validating the provider's opaque token at userinfo.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from contracts.checks import describe, expect_status
from contracts.conftest import Environment
from contracts.oidc import TIMEOUT, drive_login
from contracts.target import Target, User

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def dashboard(environment: Environment) -> str:
    if not environment.interop or environment.target.dashboard_url is None:
        pytest.skip(
            "interop only (--interop): our dashboard behind a third-party provider"
        )
    return environment.target.dashboard_url


@pytest.fixture
def browser(dashboard: str, user: User, target: Target) -> Iterator[httpx.Client]:
    """A cookie jar logged into the dashboard through the provider's login page."""
    provider = target.provider_issuer or ""
    with httpx.Client(timeout=TIMEOUT) as http:
        start, callback = f"{dashboard}/login/openam", f"{dashboard}/callback"
        location = drive_login(http, start, user, callback, also_follow=(provider,))
        landed = http.get(location, follow_redirects=True)
        expect_status(landed, 200)
        yield http


def test_interop_dashboard_code_login_shows_own_usage(
    browser: httpx.Client, dashboard: str, user: User
) -> None:
    """After the code login, the usage page shows the user's keystoneid and totals."""
    page = browser.get(f"{dashboard}/usage", follow_redirects=True)
    expect_status(page, 200)
    assert 'data-testid="keystoneid"' in page.text, (
        f"no keystoneid shown: {describe(page)}"
    )
    assert user.keystoneid in page.text, "the page does not show the user's keystoneid"
    assert 'data-testid="totals"' in page.text, f"no totals table: {describe(page)}"


def test_interop_dashboard_other_keystoneid_forbidden(
    browser: httpx.Client, dashboard: str, target: Target
) -> None:
    """Asking the dashboard for another account ends on its 403 page, as with OpenAM."""
    other = target.other_existing_keystoneid
    if other is None:
        pytest.skip("no other keystoneid known")
    page = browser.get(
        f"{dashboard}/usage?keystoneid={quote(other)}", follow_redirects=True
    )
    expect_status(page, 403)
    assert 'data-testid="forbidden"' in page.text, (
        f"no forbidden notice: {describe(page)}"
    )
