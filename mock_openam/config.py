"""The provider's config file: users with their claims, and clients (YAML or TOML)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

GrantType = Literal[
    "password", "authorization_code", "client_credentials", "refresh_token"
]


class ConfigError(ValueError):
    """The config file cannot be read or does not describe a valid provider."""


class User(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    claims: dict[str, Any] = Field(default_factory=dict)


class Client(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    grant_types: tuple[GrantType, ...] = ("authorization_code",)
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("openid",)


class ProviderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    users: tuple[User, ...] = ()
    clients: tuple[Client, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> ProviderConfig:
        for kind, names in (
            ("username", [u.username for u in self.users]),
            ("client_id", [c.client_id for c in self.clients]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind}: {', '.join(duplicates)}")
        return self

    def user(self, username: str) -> User | None:
        return next((u for u in self.users if u.username == username), None)

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.clients if c.client_id == client_id), None)


def load_config(path: Path) -> ProviderConfig:
    """Read users and clients from `path`; `.toml` is TOML, anything else YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc

    try:
        if path.suffix == ".toml":
            data: object = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} is not valid: {exc}") from exc

    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top")
    try:
        return ProviderConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
