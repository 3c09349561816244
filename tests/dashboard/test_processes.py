"""The dashboard against the real provider and UDR, each a `python -m` process.

One stack (e2e.stack, built on e2e.processes) serves the module. Most tests drive the
dashboard's own process over HTTP; the ones that must see the bearer token the dashboard
sends run the dashboard in-process, wired to the real provider and UDR through a
transport that records the Authorization header.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from dashboard import create_app
from e2e.stack import Stack
from tests.dashboard.conftest import csrf_token, make_settings
from tests.dashboard.fakes import Clock

pytestmark = pytest.mark.timeout(180)

ALICE = "alice"
BOB = "bob"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(tmp_path_factory.mktemp("stack"), seed=7) as running:
        yield running


@pytest.fixture
def browser(stack: Stack) -> Iterator[httpx.Client]:
    """A cookie-keeping client of the dashboard process, redirects not followed."""
    with httpx.Client(base_url=stack.dashboard_url, timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
def _provider_behaves(stack: Stack) -> Iterator[None]:
    yield
    for service in ("mock_openam", "udr", "dashboard"):
        if not stack.running(service):  # type: ignore[arg-type]
            stack.start_service(service)  # type: ignore[arg-type]
    httpx.delete(f"{stack.test_control_url}/faults")


def log_in(
    client: Any, stack: Stack, username: str, password: str | None = None
) -> Any:
    token = csrf_token(client.get("/login").text)
    secret = password if password is not None else stack.user(username).password
    return client.post(
        "/login",
        data={"username": username, "password": secret, "csrf_token": token},
    )


def provider_requests(stack: Stack) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = httpx.get(
        f"{stack.test_control_url}/requests"
    ).json()
    return records


def clear_provider_requests(stack: Stack) -> None:
    httpx.delete(f"{stack.test_control_url}/requests")


def _token_calls(stack: Stack) -> list[dict[str, Any]]:
    return [r for r in provider_requests(stack) if r["path"].endswith("/access_token")]


@pytest.mark.step(9)
def test_real_login_shows_own_usage(browser: httpx.Client, stack: Stack) -> None:
    response = log_in(browser, stack, ALICE)

    assert response.status_code == 303
    page = browser.get("/usage")
    assert page.status_code == 200
    keystoneid = stack.user(ALICE).keystoneid
    assert f'<code data-testid="keystoneid">{keystoneid}</code>' in page.text
    assert 'data-testid="totals"' in page.text
    assert re.search(r'data-testid="total" data-value="[0-9.]+"', page.text)
    assert '<canvas data-testid="chart"' in page.text


def test_real_totals_equal_the_udrs_answer(stack: Stack) -> None:
    with _in_process_dashboard(stack) as (client, seen):
        log_in(client, stack, ALICE)
        html = client.get("/usage").text
    token, url = seen[-1]

    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()

    for meter in answer["meters"]:
        row = re.search(
            rf'<tr data-meter="{re.escape(meter["name"])}">.*?data-value="([^"]+)"',
            html,
            re.S,
        )
        assert row, meter["name"]
        assert float(row.group(1)) == meter["total"]


@pytest.mark.step(2)
def test_real_login_with_wrong_password_is_refused(
    browser: httpx.Client, stack: Stack
) -> None:
    response = log_in(browser, stack, ALICE, "not-her-password")

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert "Wrong username or password." in response.text


@pytest.mark.attack("csrf")
def test_real_login_without_csrf_token_never_reaches_provider(
    browser: httpx.Client, stack: Stack
) -> None:
    browser.get("/login")
    clear_provider_requests(stack)

    response = browser.post(
        "/login", data={"username": ALICE, "password": stack.user(ALICE).password}
    )

    assert response.status_code == 403
    assert _token_calls(stack) == []


@pytest.mark.attack("session-fixation")
def test_real_session_fixation_is_refused(browser: httpx.Client, stack: Stack) -> None:
    browser.get("/login")
    planted = browser.cookies["dashboard_session"]

    log_in(browser, stack, ALICE)

    assert browser.cookies["dashboard_session"] != planted
    with httpx.Client(base_url=stack.dashboard_url) as attacker:
        attacker.cookies.set("dashboard_session", planted)
        response = attacker.get("/usage")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=expired"


@pytest.mark.attack("forged-keystoneid")
def test_real_forged_keystoneid_shows_forbidden_page(
    browser: httpx.Client, stack: Stack
) -> None:
    log_in(browser, stack, ALICE)
    bob = stack.user(BOB).keystoneid

    response = browser.get("/usage", params={"keystoneid": bob})

    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.text
    assert "You are not allowed to see this account" in response.text
    assert bob not in response.text
    assert 'data-testid="totals"' not in response.text


def test_real_logout_revokes_token_so_udr_refuses_it(stack: Stack) -> None:
    with _in_process_dashboard(stack) as (client, seen):
        log_in(client, stack, ALICE)
        html = client.get("/usage").text
        token, url = seen[-1]
        assert _udr_status(url, token) == 200

        logout = client.post("/logout", data={"csrf_token": csrf_token(html)})

        assert logout.status_code == 303
        assert _udr_status(url, token) == 401
        assert client.get("/usage").status_code == 303


def test_real_logout_replayed_cookie_gets_nothing(
    browser: httpx.Client, stack: Stack
) -> None:
    log_in(browser, stack, ALICE)
    cookie = browser.cookies["dashboard_session"]
    token = csrf_token(browser.get("/usage").text)
    clear_provider_requests(stack)

    browser.post("/logout", data={"csrf_token": token})

    paths = [r["path"] for r in provider_requests(stack)]
    assert any(p.endswith("/token/revoke") for p in paths)
    assert any(p.endswith("/connect/endSession") for p in paths)
    with httpx.Client(base_url=stack.dashboard_url) as replay:
        replay.cookies.set("dashboard_session", cookie)
        assert replay.get("/usage").status_code == 303


def test_real_refresh_renews_expiring_token(stack: Stack) -> None:
    clock = Clock()
    with _in_process_dashboard(stack, clock) as (client, seen):
        log_in(client, stack, ALICE)
        client.get("/usage")
        clock.advance(3600)  # the access token is now within the refresh margin
        clear_provider_requests(stack)

        page = client.get("/usage")

    assert page.status_code == 200
    assert 'data-testid="totals"' in page.text
    assert [r["grant_type"] for r in _token_calls(stack)] == ["refresh_token"]
    assert seen[-1][0] != seen[-2][0]


def test_real_udr_down_shows_udr_unavailable(
    browser: httpx.Client, stack: Stack
) -> None:
    log_in(browser, stack, ALICE)
    stack.stop_service("udr")

    response = browser.get("/usage")

    assert response.status_code == 503
    assert 'data-testid="unavailable"' in response.text
    assert 'data-service="udr"' in response.text


def test_real_provider_down_at_login_shows_openam_unavailable(
    browser: httpx.Client, stack: Stack
) -> None:
    token = csrf_token(browser.get("/login").text)
    stack.stop_service("mock_openam")

    response = browser.post(
        "/login",
        data={
            "username": ALICE,
            "password": stack.user(ALICE).password,
            "csrf_token": token,
        },
    )

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


def test_real_provider_failing_after_login_shows_openam_unavailable(
    browser: httpx.Client, stack: Stack
) -> None:
    log_in(browser, stack, ALICE)
    fault = {"mode": "error", "seconds": 60}
    assert httpx.post(f"{stack.test_control_url}/faults", json=fault).status_code == 204

    response = browser.get("/usage")

    assert response.status_code == 503
    assert 'data-service="openam"' in response.text


@pytest.mark.step(2)
def test_real_code_flow_with_pkce_logs_in(browser: httpx.Client, stack: Stack) -> None:
    start = browser.get("/login/openam")
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert authorize.startswith(f"{stack.issuer}/authorize?")
    assert "code_challenge_method=S256" in authorize

    callback = _log_in_at_provider(browser, authorize, stack.user(ALICE))

    assert callback.startswith(f"{stack.dashboard_url}/callback?")
    landed = browser.get(callback)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/usage"
    page = browser.get("/usage")
    keystoneid = stack.user(ALICE).keystoneid
    assert f'<code data-testid="keystoneid">{keystoneid}</code>' in page.text


@pytest.mark.attack("callback-state")
def test_real_code_flow_with_tampered_state_is_refused(
    browser: httpx.Client, stack: Stack
) -> None:
    authorize = browser.get("/login/openam").headers["location"]
    callback = _log_in_at_provider(browser, authorize, stack.user(ALICE))
    clear_provider_requests(stack)

    response = browser.get(re.sub(r"state=[^&]+", "state=forged", callback))

    assert response.status_code == 400
    assert _token_calls(stack) == []


def test_real_logout_after_code_login_ends_the_provider_session(
    browser: httpx.Client, stack: Stack
) -> None:
    authorize = browser.get("/login/openam").headers["location"]
    browser.get(_log_in_at_provider(browser, authorize, stack.user(ALICE)))
    token = csrf_token(browser.get("/usage").text)

    logout = browser.post("/logout", data={"csrf_token": token})
    at_provider = browser.get(logout.headers["location"])

    assert at_provider.status_code == 302
    back = at_provider.headers["location"]
    assert back == f"{stack.dashboard_url}/login?state=logged_out"
    assert "You have been logged out." in browser.get(back).text
    # The provider asks for the password again: its session has ended too.
    again = browser.get(browser.get("/login/openam").headers["location"])
    assert again.status_code == 200
    assert 'name="password"' in again.text


def _log_in_at_provider(client: httpx.Client, authorize: str, user: Any) -> str:
    """What a person does on the provider's login page; returns the redirect back."""
    form_page = client.get(authorize)
    assert form_page.status_code == 200
    html = form_page.text
    action = re.search(r'<form id="login-form" method="post" action="([^"]+)"', html)
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert action and fields
    target = httpx.URL(authorize).join(action.group(1).replace("&amp;", "&"))
    answer = client.post(
        target, data={**fields, "username": user.username, "password": user.password}
    )
    assert answer.status_code in (302, 303), answer.text[:300]
    return str(answer.headers["location"])


