"""Each service's OpenAPI document, loaded from its URL, with real tokens for auth.

The auth hook reads each operation's declared security: a `bearer` operation gets a
user's access token from the provider (a collector's client-credentials token for
ingestion, when a collector is known), a `basic` one the client's credentials (the
UDR's client for introspection). Schemathesis prints a failing request as a curl
line with the Authorization header sanitized (its default), so no credential reaches
a report.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from schemathesis import BaseSchema, Case
from schemathesis.auths import AuthContext

from contracts.oidc import FlowError, ProviderClient
from contracts.target import Client, Target

MAX_EXAMPLES = 25


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _load(url: str, base_url: str) -> BaseSchema:
    try:
        reachable = httpx.get(url, timeout=10.0)
    except httpx.HTTPError as exc:
        pytest.skip(f"no OpenAPI document at {url}: {exc}")
    if reachable.status_code != 200:
        pytest.skip(f"no OpenAPI document at {url} (status {reachable.status_code})")
    schema = schemathesis.openapi.from_url(url)
    schema.config.update(base_url=base_url)
    return schema


def _declared_schemes(case: Case) -> set[str]:
    """The HTTP schemes (`bearer`, `basic`) of the operation's security requirements."""
    operation = case.operation
    raw_schema = operation.schema.raw_schema
    security = operation.definition.raw.get("security", raw_schema.get("security", []))
    schemes = raw_schema.get("components", {}).get("securitySchemes", {})
    names = {name for requirement in security for name in requirement}
    return {
        str(schemes[name].get("scheme", "")).lower()
        for name in names
        if name in schemes
    }


class Credentials:
    """Where the auth hook gets real credentials; one per schema."""

    def __init__(self, target: Target) -> None:
        self.target = target
        issuer = target.provider_issuer
        self.provider = ProviderClient(issuer) if issuer else None

    def user_token(self) -> str | None:
        target = self.target
        if self.provider is None or target.client is None or target.user is None:
            return target.access_token
        try:
            tokens = self.provider.user_tokens(
                target.client, target.user, redirect_uri=target.redirect_uri
            )
        except FlowError:
            return target.access_token
        return tokens.access_token

    def collector_token(self) -> str | None:
        collector = self.target.collector
        if self.provider is None or collector is None:
            return None
        response = self.provider.token_request(
            {"grant_type": "client_credentials", "scope": "udr:write"}, collector
        )
        if response.status_code != 200:
            return None
        token = response.json().get("access_token")
        return str(token) if token else None

    def close(self) -> None:
        if self.provider is not None:
            self.provider.close()

    def collect(self) -> dict[str, str | None]:
        return {"user": self.user_token(), "collector": self.collector_token()}


def _basic(client: Client) -> str:
    raw = f"{client.client_id}:{client.client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _authorization(
    case: Case, data: dict[str, str | None], target: Target
) -> str | None:
    """The Authorization value the operation's declared security asks for."""
    schemes = _declared_schemes(case)
    if "bearer" in schemes:
        ingestion = case.method.upper() == "POST" and "records" in case.path
        token = data["collector"] if ingestion and data["collector"] else data["user"]
        return f"Bearer {token}" if token else None
    if "basic" in schemes:
        introspect = "introspect" in case.path
        chosen = target.introspection_client if introspect else None
        client = chosen or target.client
        return _basic(client) if client is not None else None
    return None


def install_auth(schema: BaseSchema, credentials: Credentials) -> None:
    """Register the auth hook on this schema alone."""
    target = credentials.target

    class ProviderTokens:
        def get(self, case: Case, context: AuthContext) -> dict[str, str | None]:
            return credentials.collect()

        def set(
            self, case: Case, data: dict[str, str | None], context: AuthContext
        ) -> None:
            value = _authorization(case, data, target)
            if value is not None:
                case.headers["Authorization"] = value

    # No re-login on a 401: a refused request must stay refused when replayed, or
    # Hypothesis reports the run as flaky instead of the finding.
    schema.auth(retry_on=[])(ProviderTokens)


@pytest.fixture(scope="session")
def provider_openapi(
    target: Target, request: pytest.FixtureRequest
) -> Iterator[BaseSchema]:
    option = request.config.getoption("--openam-openapi-url")
    where = target.openam_url or target.provider_issuer
    if option is None and where is None:
        pytest.skip("no provider given (--openam-url)")
    url = option or f"{_origin(where or '')}/openapi.json"
    schema = _load(url, _origin(where or url))
    credentials = Credentials(target)
    install_auth(schema, credentials)
    # The test-control API changes the provider's state on purpose; it is no contract.
    yield schema.exclude(path_regex=r"/__test__/")
    credentials.close()


@pytest.fixture(scope="session")
def udr_openapi(target: Target, request: pytest.FixtureRequest) -> Iterator[BaseSchema]:
    if target.udr_url is None:
        pytest.skip("no UDR given (--udr-url)")
    option = request.config.getoption("--udr-openapi-url")
    schema = _load(option or f"{target.udr_url}/openapi.json", target.udr_url)
    credentials = Credentials(target)
    install_auth(schema, credentials)
    yield schema
    credentials.close()
