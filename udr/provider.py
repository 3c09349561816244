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
from typing import Any

import httpx

from udr.config import Settings
from udr.errors import ProviderUnavailable

log = logging.getLogger("udr.provider")

DISCOVERY_MAX_AGE = 3600.0


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

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One call to the provider; transport failures and timeouts become 503."""
        try:
            return await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            log.warning("provider timed out: %s %s", method, _no_query(url))
            raise ProviderUnavailable("the provider did not answer in time") from None
        except httpx.HTTPError as exc:
            log.warning("provider unreachable: %s %s: %s", method, _no_query(url), exc)
            raise ProviderUnavailable("the provider cannot be reached") from None

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


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or the provider is answering garbage."""
    try:
        document = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise unavailable(f"{_no_query(str(response.url))} answered non-JSON") from None
    if not isinstance(document, dict):
        raise unavailable(f"{_no_query(str(response.url))} answered a non-object")
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
