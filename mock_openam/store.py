"""Token state, in memory: the process is the store.

Grants tie together what one authorization produced: access tokens, the refresh token,
the session. Opaque secrets (refresh tokens, codes, session ids) are kept by their
SHA-256 digest only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

PURGE_INTERVAL = 10.0
# Most pending logins and callback exchanges kept: a flood of unfinished logins evicts
# the oldest instead of growing the process without bound.
MAX_PENDING = 10_000


def digest(value: str) -> str:
    """Hex SHA-256 of a token or code, the only form in which the store keeps it."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Grant:
    """One authorization: a user (or a client) and a client, for a set of scopes."""

    grant_id: str
    realm: str
    client_id: str
    sub: str
    scope: tuple[str, ...]
    claims: dict[str, Any]
    grant_type: str
    auth_time: int
    session_id: str | None = None
    revoked: bool = False


@dataclass
class AccessToken:
    jti: str
    grant_id: str | None
    realm: str
    client_id: str
    sub: str
    scope: tuple[str, ...]
    claims: dict[str, Any]
    grant_type: str
    iat: int
    exp: int
    payload: dict[str, Any]
    revoked: bool = False


@dataclass
class RefreshToken:
    grant_id: str
    realm: str
    client_id: str
    scope: tuple[str, ...]
    iat: int
    exp: int
    used: bool = False


@dataclass
class AuthorizationCode:
    realm: str
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    username: str
    auth_time: int
    exp: int
    nonce: str | None = None
    code_challenge: str | None = None
    session_id: str | None = None
    grant_id: str | None = None
    used: bool = False


@dataclass
class Session:
    """An OpenAM SSO session: `tokenId` of `/json/authenticate`, or the login page."""

    session_id: str
    realm: str
    username: str
    auth_time: int
    exp: int
    ended: bool = False


@dataclass
class PendingLogin:
    """An authorization request waiting on the login form (`tx` and its CSRF token)."""

    realm: str
    params: dict[str, str]
    csrf_token: str
    exp: int


@dataclass
class Store:
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    logins: dict[str, PendingLogin] = field(default_factory=dict)
    # `/json/authenticate` callback exchanges: authId -> (realm, expiry)
    callbacks: dict[str, tuple[str, int]] = field(default_factory=dict)
    # id token `jti` -> the grant it was issued for, so endSession can end that grant
    id_tokens: dict[str, tuple[str, int]] = field(default_factory=dict)
    purged_at: float = 0.0

    def grant_active(self, grant_id: str | None) -> bool:
        if grant_id is None:
            return True
        grant = self.grants.get(grant_id)
        return grant is not None and not grant.revoked

    def revoke_grant(self, grant_id: str) -> int:
        """Revoke a grant and every token it produced; the number of tokens revoked."""
        grant = self.grants.get(grant_id)
        if grant is None or grant.revoked:
            return 0
        grant.revoked = True
        count = 0
        for token in self.access_tokens.values():
            if token.grant_id == grant_id and not token.revoked:
                token.revoked = True
                count += 1
        for refresh in self.refresh_tokens.values():
            if refresh.grant_id == grant_id and not refresh.used:
                refresh.used = True
                count += 1
        return count

    def revoke_session(self, session_id: str) -> int:
        """End a session and revoke every grant made within it."""
        session = self.sessions.get(session_id)
        if session is not None:
            session.ended = True
        grant_ids = [
            g.grant_id for g in self.grants.values() if g.session_id == session_id
        ]
        return sum(self.revoke_grant(grant_id) for grant_id in grant_ids)

    def revoke_all(self) -> int:
        """Revoke every live token, refresh token and session; how many tokens."""
        count = 0
        for token in self.access_tokens.values():
            if not token.revoked:
                token.revoked = True
                count += 1
        for refresh in self.refresh_tokens.values():
            if not refresh.used:
                refresh.used = True
                count += 1
        for grant in self.grants.values():
            grant.revoked = True
        for session in self.sessions.values():
            session.ended = True
        return count

    def add_pending_login(self, tx: str, pending: PendingLogin) -> None:
        _bounded_insert(self.logins, tx, pending)

    def add_callback(self, auth_id: str, realm: str, exp: int) -> None:
        _bounded_insert(self.callbacks, auth_id, (realm, exp))

    def purge(self, now: float) -> None:
        """Forget what expired; revoked but unexpired tokens stay known as revoked.

        Runs at most once every `PURGE_INTERVAL` seconds.
        """
        if now - self.purged_at < PURGE_INTERVAL:
            return
        self.purged_at = now
        self.access_tokens = {
            k: v for k, v in self.access_tokens.items() if v.exp > now
        }
        self.refresh_tokens = {
            k: v for k, v in self.refresh_tokens.items() if v.exp > now
        }
        self.codes = {k: v for k, v in self.codes.items() if v.exp > now}
        self.sessions = {k: v for k, v in self.sessions.items() if v.exp > now}
        self.logins = {k: v for k, v in self.logins.items() if v.exp > now}
        self.callbacks = {k: v for k, v in self.callbacks.items() if v[1] > now}
        self.id_tokens = {k: v for k, v in self.id_tokens.items() if v[1] > now}
        live = {t.grant_id for t in self.access_tokens.values()}
        live |= {r.grant_id for r in self.refresh_tokens.values()}
        live |= {c.grant_id for c in self.codes.values()}
        self.grants = {k: v for k, v in self.grants.items() if k in live}


def _bounded_insert(table: dict[str, Any], key: str, value: Any) -> None:
    """Insert, first dropping the oldest entries beyond `MAX_PENDING`."""
    while len(table) >= MAX_PENDING:
        del table[next(iter(table))]
    table[key] = value