# -- the dashboard in-process, the provider and the UDR real -------------------------


class _RecordingTransport(httpx.AsyncBaseTransport):
    """The real network, noting each bearer token sent to the UDR and the URL."""

    def __init__(self, udr_url: str) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._udr_url = udr_url
        self.seen: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        authorization = request.headers.get("authorization", "")
        if url.startswith(self._udr_url) and authorization.startswith("Bearer "):
            self.seen.append((authorization.removeprefix("Bearer "), url))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _InProcess:
    def __init__(self, stack: Stack, clock: Clock | None) -> None:
        self._transport = _RecordingTransport(stack.udr_url)
        settings = make_settings(
            public_url=stack.dashboard_url,
            issuer=stack.issuer,
            client_secret=stack.client_secret("dashboard"),
            udr_url=stack.udr_url,
            session_idle_timeout=7200,
        )
        app = create_app(settings, transport=self._transport, clock=clock or Clock())
        self._client = TestClient(app, base_url=stack.dashboard_url)

    def __enter__(self) -> tuple[TestClient, list[tuple[str, str]]]:
        self._client.__enter__()
        self._client.follow_redirects = False
        return self._client, self._transport.seen

    def __exit__(self, *exc: object) -> None:
        self._client.__exit__(*exc)


def _in_process_dashboard(stack: Stack, clock: Clock | None = None) -> _InProcess:
    return _InProcess(stack, clock)


