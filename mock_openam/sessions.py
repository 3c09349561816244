"""OpenAM SSO sessions: made by the login page or `/json/authenticate`, carried in
OpenAM's `iPlanetDirectoryPro` cookie."""

from __future__ import annotations

from fastapi import Request, Response

from .config import User
from .issuance import new_secret
from .provider import Provider, Realm
from .store import Session, digest

COOKIE = "iPlanetDirectoryPro"


def start_session(provider: Provider, realm: Realm, user: User) -> str:
    """A new session for `user`; its id is the `tokenId` OpenAM would answer."""
    session_id = new_secret()
    now = provider.now()
    provider.store.sessions[digest(session_id)] = Session(
        session_id=session_id,
        realm=realm.name,
        username=user.username,
        auth_time=now,
        exp=now + provider.settings.access_token_lifetime,
    )
    return session_id


def current_session(
    request: Request, provider: Provider, realm: Realm
) -> Session | None:
    """The live session of the cookie, if it belongs to this realm."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    session = provider.store.sessions.get(digest(session_id))
    if (
        session is None
        or session.ended
        or session.realm != realm.name
        or session.exp <= provider.clock()
    ):
        return None
    return session


def set_session_cookie(response: Response, provider: Provider, session_id: str) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=provider.settings.access_token_lifetime,
        path=provider.settings.deployment_path or "/",
        secure=provider.settings.public_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, provider: Provider) -> None:
    response.delete_cookie(COOKIE, path=provider.settings.deployment_path or "/")
