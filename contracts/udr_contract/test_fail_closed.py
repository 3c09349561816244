"""Steps 5 and 6 failing: a UDR that cannot ask the provider serves nothing (503).

Our stack: the provider process is stopped and started again, and its test-control
API makes it answer errors or garbage. An outside provider: only with the user's own
`--provider-stop-command` and `--provider-start-command`; otherwise these skip.
"""

from __future__ import annotations

import httpx
import pytest

from contracts.checks import expect_no_usage, expect_status
from contracts.stack import ProviderOutage
from contracts.udr_contract.conftest import get_usage

pytestmark = pytest.mark.udr_contract


def test_step5_provider_unreachable_503(
    udr: httpx.Client,
    own_keystoneid: str,
    user_token: str,
    period: dict[str, str],
    outage: ProviderOutage,
) -> None:
    """With the provider down, a valid token the UDR never saw gets 503 and no data."""
    outage.stop()
    try:
        response = get_usage(udr, own_keystoneid, user_token, period)
    finally:
        outage.start()
    expect_status(response, 503, why="the provider cannot be asked (fail closed)")
    expect_no_usage(response)


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_step6_provider_misbehaving_503(
    udr: httpx.Client,
    own_keystoneid: str,
    user_token: str,
    period: dict[str, str],
    test_control: httpx.Client,
    mode: str,
) -> None:
    """The provider answering errors or garbage: 503 and no data, never a 500."""
    expect_status(test_control.post("/faults", json={"mode": mode, "seconds": 30}), 204)
    try:
        response = get_usage(udr, own_keystoneid, user_token, period)
    finally:
        test_control.delete("/faults")
    expect_status(response, 503, why=f"the provider answers {mode} (fail closed)")
    expect_no_usage(response)