def _udr_status(url: str, token: str) -> int:
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code


def test_logs_of_the_dashboard_process_hold_no_secret(
    browser: httpx.Client, stack: Stack
) -> None:
    log_in(browser, stack, BOB, "a-wrong-password")
    log_in(browser, stack, ALICE)
    html = browser.get("/usage").text
    browser.post("/logout", data={"csrf_token": csrf_token(html)})

    log_text = Path(stack.log_path("dashboard")).read_text()

    assert "POST /logout 303" in log_text
    for user in stack.users:
        assert user.password not in log_text
    assert stack.client_secret("dashboard") not in log_text
    assert "eyJ" not in log_text  # no JWT
    assert "Bearer" not in log_text


def test_real_https_stack_logs_in_with_secure_cookie(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with (
        Stack(tmp_path_factory.mktemp("https"), https=True, seed=7) as secure,
        httpx.Client(
            base_url=secure.dashboard_url,
            verify=ssl.create_default_context(cafile=str(secure.ca_file)),
        ) as tls,
    ):
        response = log_in(tls, secure, ALICE)
        page = tls.get("/usage")

    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
    assert page.status_code == 200
    assert 'data-testid="totals"' in page.text


def test_real_access_log_escapes_control_characters_in_the_path(
    browser: httpx.Client, stack: Stack
) -> None:
    response = browser.get("/q%0ar%0ds%09t%1bu%00v")

    log_text = Path(stack.log_path("dashboard")).read_text()
    assert response.status_code == 404
    assert "GET /q\\nr\\rs\\tt\\x1bu\\x00v 404 " in log_text
    assert "\x1b" not in log_text
    assert "\x00" not in log_text


def test_real_head_answers_without_content(stack: Stack) -> None:
    get = httpx.get(f"{stack.dashboard_url}/login")
    head = httpx.head(f"{stack.dashboard_url}/login")

    assert head.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.content == b""


def test_real_login_with_nul_in_username_is_refused_not_openam_down(
    browser: httpx.Client, stack: Stack
) -> None:
    response = log_in(browser, stack, "al\x00ice", "whatever")

    assert response.status_code == 401
    assert 'data-testid="login-error"' in response.text
    assert 'data-testid="unavailable"' not in response.text
