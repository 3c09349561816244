"""The UDR against the real `python -m mock_openam`, in each validation mode.

Both are real processes on free loopback ports; tokens come from the provider's
password and client-credentials grants, or are minted by its test-control API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from e2e.processes import ServiceProcess
from udr.demo import write_demo_data
from udr.store import UsageStore

MODES = ("userinfo", "introspection", "tokeninfo", "jwt")
KEYSTONEIDS = {
    "alice": "5e0c1b6f2a8d4f7e9c3b1a0d6e4f2a17",
    "bob": "9b2d7e41c6a54f0b8e3d2c1a7f6b5e90",
    "carol": "c3a81f0e5d6b4c2a9e7f1b0d8c6a4e23",
}
PASSWORDS = {
    name: f"{name}-demo-password" for name in ("alice", "bob", "carol", "dave")
}
DASHBOARD = ("dashboard", "dashboard-demo-secret")
COLLECTOR = ("collector", "collector-demo-secret")
NOW = datetime.now(UTC)
PERIOD = {
    "from": (NOW - timedelta(days=7)).strftime("%Y-%m-%dT%H:00:00Z"),
    "to": NOW.strftime("%Y-%m-%dT%H:00:00Z"),
}
MODE_AT_PORT: dict[int, str] = {}  # the validation mode of each UDR process
DENIED = {
    "error": "access_denied",
    "error_description": "the token does not grant access to this keystoneid",
}


@pytest.fixture(scope="module")
def openam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log_path = tmp_path_factory.mktemp("openam") / "mock_openam.log"
    env = {"OPENAM_TEST_CONTROL": "true"}
    with ServiceProcess("mock_openam", env=env, log_path=log_path) as process:
        yield process


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('udr') / 'udr.db'}"
    write_demo_data(UsageStore.from_url(url), 11, list(KEYSTONEIDS.values()), 8)
    return url


@contextmanager
def udr_process(
    openam: ServiceProcess,
    database: str,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    **settings: str,
) -> Iterator[ServiceProcess]:
    """`python -m udr` on the shared database, validating at `openam`."""
    env = {
        "UDR_DATABASE_URL": database,
        "UDR_ISSUER": f"{openam.url}/openam/oauth2",
        **settings,
    }
    log_path = tmp_path_factory.mktemp(name) / "udr.log"
    with ServiceProcess("udr", env=env, log_path=log_path) as process:
        yield process


@pytest.fixture(scope="module", params=MODES)
def udr(
    request: pytest.FixtureRequest,
    openam: ServiceProcess,
    database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServiceProcess]:
    mode = request.param
    with udr_process(
        openam,
        database,
        tmp_path_factory,
        f"udr-{mode}",
        UDR_VALIDATION_MODE=mode,
        UDR_PROVIDER_TIMEOUT="2",
        UDR_JWKS_REFRESH_INTERVAL="0",
    ) as process:
        MODE_AT_PORT[process.port] = mode
        yield process


@pytest.fixture(autouse=True)
def _provider_behaves(openam: ServiceProcess) -> Iterator[None]:
    yield
    httpx.delete(f"{openam.url}/openam/__test__/faults")


def _mode(udr: ServiceProcess) -> str:
    return MODE_AT_PORT[udr.port]


def password_token(openam: ServiceProcess, username: str) -> str:
    response = httpx.post(
        f"{openam.url}/openam/oauth2/access_token",
        auth=DASHBOARD,
        data={
            "grant_type": "password",
            "username": username,
            "password": PASSWORDS[username],
            "scope": "openid keystoneid",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def minted(openam: ServiceProcess, **body: Any) -> str:
    body = {"sub": "alice", "client_id": "dashboard", **body}
    response = httpx.post(f"{openam.url}/openam/__test__/tokens", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def usage(udr: ServiceProcess, keystoneid: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{udr.url}/usage/users/{keystoneid}",
        params=PERIOD,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


@pytest.mark.step(8)
def test_owner_reads_own_usage(openam: ServiceProcess, udr: ServiceProcess) -> None:
    response = usage(udr, KEYSTONEIDS["alice"], password_token(openam, "alice"))

    assert response.status_code == 200
    body = response.json()
    assert body["keystoneid"] == KEYSTONEIDS["alice"]
    assert {m["name"] for m in body["meters"]} >= {"cpu_util", "network.incoming.bytes"}


@pytest.mark.step(7)
def test_shared_account_is_served_to_both_of_its_people(
    openam: ServiceProcess, udr: ServiceProcess
) -> None:
    response = usage(udr, KEYSTONEIDS["carol"], password_token(openam, "dave"))

    assert response.status_code == 200


@pytest.mark.step(7)
@pytest.mark.attack("other-users-id")
@pytest.mark.parametrize(
    "asked",
    [
        KEYSTONEIDS["bob"],
        "00000000000000000000000000000000",
        KEYSTONEIDS["alice"].upper(),
        KEYSTONEIDS["alice"] + " ",
    ],
)
def test_other_ids_are_denied_alike(
    asked: str, openam: ServiceProcess, udr: ServiceProcess
) -> None:
    response = usage(udr, asked, password_token(openam, "alice"))

    assert response.status_code == 403
    assert response.json() == DENIED


@pytest.mark.step(5)
@pytest.mark.attack("expired")
def test_expired_token_is_refused(openam: ServiceProcess, udr: ServiceProcess) -> None:
    token = minted(openam, claims={"keystoneid": KEYSTONEIDS["alice"]}, lifetime=-600)

    response = usage(udr, KEYSTONEIDS["alice"], token)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.step(5)
@pytest.mark.attack("tampered")
def test_tampered_token_is_refused(openam: ServiceProcess, udr: ServiceProcess) -> None:
    header, payload, signature = password_token(openam, "alice").split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"

    response = usage(udr, KEYSTONEIDS["alice"], tampered)

    assert response.status_code == 401


@pytest.mark.step(5)
@pytest.mark.attack("wrong-issuer")
@pytest.mark.parametrize("suffix", ["/", "x"])
def test_token_naming_another_issuer_is_refused(
    suffix: str, openam: ServiceProcess, udr: ServiceProcess
) -> None:
    """jwt and introspection check `iss` at the UDR; the provider refuses it at
    userinfo and tokeninfo."""
    iss = f"{openam.url}/openam/oauth2{suffix}"
    token = minted(openam, claims={"keystoneid": KEYSTONEIDS["alice"], "iss": iss})

    response = usage(udr, KEYSTONEIDS["alice"], token)

    assert response.status_code == 401


@pytest.mark.step(6)
@pytest.mark.attack("revoked")
def test_revocation_is_seen_by_the_remote_modes(
    openam: ServiceProcess, udr: ServiceProcess
) -> None:
    token = password_token(openam, "alice")
    assert usage(udr, KEYSTONEIDS["alice"], token).status_code == 200

    httpx.post(f"{openam.url}/openam/__test__/revoke-all", json={})
    response = usage(udr, KEYSTONEIDS["alice"], token)

    expected = 200 if _mode(udr) == "jwt" else 401  # jwt: valid until exp (README)
    assert response.status_code == expected


@pytest.mark.step(6)
@pytest.mark.attack("provider-down")
@pytest.mark.parametrize("fault", ["error", "garbage", "slow"])
def test_provider_misbehaving_fails_closed(
    fault: str, openam: ServiceProcess, udr: ServiceProcess
) -> None:
    if _mode(udr) == "jwt":
        pytest.skip("jwt mode verifies with the cached JWKS: no provider call to fail")
    token = password_token(openam, "alice")
    httpx.post(
        f"{openam.url}/openam/__test__/faults",
        json={"mode": fault, "seconds": 30, "delay": 6},
    )

    response = usage(udr, KEYSTONEIDS["alice"], token)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert "meters" not in response.text


@pytest.mark.step(5)
def test_rotated_key_is_followed(openam: ServiceProcess, udr: ServiceProcess) -> None:
    assert (
        usage(udr, KEYSTONEIDS["alice"], password_token(openam, "alice")).status_code
        == 200
    )

    httpx.post(f"{openam.url}/openam/__test__/keys/rotate", json={})
    response = usage(udr, KEYSTONEIDS["alice"], password_token(openam, "alice"))

    assert response.status_code == 200


@pytest.mark.step(5)
def test_udr_asks_the_provider_about_the_very_token(
    openam: ServiceProcess, udr: ServiceProcess
) -> None:
    if _mode(udr) == "jwt":
        pytest.skip("jwt mode asks the provider only for its keys")
    token = password_token(openam, "alice")
    httpx.delete(f"{openam.url}/openam/__test__/requests")

    usage(udr, KEYSTONEIDS["alice"], token)

    seen = httpx.get(f"{openam.url}/openam/__test__/requests").json()
    path = {
        "userinfo": "userinfo",
        "introspection": "introspect",
        "tokeninfo": "tokeninfo",
    }[_mode(udr)]
    asked = [r for r in seen if r["path"].endswith(f"/oauth2/{path}")]
    assert [r["token_sha256"] for r in asked] == [
        hashlib.sha256(token.encode()).hexdigest()
    ]


def test_collector_pushes_records(openam: ServiceProcess, udr: ServiceProcess) -> None:
    response = httpx.post(
        f"{openam.url}/openam/oauth2/access_token",
        auth=COLLECTOR,
        data={"grant_type": "client_credentials", "scope": "udr:write"},
    )
    token = response.json()["access_token"]
    start = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    record = {
        "id": f"collector-test-{_mode(udr)}",
        "keystoneid": KEYSTONEIDS["bob"],
        "resource_id": "vm-x",
        "meter": "disk.read.bytes",
        "type": "cumulative",
        "unit": "B",
        "volume": 5.0,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }

    stored = httpx.post(
        f"{udr.url}/usage/records",
        json={"records": [record]},
        headers={"Authorization": f"Bearer {token}"},
    )
    refused = httpx.post(
        f"{udr.url}/usage/records",
        json={"records": [record]},
        headers={"Authorization": f"Bearer {password_token(openam, 'bob')}"},
    )

    assert stored.status_code == 200
    assert stored.json() == {"stored": 1, "duplicates": 0}
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


@pytest.fixture(scope="module")
def udr_with_audience(
    openam: ServiceProcess, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    with udr_process(
        openam,
        database,
        tmp_path_factory,
        "udr-aud",
        UDR_VALIDATION_MODE="jwt",
        UDR_AUDIENCE="udr",
    ) as process:
        yield process


@pytest.mark.step(5)
@pytest.mark.attack("wrong-audience")
@pytest.mark.parametrize(
    ("aud", "status"),
    [("udr", 200), (["dashboard", "udr"], 200), ("dashboard", 401), ("udr2", 401)],
)
def test_jwt_mode_with_an_audience_requires_it(
    aud: str | list[str],
    status: int,
    openam: ServiceProcess,
    udr_with_audience: ServiceProcess,
) -> None:
    token = minted(openam, claims={"keystoneid": KEYSTONEIDS["alice"]}, aud=aud)

    response = usage(udr_with_audience, KEYSTONEIDS["alice"], token)

    assert response.status_code == status


@pytest.fixture(scope="module")
def udr_jwks_every_time(
    openam: ServiceProcess, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """jwt mode that fetches the JWKS for every request (UDR_JWKS_MAX_AGE=0)."""
    with udr_process(
        openam,
        database,
        tmp_path_factory,
        "udr-jwks",
        UDR_VALIDATION_MODE="jwt",
        UDR_JWKS_MAX_AGE="0",
        UDR_PROVIDER_TIMEOUT="2",
    ) as process:
        yield process


@pytest.mark.step(6)
@pytest.mark.attack("provider-down")
@pytest.mark.parametrize("fault", ["error", "garbage", "slow"])
def test_jwt_mode_fails_closed_when_it_cannot_fetch_the_keys(
    fault: str, openam: ServiceProcess, udr_jwks_every_time: ServiceProcess
) -> None:
    token = password_token(openam, "alice")
    assert usage(udr_jwks_every_time, KEYSTONEIDS["alice"], token).status_code == 200
    httpx.post(
        f"{openam.url}/openam/__test__/faults",
        json={"mode": fault, "seconds": 30, "delay": 6},
    )

    response = usage(udr_jwks_every_time, KEYSTONEIDS["alice"], token)

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
