"""What every route needs: settings, sessions, the provider client, the cookie."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx
from fastapi import Request
from starlette.responses import Response

from dashboard.pages import CsrfFailed
from dashboard.provider import ProviderClient
from dashboard.sessions import COOKIE_NAME, Clock, Session, SessionStore
from dashboard.settings import DashboardSettings


@dataclass
class Dashboard:
    """The app's state, built once by create_app."""

    settings: DashboardSettings
    sessions: SessionStore
    http: httpx.AsyncClient
    provider: ProviderClient
    clock: Clock


def dashboard(request: Request) -> Dashboard:
    state: Dashboard = request.app.state.dashboard
    return state


def current_session(request: Request) -> Session | None:
    """The session named by the cookie, if it is alive; also kept for templates."""
    session = dashboard(request).sessions.get(request.cookies.get(COOKIE_NAME))
    request.state.session = session
    return session


def new_session(request: Request, response: Response) -> Session:
    """A fresh session with a fresh id; the one the cookie named, if any, is deleted.

    Used at login so that an id known before login is worthless after it.
    """
    store = dashboard(request).sessions
    store.delete(request.cookies.get(COOKIE_NAME))
    session_id, session = store.create()
    set_session_cookie(request, response, session_id)
    request.state.session = session
    return session


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        session_id,
        httponly=True,
        samesite="lax",
        secure=dashboard(request).settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        httponly=True,
        samesite="lax",
        secure=dashboard(request).settings.secure_cookies,
        path="/",
    )


def check_csrf(session: Session | None, submitted: str | None) -> Session:
    """The synchronizer token pattern: the form's token must equal the session's."""
    if session is None or not submitted:
        raise CsrfFailed("This form has expired. Please reload the page and try again.")
    if not secrets.compare_digest(session.csrf_token.encode(), submitted.encode()):
        raise CsrfFailed("This form has expired. Please reload the page and try again.")
    return session
