"""The UDR's settings: one pydantic-settings class, environment prefix `UDR_`."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ValidationMode = Literal["userinfo", "introspection", "tokeninfo", "jwt"]
WriteValidationMode = Literal["introspection", "tokeninfo", "jwt"]

DEMO_CLIENT_SECRET = "udr-demo-secret"  # noqa: S105  matches mock_openam's demo.yaml


class Settings(BaseSettings):
    """Every setting of the UDR; `README.md` lists them with their defaults."""

    model_config = SettingsConfigDict(env_prefix="UDR_", extra="ignore")

    database_url: str = "sqlite:///udr.db"
    issuer: str = "http://127.0.0.1:8080/openam/oauth2"
    validation_mode: ValidationMode = "userinfo"
    write_validation_mode: WriteValidationMode = "introspection"
    write_scope: str = "udr:write"
    client_id: str = "udr"
    client_secret: SecretStr = SecretStr(DEMO_CLIENT_SECRET)
    claim: str = Field(default="keystoneid", min_length=1)
    audience: str | None = None
    tokeninfo_url: str | None = None
    ca_file: Path | None = None
    provider_timeout: float = Field(default=5.0, gt=0, le=60)
    jwt_leeway: int = Field(default=30, ge=0, le=300)
    jwks_max_age: int = Field(default=300, ge=0)
    jwks_refresh_interval: float = Field(default=10.0, ge=0)
    cache_seconds: int = Field(default=0, ge=0)
    cache_size: int = Field(default=10_000, ge=1)
    max_period_days: int = Field(default=366, ge=1)
    max_batch: int = Field(default=5_000, ge=1)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)

    @model_validator(mode="after")
    def _refuse_demo_secret_outside_loopback(self) -> Settings:
        """A demo client secret is only good against a provider on this machine."""
        uses_secret = "introspection" in (
            self.validation_mode,
            self.write_validation_mode,
        )
        demo = self.client_secret.get_secret_value() == DEMO_CLIENT_SECRET
        if uses_secret and demo and not _is_loopback(self.issuer):
            raise ValueError(
                "UDR_CLIENT_SECRET is the demo secret but UDR_ISSUER is not on "
                "loopback; set the UDR's real client secret"
            )
        return self

    @property
    def resolved_tokeninfo_url(self) -> str:
        """OpenAM's tokeninfo endpoint: not in discovery, so beside the issuer."""
        return self.tokeninfo_url or f"{self.issuer.rstrip('/')}/tokeninfo"


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
