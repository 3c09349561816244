"""Options, the target, and the fixtures every contract suite shares.

With no URL, the suites run against our own stack, started for the run. With
`--openam-url` and/or `--udr-url` (or a `--credentials-file`), they run against those
services only; a suite whose service is not given skips with the reason.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.checks import expect_status
from contracts.findings import FindingsReport
from contracts.oidc import FlowError, ProviderClient, TokenSet
from contracts.stack import (
    CommandOutage,
    ProviderOutage,
    StackOutage,
    interop_stack,
    our_stack,
)
from contracts.target import (
    Client,
    Target,
    TargetError,
    User,
    load_credentials_file,
    with_options,
)

DEFAULT_REPORT = Path("reports/contracts-findings.md")

# option name -> (help, environment variable that may carry it instead)
_OPTIONS: dict[str, tuple[str, str | None]] = {
    "openam-url": ("provider base URL, deployment prefix included (.../openam)", None),
    "issuer": ("the provider's issuer, if not {openam-url}/oauth2", None),
    "udr-url": ("UDR base URL", None),
    "dashboard-url": ("dashboard base URL (redirect URI {url}/callback)", None),
    "credentials-file": ("JSON: the e2e state file, or its flat form", None),
    "username": ("test user", None),
    "password": ("test user's password", "CONTRACTS_PASSWORD"),
    "keystoneid": ("test user's keystoneid", None),
    "other-keystoneid": ("an existing keystoneid that is not the user's", None),
    "client-id": ("client for the user's tokens (the dashboard's)", None),
    "client-secret": ("its secret", "CONTRACTS_CLIENT_SECRET"),
    "redirect-uri": ("a redirect URI registered for that client", None),
    "introspection-client-id": ("client allowed to introspect (the UDR's)", None),
    "introspection-client-secret": ("its secret", "CONTRACTS_INTROSPECTION_SECRET"),
    "access-token": (
        "a user token, for a UDR run with no provider",
        "CONTRACTS_ACCESS_TOKEN",
    ),
    "short-lived-client-id": ("a client whose access tokens live seconds", None),
    "short-lived-client-secret": ("its secret", "CONTRACTS_SHORT_LIVED_SECRET"),
    "openam-openapi-url": (
        "the provider's OpenAPI document ({origin}/openapi.json)",
        None,
    ),
    "udr-openapi-url": ("the UDR's OpenAPI document ({udr-url}/openapi.json)", None),
    "provider-stop-command": ("shell command that stops the provider", None),
    "provider-start-command": ("shell command that starts it again", None),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "contracts", "contract suites (README: Validate your own ...)"
    )
    for name, (text, env) in _OPTIONS.items():
        extra = f" [env {env}]" if env else ""
        group.addoption(f"--{name}", default=None, help=text + extra)
    group.addoption(
        "--findings-report",
        default=str(DEFAULT_REPORT),
        help=f"Markdown findings report path (default {DEFAULT_REPORT})",
    )
    group.addoption(
        "--udr-mode",
        default="userinfo",
        choices=["userinfo", "introspection", "tokeninfo", "jwt"],
        help="our stack only: the UDR's validation mode",
    )
    group.addoption(
        "--https",
        action="store_true",
        help="our stack only: over TLS with a local CA",
    )
    group.addoption(
        "--interop",
        action="store_true",
        help="run against oidc-provider (npm) with our UDR and dashboard behind it",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "provider_contract: the provider contract")
    config.addinivalue_line("markers", "udr_contract: the UDR contract")
    config.addinivalue_line("markers", "openapi_contract: schemathesis runs")
    config.addinivalue_line("markers", "interop: our services behind oidc-provider")
    report = FindingsReport(Path(config.getoption("--findings-report")))
    config.pluginmanager.register(report, "contracts-findings")


@dataclass
class Environment:
    """The resolved target and what the suite may do to it."""

    target: Target
    outage: ProviderOutage | None = None
    interop: bool = False


def _options(config: pytest.Config) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (_, env) in _OPTIONS.items():
        value = config.getoption(f"--{name}")
        if value is None and env:
            value = os.environ.get(env)
        values[name.replace("-", "_")] = value
    return values


@pytest.fixture(scope="session")
def environment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Environment]:
    config = request.config
    options = _options(config)
    report = config.pluginmanager.get_plugin("contracts-findings")
    run_dir: Path | None = None
    with ExitStack() as resources:
        if config.getoption("--interop"):
            run_dir = tmp_path_factory.mktemp("interop")
            target, outage = resources.enter_context(interop_stack(run_dir))
            env = Environment(target, outage, interop=True)
        elif any(
            options[k] for k in ("openam_url", "issuer", "udr_url", "credentials_file")
        ):
            env = Environment(_outside_target(options))
        else:
            run_dir = tmp_path_factory.mktemp("stack")
            target, stack = resources.enter_context(
                our_stack(
                    run_dir,
                    config.getoption("--udr-mode"),
                    https=config.getoption("--https"),
                )
            )
            env = Environment(with_options(target, {"ours": True}), StackOutage(stack))
        if isinstance(report, FindingsReport):
            report.target = env.target.describe()
            report.logs = str(run_dir) if run_dir else None
        yield env


def _outside_target(options: dict[str, Any]) -> Target:
    try:
        base = Target()
        if options["credentials_file"]:
            base = load_credentials_file(Path(options["credentials_file"]))
        return with_options(base, options)
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from exc


@pytest.fixture(scope="session")
def target(environment: Environment) -> Target:
    return environment.target


@pytest.fixture(scope="session")
def provider(target: Target) -> Iterator[ProviderClient]:
    issuer = target.provider_issuer
    if issuer is None:
        pytest.skip("no provider given (--openam-url or --issuer)")
    client = ProviderClient(issuer)
    yield client
    client.close()


@pytest.fixture(scope="session")
def user(target: Target) -> User:
    if target.user is None or not target.user.password:
        pytest.skip("no test user given (--username, --password, --keystoneid)")
    return target.user


@pytest.fixture(scope="session")
def client(target: Target) -> Client:
    if target.client is None:
        pytest.skip("no client given (--client-id, --client-secret)")
    return target.client


@pytest.fixture
def fresh_tokens(
    provider: ProviderClient, client: Client, user: User, target: Target
) -> TokenSet:
    """New tokens for the test user, for a test that spends or revokes them."""
    try:
        return provider.user_tokens(client, user, redirect_uri=target.redirect_uri)
    except FlowError as exc:
        pytest.fail(f"could not obtain the test user's tokens: {exc}")


@pytest.fixture
def test_control(target: Target) -> Iterator[httpx.Client]:
    """Our provider's test-control API; tests needing it skip against others."""
    if not target.test_control_url:
        pytest.skip("the provider has no test-control API (only our mock_openam does)")
    with httpx.Client(base_url=target.test_control_url, timeout=10.0) as http:
        yield http


