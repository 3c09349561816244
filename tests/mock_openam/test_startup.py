"""Starting the provider: key files, the command line, refusals at start."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from mock_openam import Settings, create_app
from mock_openam.__main__ import main
from mock_openam.jose_keys import KeyFileError

from .conftest import BASE, DASHBOARD


def write_key(path: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_key_file_gives_the_same_kid_on_every_start(rsa_key_file: Path) -> None:
    settings = Settings(key_file=rsa_key_file)

    kids = [
        TestClient(create_app(settings))
        .get(f"{BASE}/connect/jwk_uri")
        .json()["keys"][0]["kid"]
        for _ in range(2)
    ]

    assert kids[0] == kids[1]


def test_es256_accepts_a_p256_key_file(tmp_path: Path) -> None:
    path = write_key(tmp_path / "ec.pem", ec.generate_private_key(ec.SECP256R1()))

    app = create_app(Settings(signing_alg="ES256", key_file=path))

    keys = TestClient(app).get(f"{BASE}/connect/jwk_uri").json()["keys"]
    assert keys[0]["crv"] == "P-256"


@pytest.mark.parametrize(
    ("alg", "content", "message"),
    [
        ("RS256", "ec", "does not hold a key for RS256"),
        ("ES256", "rsa", "does not hold a key for ES256"),
        ("ES256", "ec384", "needs a P-256 key"),
        ("RS256", "garbage", "not an unencrypted PEM key"),
        ("RS256", "missing", "cannot read key file"),
    ],
)
def test_unfit_key_files_are_refused_at_start(
    tmp_path: Path, rsa_key_file: Path, alg: str, content: str, message: str
) -> None:
    path = tmp_path / "key.pem"
    if content == "ec":
        write_key(path, ec.generate_private_key(ec.SECP256R1()))
    elif content == "ec384":
        write_key(path, ec.generate_private_key(ec.SECP384R1()))
    elif content == "rsa":
        path = rsa_key_file
    elif content == "garbage":
        path.write_text("-----BEGIN PRIVATE KEY-----\nnope\n")

    with pytest.raises(KeyFileError, match=message):
        create_app(Settings(signing_alg=alg, key_file=path))  # type: ignore[arg-type]


def test_main_refuses_half_a_tls_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--ssl-certfile", "cert.pem"]) == 2
    assert "go together" in capsys.readouterr().err


def test_main_exits_1_with_the_reason_for_a_bad_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [")
    monkeypatch.setenv("OPENAM_CONFIG_FILE", str(bad))

    assert main(["--port", "1"]) == 1
    assert "is not valid" in capsys.readouterr().err


def test_main_exits_1_naming_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAM_SIGNING_ALG", "HS256")

    assert main(["--port", "1"]) == 1
    assert "signing_alg" in capsys.readouterr().err


def test_refused_logins_and_clients_are_logged_without_secrets(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mock_openam")

    client.post(
        f"{BASE}/access_token",
        auth=DASHBOARD,
        data={"grant_type": "password", "username": "alice", "password": "Guess\nWho"},
    )
    client.post(
        f"{BASE}/access_token",
        auth=("dashboard", "not-the-secret"),
        data={"grant_type": "client_credentials"},
    )

    messages = [r.getMessage() for r in caplog.records]
    assert "login refused for alice: wrong credentials" in messages
    assert "client authentication refused for dashboard" in messages
    assert not [m for m in messages if "Guess" in m or "not-the-secret" in m]
    assert any(m.startswith("POST /openam/oauth2/access_token 400 ") for m in messages)
