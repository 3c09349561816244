"""Step 1 and 2: the login form, the OpenAM code flow, and logout."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from dashboard.pages import (
    PAGE_METHODS,
    BadRequest,
    NotFound,
    Unavailable,
    render,
)
from dashboard.provider import Identity, InvalidGrant, ProviderUnavailable
from dashboard.sessions import COOKIE_NAME, PendingAuthorization, Session, Tokens
from dashboard.state import (
    check_csrf,
    clear_session_cookie,
    current_session,
    dashboard,
    new_session,
    set_session_cookie,
)

log = logging.getLogger("dashboard.login")
router = APIRouter()

NOTICES = {
    "expired": "Your session has expired. Please log in again.",
    "logged_out": "You have been logged out.",
}
WRONG_CREDENTIALS = "Wrong username or password."
UNKNOWN_ATTEMPT = "This login attempt is unknown or expired. Please start again."
MAX_FIELD_LENGTH = 1024
FormField = Annotated[str | None, Form()]


@router.api_route("/login", methods=PAGE_METHODS)
async def login_page(
    request: Request, reason: str | None = None, state: str | None = None
) -> Response:
    """The login form; an anonymous session holds its CSRF token.

    `state` is what the provider's endSession hands back after a logout.
    """
    session = current_session(request)
    if session is not None and session.logged_in:
        return RedirectResponse("/usage", status_code=303)
    return _login_form(request, session, notice=NOTICES.get(reason or state or ""))


@router.post("/login")
async def login(
    request: Request,
    username: FormField = None,
    password: FormField = None,
    csrf_token: FormField = None,
) -> Response:
    """Step 2: the password grant at the provider with the dashboard's credentials."""
    state = dashboard(request)
    if "password" not in state.settings.methods:
        raise NotFound("Password login is not enabled.")
    session = check_csrf(current_session(request), csrf_token)

    if not username or not password:
        error = "Enter your username and password."
        return _login_form(request, session, error=error, status_code=400)
    if len(username) > MAX_FIELD_LENGTH or len(password) > MAX_FIELD_LENGTH:
        return _login_form(request, session, error=WRONG_CREDENTIALS, status_code=400)

    try:
        tokens = await state.provider.password_grant(username, password)
        identity = await state.provider.identity(tokens)
    except InvalidGrant:
        log.info("login refused by the provider")
        return _login_form(request, session, error=WRONG_CREDENTIALS, status_code=401)
    except ProviderUnavailable as exc:
        log.warning("login failed, provider: %s", exc)
        raise Unavailable("openam") from exc
    return _logged_in(request, tokens, identity, username=username, method="password")


@router.api_route("/login/openam", methods=PAGE_METHODS)
async def login_openam(request: Request) -> Response:
    """Start the authorization code flow with state, nonce and PKCE (RFC 7636, S256)."""
    state = dashboard(request)
    if "code" not in state.settings.methods:
        raise NotFound("Login with OpenAM is not enabled.")
    try:
        authorize = await state.provider.endpoint("authorization_endpoint")
    except ProviderUnavailable as exc:
        raise Unavailable("openam") from exc

    session, session_id = current_session(request), None
    if session is None:
        session_id, session = state.sessions.create()
    pending = PendingAuthorization(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
    )
    session.pending = pending

    query = {
        "response_type": "code",
        "client_id": state.settings.client_id,
        "redirect_uri": state.settings.redirect_uri,
        "scope": state.settings.scope,
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": _s256(pending.code_verifier),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"{authorize}?{urlencode(query)}", status_code=303)
    if session_id is not None:
        set_session_cookie(request, response, session_id)
    return response


@router.api_route("/callback", methods=PAGE_METHODS)
async def callback(
    request: Request,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> Response:
    """The provider's answer to /login/openam; the state must be the one we sent."""
    session = current_session(request)
    pending = session.pending if session else None
    if session is None or pending is None or not state:
        raise BadRequest(UNKNOWN_ATTEMPT)
    if not secrets.compare_digest(pending.state.encode(), state.encode()):
        log.warning("callback state does not match the session's")
        raise BadRequest(UNKNOWN_ATTEMPT)
    session.pending = None

    if error or not code:
        message = "OpenAM did not log you in. Please try again."
        return _login_form(request, session, error=message, status_code=401)

    provider = dashboard(request).provider
    try:
        tokens = await provider.code_grant(code, pending.code_verifier)
        identity = await provider.identity(tokens, nonce=pending.nonce)
    except InvalidGrant:
        message = "OpenAM did not log you in. Please try again."
        return _login_form(request, session, error=message, status_code=401)
    except ProviderUnavailable as exc:
        raise Unavailable("openam") from exc
    return _logged_in(request, tokens, identity, username=None, method="code")


@router.post("/logout")
async def logout(request: Request, csrf_token: FormField = None) -> Response:
    """End the session here, revoke the tokens and end the session at the provider."""
    state = dashboard(request)
    response = RedirectResponse("/login?reason=logged_out", status_code=303)
    session = current_session(request)
    if session is None:
        clear_session_cookie(request, response)
        return response
    check_csrf(session, csrf_token)

    state.sessions.delete(request.cookies.get(COOKIE_NAME))
    if session.tokens is not None:
        await _end_at_provider(request, session.tokens)
    if session.login_method == "code":
        response = await _browser_end_session(request, response)
    clear_session_cookie(request, response)
    log.info("logout")
    return response


async def _end_at_provider(request: Request, tokens: Tokens) -> None:
    provider = dashboard(request).provider
    if tokens.refresh_token:
        await provider.revoke(tokens.refresh_token, "refresh_token")
    await provider.revoke(tokens.access_token, "access_token")
    if tokens.id_token:
        await provider.end_session(tokens.id_token)


async def _browser_end_session(
    request: Request, fallback: RedirectResponse
) -> RedirectResponse:
    """After a code-flow login the browser also holds a session at the provider: send
    it to endSession (RP-Initiated Logout 1.0 section 2), identified by client_id so
    that no token travels through the browser, and back to /login."""
    settings = dashboard(request).settings
    try:
        end_session = await dashboard(request).provider.endpoint("end_session_endpoint")
    except ProviderUnavailable:
        return fallback
    query = {
        "client_id": settings.client_id,
        "post_logout_redirect_uri": f"{settings.public_url}/login",
        "state": "logged_out",
    }
    return RedirectResponse(f"{end_session}?{urlencode(query)}", status_code=303)


def _logged_in(
    request: Request,
    tokens: Tokens,
    identity: Identity,
    username: str | None,
    method: str,
) -> Response:
    """A new session (new id: no fixation) holding the tokens; on to the usage page."""
    response = RedirectResponse("/usage", status_code=303)
    session = new_session(request, response)
    session.tokens = tokens
    session.username = username or identity.subject
    session.keystoneid = identity.keystoneid
    session.display_name = identity.display_name
    session.login_method = method
    log.info("login of subject %s by %s", identity.subject, method)
    return response


def _login_form(
    request: Request,
    session: Session | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    state = dashboard(request)
    session_id = None
    if session is None:
        session_id, session = state.sessions.create()
    context = {
        "title": "Log in",
        "csrf_token": session.csrf_token,
        "methods": state.settings.methods,
        "notice": notice,
        "error": error,
    }
    response = render(request, "login.html", context, status_code=status_code)
    if session_id is not None:
        set_session_cookie(request, response, session_id)
    response.headers["Cache-Control"] = "no-store"
    return response


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
