"""Server-side sessions: the browser holds only an opaque random id.

Tokens, the CSRF token and a pending authorization request live here, never in the
browser. A session ends when idle too long, when too old, or at logout; a new id is
issued at login so an id planted before login is worthless afterwards (session
fixation, OWASP Session Management Cheat Sheet).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE_NAME = "dashboard_session"
LOGIN_FORM_SECONDS = 600

Clock = Callable[[], float]


@dataclass
class Tokens:
    """What the provider issued for the logged-in user."""

    access_token: str
    expires_at: float | None
    refresh_token: str | None = None
    id_token: str | None = None


@dataclass
class PendingAuthorization:
    """An authorization request sent to the provider, awaiting its callback."""

    state: str
    nonce: str
    code_verifier: str


@dataclass
class Session:
    """One browser's session; `user` is None until login."""

    created: float
    last_seen: float
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    username: str | None = None
    keystoneid: str | None = None
    display_name: str | None = None
    login_method: str | None = None  # "password" or "code"
    tokens: Tokens | None = None
    pending: PendingAuthorization | None = None
    # One refresh at a time: the provider rotates refresh tokens, each works once.
    refresh_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def logged_in(self) -> bool:
        return self.tokens is not None


class SessionStore:
    """In-memory sessions keyed by the id's SHA-256, with idle and absolute expiry."""

    def __init__(
        self, idle_timeout: float, max_age: float, max_sessions: int, clock: Clock
    ) -> None:
        self._idle_timeout = idle_timeout
        self._max_age = max_age
        self._max_sessions = max_sessions
        self._clock = clock
        self._sessions: dict[str, Session] = {}

    def create(self) -> tuple[str, Session]:
        """A new session and its id, the one value the cookie will carry."""
        self._make_room()
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        session = Session(created=now, last_seen=now)
        self._sessions[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session for this id, touched; None if unknown or expired."""
        if not session_id:
            return None
        key = _key(session_id)
        session = self._sessions.get(key)
        if session is None:
            return None

        now = self._clock()
        if self._expired(session, now):
            del self._sessions[key]
            return None

        session.last_seen = now
        return session

    def delete(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        return self._sessions.pop(_key(session_id), None)

    def __len__(self) -> int:
        return len(self._sessions)

    def _expired(self, session: Session, now: float) -> bool:
        # A login form may stay open a while, even where logged-in sessions idle out
        # fast: before login the session holds only the form's CSRF token.
        limit = self._idle_timeout
        if not session.logged_in:
            limit = max(limit, LOGIN_FORM_SECONDS)
        idle = now - session.last_seen > limit
        too_old = now - session.created > self._max_age
        return idle or too_old

    def _make_room(self) -> None:
        if len(self._sessions) < self._max_sessions:
            return
        now = self._clock()
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
        while len(self._sessions) >= self._max_sessions:
            # Evict the least recently used, anonymous sessions first.
            sessions = self._sessions
            victim = min(
                sessions, key=lambda k: (sessions[k].logged_in, sessions[k].last_seen)
            )
            del self._sessions[victim]


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
