"""The config file: YAML and TOML, the demo users, refusals of bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mock_openam import Settings, create_app
from mock_openam.config import ConfigError, load_config
from mock_openam.settings import DEMO_CONFIG

TOML = """
[[users]]
username = "erin"
password = "erin-password"
claims = { keystoneid = "0123456789abcdef0123456789abcdef", email = "erin@example.org" }

[[clients]]
client_id = "cli"
client_secret = "cli-secret"
grant_types = ["password"]
scopes = ["openid", "keystoneid"]
"""


def test_demo_users_share_one_keystoneid_only_between_carol_and_dave() -> None:
    config = load_config(DEMO_CONFIG)

    ids = {u.username: u.claims["keystoneid"] for u in config.users}

    assert set(ids) == {"alice", "bob", "carol", "dave"}
    assert ids["carol"] == ids["dave"]
    assert len({ids["alice"], ids["bob"], ids["carol"]}) == 3
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids.values())


def test_toml_config_serves_its_users(tmp_path: Path, rsa_key_file: Path) -> None:
    path = tmp_path / "provider.toml"
    path.write_text(TOML)
    settings = Settings(config_file=path, key_file=rsa_key_file)

    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/openam/oauth2/access_token",
            auth=("cli", "cli-secret"),
            data={
                "grant_type": "password",
                "username": "erin",
                "password": "erin-password",
            },
        )
        info = client.get(
            "/openam/oauth2/userinfo",
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        )

    assert info.json() == {
        "sub": "erin",
        "keystoneid": "0123456789abcdef0123456789abcdef",
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.yaml", "users: [", "is not valid"),
        ("a.yaml", "- just a list", "must hold a mapping"),
        ("a.yaml", "users: [{username: x}]", "password"),
        (
            "a.yaml",
            "clients: [{client_id: a, client_secret: b, grant_types: [implicit]}]",
            "grant_types",
        ),
        (
            "a.yaml",
            "users: [{username: x, password: y}, {username: x, password: z}]",
            "duplicate username: x",
        ),
        ("a.toml", "users = [", "is not valid"),
        ("a.yaml", "surprise: 1", "surprise"),
    ],
)
def test_bad_config_files_are_refused_with_a_reason(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)

    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