@pytest.fixture
def outage(environment: Environment) -> ProviderOutage:
    if environment.outage is not None:
        return environment.outage
    target = environment.target
    stop, start = target.provider_stop_command, target.provider_start_command
    if stop and start and target.provider_issuer:
        return CommandOutage(stop, start, target.provider_issuer)
    pytest.skip(
        "cannot take an outside provider down: give --provider-stop-command and "
        "--provider-start-command to check that the UDR fails closed"
    )


@pytest.fixture
def expired_token(
    provider: ProviderClient, target: Target, user: User, client: Client
) -> str:
    """A token the provider issued and now calls expired.

    From our provider's test-control API (minted already expired), else from a
    short-lived client (`--short-lived-client-id`) once its lifetime is over.
    """
    if target.test_control_url:
        minted = httpx.post(
            f"{target.test_control_url}/tokens",
            json={
                "sub": user.username,
                "client_id": client.client_id,
                "scope": "openid keystoneid",
                "lifetime": -60,
            },
            timeout=10.0,
        )
        expect_status(minted, 200, 201)
        return str(minted.json()["access_token"])
    if target.short_lived_client is None:
        pytest.skip(
            "no way to get an expired token: no test-control API and no "
            "--short-lived-client-id"
        )
    tokens = provider.user_tokens(
        target.short_lived_client, user, redirect_uri=target.redirect_uri
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if provider.userinfo(tokens.access_token).status_code == 401:
            return tokens.access_token
        time.sleep(0.5)  # polling the provider for the token's expiry
    pytest.fail("the short-lived client's token did not expire within 90 s")
