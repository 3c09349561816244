"""The provider every benchmark talks to: mock_openam with a config of the bench's own.

Fresh secrets per run; one user whose `keystoneid` owns the usage the UDR parts query.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from e2e.processes import ServiceProcess, free_port

from ._processes import service

KEYSTONEID = "bench-keystone-0001"
DEPLOYMENT = "/openam"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    dashboard_secret: str
    collector_secret: str
    udr_secret: str


def write_config(path: Path) -> Credentials:
    """A provider config file (design.md's structure) with fresh secrets."""
    creds = Credentials(
        username="bench",
        password=secrets.token_urlsafe(16),
        dashboard_secret=secrets.token_urlsafe(24),
        collector_secret=secrets.token_urlsafe(24),
        udr_secret=secrets.token_urlsafe(24),
    )
    config = {
        "users": [
            {
                "username": creds.username,
                "password": creds.password,
                "claims": {"keystoneid": KEYSTONEID, "name": "Bench User"},
            }
        ],
        "clients": [
            _client("dashboard", creds.dashboard_secret, ["password"], _USER_SCOPES),
            _client("collector", creds.collector_secret, ["client_credentials"]),
            _client("udr", creds.udr_secret, ["client_credentials"], ["introspect"]),
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return creds


_USER_SCOPES = ["openid", "profile", "email", "keystoneid"]


def _client(
    client_id: str,
    secret: str,
    grants: list[str],
    scopes: list[str] | None = None,
) -> dict[str, object]:
    return {
        "client_id": client_id,
        "client_secret": secret,
        "grant_types": grants,
        "redirect_uris": [],
        "scopes": scopes or ["udr:write"],
    }


def provider(run_dir: Path, creds_path: Path) -> ServiceProcess:
    """mock_openam on a free port, its public URL set to that port."""
    port = free_port()
    env = {
        "OPENAM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "OPENAM_CONFIG_FILE": str(creds_path),
        "OPENAM_DEPLOYMENT_PATH": DEPLOYMENT,
    }
    return service("mock_openam", env, run_dir, port=port)


def token_url(process: ServiceProcess) -> str:
    return f"{process.url}{DEPLOYMENT}/oauth2/access_token"


def issuer(process: ServiceProcess) -> str:
    return f"{process.url}{DEPLOYMENT}/oauth2"
