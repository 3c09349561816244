"""`python -m mock_openam` as a real process on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.processes import ServiceProcess

from .conftest import DASHBOARD, KEYSTONEIDS, PASSWORDS


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log_path = tmp_path_factory.mktemp("openam") / "mock_openam.log"
    process = ServiceProcess(
        "mock_openam", env={"OPENAM_TEST_CONTROL": "true"}, log_path=log_path
    )
    with process:
        yield process


def password_grant(
    provider: ServiceProcess, username: str, scope: str | None = None
) -> dict[str, str]:
    """The dashboard client's password grant for a demo user; the token answer."""
    form = {"grant_type": "password", "username": username}
    form["password"] = PASSWORDS[username]
    if scope is not None:
        form["scope"] = scope
    answer = httpx.post(
        f"{provider.url}/openam/oauth2/access_token", auth=DASHBOARD, data=form
    )
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


def test_process_issuer_follows_the_port_it_listens_on(
    provider: ServiceProcess,
) -> None:
    body = httpx.get(
        f"{provider.url}/openam/oauth2/.well-known/openid-configuration"
    ).json()

    assert body["issuer"] == f"{provider.url}/openam/oauth2"


def test_process_serves_the_password_grant_and_userinfo(
    provider: ServiceProcess,
) -> None:
    base = f"{provider.url}/openam/oauth2"
    tokens = password_grant(provider, "alice", scope="openid keystoneid")

    info = httpx.get(
        f"{base}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )

    assert info.status_code == 200
    assert info.json() == {"sub": "alice", "keystoneid": KEYSTONEIDS["alice"]}


def test_process_log_has_one_line_per_request_without_secrets(
    provider: ServiceProcess,
) -> None:
    base = f"{provider.url}/openam/oauth2"
    tokens = password_grant(provider, "bob")
    httpx.get(f"{base}/tokeninfo", params={"access_token": tokens["access_token"]})

    log = Path(provider.log_path).read_text()

    assert log.count("GET /openam/oauth2/tokeninfo 200") == 1
    assert "POST /openam/oauth2/access_token 200" in log
    assert "request_id=" in log
    for secret in (
        tokens["access_token"],
        tokens["refresh_token"],
        PASSWORDS["bob"],
        DASHBOARD[1],
    ):
        assert secret not in log


def test_process_serves_https_with_its_issuer(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = (tmp_path / n for n in ("c.pem", "k.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))

    process = ServiceProcess(
        "mock_openam",
        env={},
        log_path=tmp_path / "tls.log",
        tls=(cert_file, key_file),
        ca_file=ca_file,
    )
    with process:
        body = httpx.get(
            f"{process.url}/openam/oauth2/.well-known/openid-configuration",
            verify=str(ca_file),
        ).json()

    assert process.url.startswith("https://")
    assert body["issuer"] == f"{process.url}/openam/oauth2"


def test_process_answers_head_with_gets_headers_and_logs_it_as_head(
    provider: ServiceProcess,
) -> None:
    url = f"{provider.url}/openam/oauth2/connect/jwk_uri"
    got = httpx.get(url)

    head = httpx.head(url)

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    recorded = httpx.get(f"{provider.url}/openam/__test__/requests").json()
    path = "/openam/oauth2/connect/jwk_uri"
    assert "HEAD" in [r["method"] for r in recorded if r["path"] == path]
