"""Step 5: the provider's HTTP endpoints, as the UDR calls them.

Every way the provider can fail (unreachable, slow past the timeout, a 5xx, an answer
that is not the JSON object it should be) becomes `ProviderUnavailable`: fail closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from udr.config import Settings
from udr.errors import ProviderUnavailable

log = logging.getLogger("udr.provider")

DISCOVERY_MAX_AGE = 3600.0
MAX_ANSWER_BYTES = 1024 * 1024  # discovery, JWKS, userinfo: a few kilobytes each


@dataclass(frozen=True)
class Answer:
    """The provider's whole answer to one call."""

    status_code: int
    content: bytes
    url: str


class ProviderClient:
    """Discovery and the provider's endpoints over one pooled HTTP client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = settings.issuer
        self._client: httpx.AsyncClient | None = None
        self._discovery: dict[str, Any] | None = None
        self._discovered_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.settings.provider_timeout,
                verify=_verify(self.settings),
                follow_redirects=False,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(self, method: str, url: str, **kwargs: Any) -> Answer:
        """One call to the provider, whole within `UDR_PROVIDER_TIMEOUT` (a provider
        dripping its answer byte by byte is slow too); failures become 503."""
        try:
            async with asyncio.timeout(self.settings.provider_timeout):
                return await self._read(method, url, **kwargs)
        except (TimeoutError, httpx.TimeoutException):
            log.warning("provider timed out: %s %s", method, _no_query(url))
            raise ProviderUnavailable("the provider did not answer in time") from None
        except httpx.HTTPError as exc:
            log.warning("provider unreachable: %s %s: %s", method, _no_query(url), exc)
            raise ProviderUnavailable("the provider cannot be reached") from None

    async def _read(self, method: str, url: str, **kwargs: Any) -> Answer:
        async with self.client.stream(method, url, **kwargs) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise unavailable(
                        f"{_no_query(url)} answered over {MAX_ANSWER_BYTES} B"
                    )
        return Answer(response.status_code, bytes(body), url)

    async def discovery(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 section 4, cached for an hour."""
        if self._discovery is not None and self._fresh():
            return self._discovery
        async with self._lock:  # one fetch for the requests that found it stale
            if self._discovery is None or not self._fresh():
                self._discovery = await self._fetch_discovery()
                self._discovered_at = time.monotonic()
        return self._discovery

    def _fresh(self) -> bool:
        return time.monotonic() - self._discovered_at < DISCOVERY_MAX_AGE

    async def _fetch_discovery(self) -> dict[str, Any]:
        url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
        response = await self.request(
            "GET", url, headers={"Accept": "application/json"}
        )
        if response.status_code != 200:
            raise unavailable(f"discovery answered {response.status_code}")
        document = json_object(response)
        # Discovery section 4.3: the issuer must be exactly the one configured.
        if document.get("issuer") != self.issuer:
            raise unavailable("discovery names another issuer")
        return document

    async def endpoint(self, name: str, fallback: str | None = None) -> str:
        document = await self.discovery()
        url = document.get(name)
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url
        if fallback is not None:
            return f"{self.issuer.rstrip('/')}/{fallback}"
        raise unavailable(f"discovery has no {name}")


def json_object(answer: Answer) -> dict[str, Any]:
    """The body as a JSON object, or the provider is answering garbage."""
    try:
        document = json.loads(answer.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise unavailable(f"{_no_query(answer.url)} answered non-JSON") from None
    if not isinstance(document, dict):
        raise unavailable(f"{_no_query(answer.url)} answered a non-object")
    return document


def unavailable(reason: str) -> ProviderUnavailable:
    log.warning("provider unusable: %s", reason)
    return ProviderUnavailable("the provider gave no usable answer")


def _verify(settings: Settings) -> ssl.SSLContext | bool:
    if settings.ca_file is None:
        return True
    return ssl.create_default_context(cafile=str(settings.ca_file))


def _no_query(url: str) -> str:
    return url.split("?", 1)[0]
