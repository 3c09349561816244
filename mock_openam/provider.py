"""The provider's state, shared by every endpoint: settings, users, keys, tokens."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from .audit import RequestLog
from .config import ProviderConfig
from .errors import NotFound
from .faults import Faults
from .jose_keys import KeySet
from .openapi import REALM_PATTERN
from .settings import Settings
from .store import Store
from .users import Authenticator, LoginThrottle

ROOT = "/"
_REALM_NAME = re.compile(REALM_PATTERN)


class Provider:
    def __init__(
        self,
        settings: Settings,
        config: ProviderConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.config = config
        self.clock = clock
        self.keys = KeySet(
            settings.signing_alg,
            grace_seconds=settings.access_token_lifetime,
            clock=clock,
            key_file=settings.key_file,
        )
        self.store = Store()
        throttle = LoginThrottle(
            settings.login_failure_limit, settings.login_lockout_seconds, clock
        )
        self.users = Authenticator(config, throttle)
        self.requests = RequestLog()
        self.faults = Faults(clock)

    def now(self) -> int:
        return int(self.clock())

    def issuer(self, realm: str) -> str:
        """`{public}{deployment}/oauth2`, and `.../realms/root/realms/x` for realm x."""
        base = f"{self.settings.base_url}/oauth2"
        return base if realm == ROOT else f"{base}/realms/root/realms{realm}"


@dataclass(frozen=True)
class Realm:
    """The realm a request addresses: `/` or `/name`, and its issuer."""

    name: str
    issuer: str


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


# The dependencies are async so that FastAPI calls them on the event loop: a plain
# function would be sent to the thread pool, a thread hop on every request.
async def get_provider(request: Request) -> Provider:
    return provider_of(request)


async def get_realm(request: Request) -> Realm:
    provider = provider_of(request)
    name = request.path_params.get("realm")
    if name is None:
        return Realm(ROOT, provider.issuer(ROOT))
    if not isinstance(name, str) or not _REALM_NAME.fullmatch(name):
        raise NotFound("no such realm")
    return Realm(f"/{name}", provider.issuer(f"/{name}"))


ProviderDep = Annotated[Provider, Depends(get_provider)]
RealmDep = Annotated[Realm, Depends(get_realm)]
