"""HTTPS both ways: the UDR trusts only the CA it is told to (UDR_CA_FILE) when it
calls the provider, and `python -m udr --ssl-certfile --ssl-keyfile` serves HTTPS."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from fastapi.testclient import TestClient

from e2e.processes import ServiceProcess
from tests.udr.conftest import PERIOD, bearer, seed
from tests.udr.fake_provider import UDR_CLIENT, FakeProvider
from udr import Settings, create_app
from udr.store import UsageStore


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def pki(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    cert = ca.issue_cert("127.0.0.1")
    paths = {
        "ca": folder / "ca.pem",
        "cert": folder / "cert.pem",
        "key": folder / "key.pem",
    }
    ca.cert_pem.write_to_path(str(paths["ca"]))
    cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    return paths


@pytest.fixture(scope="module")
def https_provider(pki: dict[str, Path]) -> Iterator[FakeProvider]:
    server = FakeProvider(tls=(pki["cert"], pki["key"]))
    server.start()
    yield server
    server.stop()


def _client(
    tmp_path: Path, provider: FakeProvider, ca_file: Path | None, mode: str = "userinfo"
) -> TestClient:
    settings = Settings(
        validation_mode=mode,
        database_url=f"sqlite:///{tmp_path / 'udr.db'}",
        issuer=provider.issuer,
        client_id=UDR_CLIENT[0],
        client_secret=UDR_CLIENT[1],
        ca_file=ca_file,
    )
    app = create_app(settings)
    seed(app.state.store)
    return TestClient(app)


@pytest.mark.parametrize("mode", ["userinfo", "jwt"])
def test_provider_over_https_is_trusted_through_the_ca_file(
    mode: str, tmp_path: Path, https_provider: FakeProvider, pki: dict[str, Path]
) -> None:
    with _client(tmp_path, https_provider, pki["ca"], mode) as client:
        response = client.get(
            "/usage/users/k-alice", params=PERIOD, headers=bearer(https_provider.mint())
        )

    assert response.status_code == 200


@pytest.mark.attack("untrusted-provider")
def test_provider_with_an_untrusted_certificate_fails_closed(
    tmp_path: Path, https_provider: FakeProvider
) -> None:
    with _client(tmp_path, https_provider, ca_file=None) as client:
        response = client.get(
            "/usage/users/k-alice", params=PERIOD, headers=bearer(https_provider.mint())
        )

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


def test_process_serves_https(
    tmp_path: Path, https_provider: FakeProvider, pki: dict[str, Path]
) -> None:
    database = f"sqlite:///{tmp_path / 'udr.db'}"
    seed(UsageStore.from_url(database))
    env = {
        "UDR_DATABASE_URL": database,
        "UDR_ISSUER": https_provider.issuer,
        "UDR_CA_FILE": str(pki["ca"]),
    }
    process = ServiceProcess(
        "udr",
        env=env,
        log_path=tmp_path / "udr.log",
        tls=(pki["cert"], pki["key"]),
        ca_file=pki["ca"],
    )
    with process:
        response = httpx.get(
            f"{process.url}/usage/users/k-alice",
            params=PERIOD,
            headers=bearer(https_provider.mint()),
            verify=ssl.create_default_context(cafile=str(pki["ca"])),
        )

    assert process.url.startswith("https://")
    assert response.status_code == 200
