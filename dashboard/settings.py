"""The dashboard's settings: one class, environment prefix `DASHBOARD_`."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_CLIENT_SECRET = "dashboard-demo-secret"  # noqa: S105 - the documented demo value
LOGIN_METHODS = ("password", "code")


class DashboardSettings(BaseSettings):
    """Everything the dashboard needs to reach the provider and the UDR."""

    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", extra="ignore")

    public_url: str = "http://127.0.0.1:8000"
    issuer: str = "http://127.0.0.1:8080/openam/oauth2"
    client_id: str = "dashboard"
    client_secret: str = DEMO_CLIENT_SECRET
    udr_url: str = "http://127.0.0.1:8090"
    login_methods: str = "password"
    ca_file: Path | None = None
    scope: str = "openid profile email keystoneid"
    # Longer than the UDR's own wait on the provider (UDR_PROVIDER_TIMEOUT, 5 s), so
    # that a slow provider reaches the dashboard as the UDR's 503, not as a UDR timeout.
    http_timeout: float = 10.0
    session_idle_timeout: int = 1800
    session_max_age: int = 8 * 3600
    max_sessions: int = 10_000

    @field_validator("public_url", "issuer", "udr_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http or https URL")
        return value.rstrip("/")

    @field_validator("login_methods")
    @classmethod
    def _known_login_methods(cls, value: str) -> str:
        methods = [m.strip() for m in value.split(",") if m.strip()]
        unknown = sorted(set(methods) - set(LOGIN_METHODS))
        if not methods or unknown:
            raise ValueError(f"comma list of {', '.join(LOGIN_METHODS)}; got {value!r}")
        return ",".join(methods)

    @field_validator(
        "http_timeout", "session_idle_timeout", "session_max_age", "max_sessions"
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @model_validator(mode="after")
    def _no_demo_secret_outside_local(self) -> DashboardSettings:
        """The demo secret is public: only when every party is on this machine."""
        if self.client_secret != DEMO_CLIENT_SECRET:
            return self
        urls = {
            "DASHBOARD_PUBLIC_URL": self.public_url,
            "DASHBOARD_ISSUER": self.issuer,
            "DASHBOARD_UDR_URL": self.udr_url,
        }
        for name, url in urls.items():
            if not _is_loopback(url):
                raise ValueError(
                    f"DASHBOARD_CLIENT_SECRET is the demo secret but {name} is not on "
                    "loopback; set the dashboard's real client secret"
                )
        return self

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.login_methods.split(","))

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/callback"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
