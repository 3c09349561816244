"""The provider's settings: environment variables with the prefix `OPENAM_`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_CONFIG = Path(__file__).with_name("demo.yaml")


class Settings(BaseSettings):
    """Every knob of the provider; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="OPENAM_", extra="ignore")

    public_url: str = "http://127.0.0.1:8080"
    deployment_path: str = "/openam"
    config_file: Path = DEMO_CONFIG
    signing_alg: Literal["RS256", "ES256"] = "RS256"
    key_file: Path | None = None
    access_token_lifetime: int = Field(default=3600, ge=1, le=10 * 365 * 86400)
    test_control: bool = False
    # 0 turns the lockout off (README: it is per user name, so anyone can trigger it).
    login_failure_limit: int = Field(default=5, ge=0)
    login_lockout_seconds: int = Field(default=60, ge=0)
    # Common to every service (docs/design.md); the provider calls no one, so unused.
    ca_file: Path | None = None

    @field_validator("public_url")
    @classmethod
    def _strip_public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("deployment_path")
    @classmethod
    def _normalise_deployment_path(cls, value: str) -> str:
        value = "/" + value.strip("/")
        return "" if value == "/" else value

    @property
    def base_url(self) -> str:
        """The external URL of the deployment, e.g. `http://host:8080/openam`."""
        return f"{self.public_url}{self.deployment_path}"
