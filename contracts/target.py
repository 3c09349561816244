"""What the suites are pointed at: URLs, a test user, the clients, and what is optional.

A target comes from command-line options, from a credentials file (the state file
that `python -m e2e.stack --state-file PATH` writes, or a flat file of the same names),
or from our own stack started for the run. Options win over the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


class TargetError(ValueError):
    """The options or the credentials file do not describe a usable target."""


@dataclass(frozen=True)
class User:
    username: str
    password: str
    keystoneid: str


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Target:
    """Everything a contract test may need to reach and log into the services."""

    openam_url: str | None = None
    issuer: str | None = None
    udr_url: str | None = None
    dashboard_url: str | None = None
    users: tuple[User, ...] = ()
    client: Client | None = None
    introspection_client: Client | None = None
    collector: Client | None = None
    short_lived_client: Client | None = None
    redirect_uri: str | None = None
    other_keystoneid: str | None = None
    access_token: str | None = None
    provider_stop_command: str | None = None
    provider_start_command: str | None = None
    test_control_url: str | None = None
    ours: bool = False

    @property
    def provider_issuer(self) -> str | None:
        """The issuer: given, else OpenAM's root realm under the deployment URL."""
        if self.issuer:
            return self.issuer
        if self.openam_url:
            return f"{self.openam_url.rstrip('/')}/oauth2"
        return None

    @property
    def user(self) -> User | None:
        return self.users[0] if self.users else None

    @property
    def other_existing_keystoneid(self) -> str | None:
        """A `keystoneid` that exists and is not the test user's, if one is known."""
        if self.other_keystoneid:
            return self.other_keystoneid
        mine = self.user.keystoneid if self.user else None
        others = [u.keystoneid for u in self.users[1:] if u.keystoneid != mine]
        return others[0] if others else None

    def describe(self) -> str:
        parts = [
            f"provider {self.provider_issuer or '(none)'}",
            f"UDR {self.udr_url or '(none)'}",
        ]
        if self.ours:
            parts.append("(our stack, started for this run)")
        return ", ".join(parts)


def _client(data: Any) -> Client | None:
    if not isinstance(data, dict) or not data.get("client_id"):
        return None
    return Client(str(data["client_id"]), str(data.get("client_secret", "")))


def _users(data: Any) -> tuple[User, ...]:
    if not isinstance(data, list):
        return ()
    users = []
    for item in data:
        if not isinstance(item, dict) or not item.get("username"):
            raise TargetError(f"a user needs username, password, keystoneid: {item!r}")
        users.append(
            User(
                str(item["username"]),
                str(item.get("password", "")),
                str(item.get("keystoneid", "")),
            )
        )
    return tuple(users)


def _section_url(doc: dict[str, Any], name: str) -> str | None:
    section = doc.get(name)
    if isinstance(section, dict):
        return section.get("url")
    flat = doc.get(f"{name}_url")
    return str(flat) if flat else None


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def target_from_document(doc: dict[str, Any]) -> Target:
    """Read the e2e state file format (see ARCHITECTURE.md), or its flat variant.

    State file: `openam.url`, `openam.issuer`, `udr.url`, `dashboard.url`, `users`,
    `clients.dashboard|collector|udr`. Flat: `openam_url`, `issuer`, `udr_url`, `users`,
    `client`, `introspection_client`, `collector`, `redirect_uri`, `other_keystoneid`.
    """
    openam: dict[str, Any] = _section(doc, "openam")
    clients: dict[str, Any] = _section(doc, "clients")
    dashboard_url = _section_url(doc, "dashboard")
    redirect_uri = doc.get("redirect_uri") or (
        f"{dashboard_url.rstrip('/')}/callback" if dashboard_url else None
    )
    return Target(
        openam_url=_section_url(doc, "openam"),
        issuer=openam.get("issuer") or doc.get("issuer"),
        udr_url=_section_url(doc, "udr"),
        dashboard_url=dashboard_url,
        users=_users(doc.get("users")),
        client=_client(clients.get("dashboard") or doc.get("client")),
        introspection_client=_client(
            clients.get("udr") or doc.get("introspection_client")
        ),
        collector=_client(clients.get("collector") or doc.get("collector")),
        short_lived_client=_client(
            clients.get("short_lived") or doc.get("short_lived_client")
        ),
        redirect_uri=redirect_uri,
        other_keystoneid=doc.get("other_keystoneid"),
        test_control_url=openam.get("test_control") or doc.get("test_control_url"),
    )


def load_credentials_file(path: Path) -> Target:
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise TargetError(f"cannot read credentials file {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise TargetError(f"{path}: expected a JSON object")
    return target_from_document(doc)


def _user_from_options(known: User | None, options: dict[str, Any]) -> User:
    """The test user: each option given replaces that field of the file's user."""
    known = known or User("", "", "")
    return User(
        options.get("username") or known.username,
        options.get("password") or known.password,
        options.get("keystoneid") or known.keystoneid,
    )


def with_options(base: Target, options: dict[str, Any]) -> Target:
    """Options given on the command line override what the file said."""
    changes: dict[str, Any] = {
        name: value
        for name, value in options.items()
        if value is not None and name in Target.__dataclass_fields__
    }
    if any(options.get(k) for k in ("username", "password", "keystoneid")):
        changes["users"] = (_user_from_options(base.user, options), *base.users[1:])
    if options.get("client_id"):
        changes["client"] = Client(
            options["client_id"], options.get("client_secret") or ""
        )
    if options.get("short_lived_client_id"):
        changes["short_lived_client"] = Client(
            options["short_lived_client_id"],
            options.get("short_lived_client_secret") or "",
        )
    if options.get("introspection_client_id"):
        changes["introspection_client"] = Client(
            options["introspection_client_id"],
            options.get("introspection_client_secret") or "",
        )
    target = replace(base, **changes)
    if target.redirect_uri is None and target.dashboard_url:
        target = replace(
            target, redirect_uri=f"{target.dashboard_url.rstrip('/')}/callback"
        )
    return target
