"""The files a stack is made of: the demo users, the provider's clients, private files
and copies of the UDR's database."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from e2e.processes import ServiceFailedToStart


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    keystoneid: str


def shipped_demo_config() -> Path:
    spec = importlib.util.find_spec("mock_openam")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceFailedToStart("the mock_openam package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "demo.yaml"


def package_digest(name: str) -> str:
    """SHA-256 over an installed package's Python sources, to know when it changed."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return ""
    digest = hashlib.sha256()
    for folder in spec.submodule_search_locations:
        for source in sorted(Path(folder).rglob("*.py")):
            digest.update(source.read_bytes())
    return digest.hexdigest()


def load_demo_users(path: Path) -> list[DemoUser]:
    if not path.is_file():
        raise ServiceFailedToStart(f"no provider demo configuration at {path}")
    document = yaml.safe_load(path.read_text())
    users = [
        DemoUser(
            username=str(entry["username"]),
            password=str(entry["password"]),
            keystoneid=str(entry["claims"]["keystoneid"]),
        )
        for entry in document.get("users") or []
        if "keystoneid" in (entry.get("claims") or {})
    ]
    if not users:
        raise ServiceFailedToStart(f"{path} names no user with a keystoneid claim")
    return users


def default_clients() -> dict[str, dict[str, Any]]:
    """docs/design.md's clients, for a demo file that leaves one out."""
    return {
        "dashboard": {
            "client_id": "dashboard",
            "grant_types": ["password", "authorization_code", "refresh_token"],
            "scopes": ["openid", "profile", "email", "keystoneid"],
        },
        "collector": {
            "client_id": "collector",
            "grant_types": ["client_credentials"],
            "scopes": ["udr:write"],
        },
        "udr": {
            "client_id": "udr",
            "grant_types": ["client_credentials"],
            "scopes": ["introspect"],
        },
    }


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, whatever sits in the WAL file."""
    with (
        contextlib.closing(sqlite3.connect(source)) as reader,
        contextlib.closing(sqlite3.connect(target)) as writer,
    ):
        reader.backup(writer)


def write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner can read: it holds secrets or keys."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(content)
