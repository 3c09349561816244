"""Checking a user's password: constant time, one answer, failures throttled."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from .audit import printable
from .config import ProviderConfig, User

logger = logging.getLogger("mock_openam")

# Memory bound for the throttle: guessing random names cannot grow it without limit.
MAX_TRACKED_NAMES = 10_000
# Compared against when the user is unknown, so that both paths do the same work.
_NO_PASSWORD = b"\x00" * 32


@dataclass
class LoginThrottle:
    """After `limit` failures for one username, refuse it for `lockout_seconds`.

    Counted per username whether or not the user exists, so that the lockout tells an
    attacker nothing about which names are real. A `limit` of 0 turns it off: as anyone
    who knows a name can lock it, a deployment may prefer no lockout at all.
    """

    limit: int
    lockout_seconds: float
    clock: Callable[[], float]
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def locked(self, username: str) -> bool:
        if self.limit == 0:
            return False
        recent = self._recent(username)
        return len(recent) >= self.limit

    def failed(self, username: str) -> None:
        if self.limit == 0:
            return
        if len(self._failures) >= MAX_TRACKED_NAMES:
            self._forget_old()
        self._failures[username] = [*self._recent(username), self.clock()][
            -self.limit :
        ]

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)

    def _forget_old(self) -> None:
        """Drop names with no recent failure; if all are recent, the oldest half."""
        self._failures = {n: t for n, t in self._failures.items() if self._recent(n)}
        if len(self._failures) >= MAX_TRACKED_NAMES:
            by_age = sorted(self._failures, key=lambda n: self._failures[n][-1])
            for name in by_age[: len(by_age) // 2]:
                del self._failures[name]

    def _recent(self, username: str) -> list[float]:
        horizon = self.clock() - self.lockout_seconds
        return [t for t in self._failures.get(username, []) if t > horizon]


class Authenticator:
    def __init__(self, config: ProviderConfig, throttle: LoginThrottle) -> None:
        self._config = config
        self.throttle = throttle

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is theirs and the name is not locked out."""
        if self.throttle.locked(username):
            logger.info("login refused for %s: locked out", printable(username))
            return None
        user = self._config.user(username)
        expected = user.password.encode("utf-8") if user else _NO_PASSWORD
        given = password.encode("utf-8", "surrogatepass")
        matches = hmac.compare_digest(expected, given)
        if user is None or not matches:
            self.throttle.failed(username)
            logger.info("login refused for %s: wrong credentials", printable(username))
            return None
        self.throttle.succeeded(username)
        return user


def secret_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of a client secret."""
    return hmac.compare_digest(
        expected.encode("utf-8"), given.encode("utf-8", "surrogatepass")
    )
