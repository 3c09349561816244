"""The UDR contract can fail: against a UDR that trusts the id in the path, it must.

`contracts/fixtures/trusting_udr.py` validates tokens with the provider (steps 5 and 6
right) and then serves whatever `keystoneid` the path names (step 7 missing). The UDR
contract, run against it in a separate pytest process as an outside user would run
it, must fail with findings that name step 7, and only rules it really breaks.
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
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    run_dir = tmp_path_factory.mktemp("broken-udr")
    port = free_port()
    provider = ServiceProcess(
        "mock_openam",
        env={"OPENAM_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        log_path=run_dir / "mock_openam.log",
        port=port,
    )
    with provider:
        issuer = f"{provider.url}/openam/oauth2"
        trusting = ServiceProcess(
            "contracts.fixtures.trusting_udr",
            env={"TRUSTING_UDR_ISSUER": issuer},
            log_path=run_dir / "trusting_udr.log",
        )
        with trusting:
            yield f"{provider.url}/openam", trusting.url


@pytest.fixture(scope="module")
def contract_run(
    services: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, str, ET.Element]:
    openam_url, udr_url = services
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


def test_trusting_udr_fails_the_contract(
    contract_run: tuple[int, str, ET.Element],
) -> None:
    returncode, report, _ = contract_run
    assert returncode == 1, f"pytest exit code {returncode}; report:\n{report}"


def test_findings_name_step7(contract_run: tuple[int, str, ET.Element]) -> None:
    _, report, junit = contract_run
    failed = _failed_tests(junit)
    assert "test_step7_other_keystoneid_forbidden" in failed
    assert "test_step7_unknown_keystoneid_forbidden" in failed
    assert "### 1. Flow step 7" in report
    assert "Rule: Another existing `keystoneid` is refused 403" in report


def test_only_step7_is_found_broken(contract_run: tuple[int, str, ET.Element]) -> None:
    """The fixture gets steps 5 and 6 right, so no finding may name another rule."""
    _, _, junit = contract_run
    failed = _failed_tests(junit)
    assert failed, "no finding at all"
    assert all(name.startswith("test_step7_") for name in failed), sorted(failed)
    passed = {
        case.attrib["name"]
        for case in junit.iter("testcase")
        if len(case) == 0
        or all(child.tag in {"system-out", "system-err"} for child in case)
    }
    assert "test_step8_own_keystoneid_served" in passed
    assert any(name.startswith("test_step5_forged_token_401") for name in passed)
