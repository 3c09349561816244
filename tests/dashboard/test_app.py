"""Settings, the command line, and pages for requests that fit no route."""

from __future__ import annotations

import logging
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from dashboard import DashboardSettings, create_app
from dashboard.settings import DEMO_CLIENT_SECRET
from tests.dashboard import fakes
from tests.dashboard.conftest import log_in, make_settings


def test_health_answers_ok(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "public_url": "https://dashboard.example.org",
            "client_secret": DEMO_CLIENT_SECRET,
        },
        {"login_methods": "password,implicit"},
        {"login_methods": ""},
        {"issuer": "openam.test/openam/oauth2"},
        {"udr_url": "ftp://udr.test"},
        {"session_idle_timeout": 0},
    ],
    ids=[
        "demo-secret-public",
        "unknown-method",
        "no-method",
        "issuer-no-scheme",
        "udr-ftp",
        "idle-zero",
    ],
)
def test_settings_refuse_bad_values(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_settings(**overrides)


LOOPBACK_PARTIES = {
    "public_url": "http://localhost:8000",
    "issuer": "http://127.0.0.1:8080/openam/oauth2",
    "udr_url": "http://[::1]:8090",
}


def test_settings_allow_demo_secret_on_loopback() -> None:
    settings = make_settings(client_secret=DEMO_CLIENT_SECRET, **LOOPBACK_PARTIES)

    assert settings.client_secret == DEMO_CLIENT_SECRET


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("public_url", "https://dashboard.example.org"),
        ("issuer", "https://openam.example.org/openam/oauth2"),
        ("udr_url", "https://udr.example.org"),
        ("udr_url", "http://10.0.0.5:8090"),
    ],
    ids=["public-url", "issuer", "udr-url", "udr-private-address"],
)
def test_settings_refuse_demo_secret_when_any_party_is_off_loopback(
    name: str, url: str
) -> None:
    values = {**LOOPBACK_PARTIES, name: url}

    with pytest.raises(ValidationError, match=f"DASHBOARD_{name.upper()}"):
        make_settings(client_secret=DEMO_CLIENT_SECRET, **values)


def test_settings_allow_a_real_secret_off_loopback() -> None:
    settings = make_settings(issuer="https://openam.example.org/openam/oauth2")

    assert settings.client_secret == fakes.CLIENT_SECRET


def test_default_http_timeout_outlasts_the_udrs_wait_on_the_provider() -> None:
    """A slow provider must reach the dashboard as the UDR's own 503 (openam), not
    as the UDR itself timing out (udr)."""
    from udr.config import Settings as UdrSettings  # a test may read both

    dashboard_timeout = DashboardSettings.model_fields["http_timeout"].default
    udr_timeout = UdrSettings.model_fields["provider_timeout"].default

    assert dashboard_timeout == 10.0
    assert dashboard_timeout > udr_timeout


def test_settings_normalise_methods_and_trailing_slash() -> None:
    settings = make_settings(
        login_methods=" code , password", issuer=fakes.ISSUER + "/"
    )

    assert settings.methods == ("code", "password")
    assert settings.issuer == fakes.ISSUER


def test_command_line_refuses_bad_settings_without_traceback() -> None:
    env = {"DASHBOARD_LOGIN_METHODS": "telepathy", "PATH": "/usr/bin:/bin"}

    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert (
        "DASHBOARD_LOGIN_METHODS" in result.stderr or "login_methods" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_session_cookie_is_secure_when_served_over_https(
    network: fakes.RoutingTransport,
) -> None:
    settings = make_settings(public_url="https://127.0.0.1:8443")
    app = create_app(settings, transport=network)
    with TestClient(app, base_url="https://127.0.0.1:8443") as client:
        response = log_in(client)

    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_unknown_page_is_an_html_404(client: TestClient) -> None:
    response = client.get("/admin")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="not-found"' in response.text


def test_wrong_method_is_an_html_405(client: TestClient) -> None:
    response = client.delete("/usage")

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")


def test_callback_with_repeated_parameters_is_not_500(client: TestClient) -> None:
    response = client.get("/callback?state=a&state=b&code=x")

    assert response.status_code == 400


def test_csp_allows_form_posts_to_the_provider_only(client: TestClient) -> None:
    csp = client.get("/login").headers["content-security-policy"]

    assert "form-action 'self' http://openam.test;" in csp
    assert "frame-ancestors 'none'" in csp


def test_a_bug_gives_a_plain_500_page_with_security_headers(
    network: fakes.RoutingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(), transport=network)

    async def broken() -> None:
        raise RuntimeError("secret-token-value")

    app.add_api_route("/broken", broken)
    with TestClient(app, base_url=fakes.PUBLIC_URL) as client:
        response = client.get("/broken")

    assert response.status_code == 500
    assert 'data-testid="internal"' in response.text
    assert "secret-token-value" not in response.text
    assert "Traceback" not in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "unexpected RuntimeError on /broken" in caplog.text
    assert "secret-token-value" not in caplog.text


def test_access_log_escapes_control_characters_in_the_path(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dashboard.access")

    async def get_raw_paths() -> None:
        # The request line exactly as curl sends it (TestClient re-parses paths).
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=fakes.PUBLIC_URL
        ) as raw:
            await raw.get("/q%0ar%0ds%09t%1bu")
            await raw.get("/nul%00here%20and%5Cx1b")

    assert client.portal is not None
    client.portal.call(get_raw_paths)

    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.access"]
    assert lines[0].startswith("GET /q\\nr\\rs\\tt\\x1bu 404 ")
    assert lines[1].startswith("GET /nul\\x00here\\x20and\\\\x1b 404 ")
    for line in lines:
        assert line.isprintable(), repr(line)


def test_trailing_slash_is_a_404_page_not_a_redirect_built_from_host(
    client: TestClient,
) -> None:
    response = client.get(
        "/usage/", headers={"Host": "evil.example"}, follow_redirects=False
    )

    assert response.status_code == 404
    assert "location" not in response.headers
    assert 'data-testid="not-found"' in response.text


@pytest.mark.parametrize(
    ("path", "status"),
    [("/login", 200), ("/health", 200), ("/usage", 303), ("/", 303)],
)
def test_head_answers_as_get_without_a_body(
    client: TestClient, path: str, status: int
) -> None:
    get = client.get(path, follow_redirects=False)
    head = client.head(path, follow_redirects=False)

    assert head.status_code == status == get.status_code
    for header in ("content-type", "location"):
        assert head.headers.get(header) == get.headers.get(header)
    assert head.content == b""


def test_head_on_a_post_only_route_is_405(client: TestClient) -> None:
    response = client.head("/logout")

    assert response.status_code == 405
