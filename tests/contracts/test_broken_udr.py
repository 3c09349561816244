"""The UDR contract can fail: against deliberately broken UDRs, it must.

`contracts/fixtures/trusting_udr.py` validates tokens with the provider (steps 5 and 6
right) and then serves whatever `keystoneid` the path names (step 7 missing).
`contracts/fixtures/unverified_jwt_udr.py` compares the ids (step 7 right) but believes
the JWT's claims without verifying it (steps 5 and 6 missing). The UDR contract, run
against each in a separate pytest process as an outside user would run it, must fail
with findings that name the broken rules, and only those.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from e2e.processes import ServiceProcess, free_port

pytestmark = pytest.mark.timeout(400)  # a whole contract run inside the first test

ROOT = Path(__file__).resolve().parents[2]
DEMO = yaml.safe_load((ROOT / "mock_openam" / "demo.yaml").read_text())


def _user(name: str) -> dict[str, str]:
    entry = next(u for u in DEMO["users"] if u["username"] == name)
    return {"password": entry["password"], "keystoneid": entry["claims"]["keystoneid"]}


def _client(client_id: str) -> str:
    return str(
        next(c for c in DEMO["clients"] if c["client_id"] == client_id)["client_secret"]
    )


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our mock provider alone, without its test-control API, like an outside one."""
    port = free_port()
    process = ServiceProcess(
        "mock_openam",
        env={"OPENAM_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        log_path=tmp_path_factory.mktemp("provider") / "mock_openam.log",
        port=port,
    )
    with process:
        yield f"{process.url}/openam"


def _broken_udr(
    module: str, provider: str, tmp_path_factory: pytest.TempPathFactory
) -> ServiceProcess:
    return ServiceProcess(
        f"contracts.fixtures.{module}",
        env={"TRUSTING_UDR_ISSUER": f"{provider}/oauth2"},
        log_path=tmp_path_factory.mktemp(module) / f"{module}.log",
    )


Run = tuple[int, str, ET.Element]


@pytest.fixture(scope="module")
def trusting_run(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    with _broken_udr("trusting_udr", provider, tmp_path_factory) as udr:
        return _contract_run(provider, udr.url, tmp_path_factory)


@pytest.fixture(scope="module")
def unverified_run(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    with _broken_udr("unverified_jwt_udr", provider, tmp_path_factory) as udr:
        return _contract_run(provider, udr.url, tmp_path_factory)


def _contract_run(
    openam_url: str, udr_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    out = tmp_path_factory.mktemp("contract-run")
    alice, bob = _user("alice"), _user("bob")
    command = [
        sys.executable, "-m", "pytest", "contracts/udr_contract", "-q",
        "-p", "no:cacheprovider",
        "--openam-url", openam_url, "--udr-url", udr_url,
        "--username", "alice", "--password", alice["password"],
        "--keystoneid", alice["keystoneid"], "--other-keystoneid", bob["keystoneid"],
        "--client-id", "dashboard", "--client-secret", _client("dashboard"),
        "--findings-report", str(out / "findings.md"),
        "--junitxml", str(out / "junit.xml"),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    report = (out / "findings.md").read_text()
    junit = ET.parse(out / "junit.xml").getroot()  # noqa: S314 (our own file)
    return done.returncode, report, junit


def _failed_tests(junit: ET.Element) -> set[str]:
    return {
        case.attrib["name"]
        for case in junit.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    }


def _passed_tests(junit: ET.Element) -> set[str]:
    return {
        case.attrib["name"]
        for case in junit.iter("testcase")
        if all(child.tag in {"system-out", "system-err"} for child in case)
    }


def test_trusting_udr_fails_the_contract(trusting_run: Run) -> None:
    returncode, report, _ = trusting_run
    assert returncode == 1, f"pytest exit code {returncode}; report:\n{report}"


def test_findings_name_step7(trusting_run: Run) -> None:
    _, report, junit = trusting_run
    failed = _failed_tests(junit)
    assert "test_step7_other_keystoneid_forbidden" in failed
    assert "test_step7_unknown_keystoneid_forbidden" in failed
    assert "### 1. Flow step 7" in report
    assert "Rule: Another existing `keystoneid` is refused 403" in report


def test_only_step7_is_found_broken(trusting_run: Run) -> None:
    """The fixture gets steps 5 and 6 right, so no finding may name another rule."""
    _, _, junit = trusting_run
    failed = _failed_tests(junit)
    assert failed, "no finding at all"
    assert all(name.startswith("test_step7_") for name in failed), sorted(failed)
    passed = _passed_tests(junit)
    assert "test_step8_own_keystoneid_served" in passed
    assert any(name.startswith("test_step5_forged_token_401") for name in passed)


def test_unverified_jwt_udr_fails_on_forged_tokens(unverified_run: Run) -> None:
    returncode, report, junit = unverified_run
    assert returncode == 1, f"pytest exit code {returncode}; report:\n{report}"
    failed = _failed_tests(junit)
    for forgery in [
        "alg-none",
        "attacker-key-provider-kid",
        "hs256-provider-public-key",
        "wrong-issuer",
        "wrong-audience",
    ]:
        assert f"test_step5_forged_token_401[{forgery}]" in failed, sorted(failed)
    assert "test_step5_tampered_token_401" in failed
    assert "test_rfc7009_2_revoked_token_401" in failed
    assert "Flow step 5: forged token 401" in report


def test_unverified_jwt_udr_keeps_step7(unverified_run: Run) -> None:
    """It compares the ids, so no step 7 or 8 rule may be reported broken."""
    _, _, junit = unverified_run
    failed = _failed_tests(junit)
    assert not [n for n in failed if n.startswith(("test_step7", "test_step8"))]
    passed = _passed_tests(junit)
    assert "test_step7_other_keystoneid_forbidden" in passed
    assert "test_step5_forged_token_401[expired]" in passed
