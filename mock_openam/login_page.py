"""The provider's login page for the code flow, and its CSRF protection: a pending
login (`tx`) whose token must come back in the form and in a SameSite cookie."""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .authorization_request import AuthorizationRequest
from .errors import InvalidRequest
from .issuance import new_secret
from .provider import Provider, Realm
from .store import PendingLogin

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))

CSRF_COOKIE = "mock_openam_login_csrf"
LOGIN_FORM_SECONDS = 600
LOGIN_FAILED = "The user name or password is wrong."
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


class ForgedLogin(InvalidRequest):
    """A login form without its CSRF token and cookie, or one already used."""

    status_code = 403


def login_page(
    request: Request,
    provider: Provider,
    realm: Realm,
    params: dict[str, str],
    auth: AuthorizationRequest,
    *,
    error: str | None = None,
    username: str = "",
) -> HTMLResponse:
    tx, csrf_token = new_secret(), new_secret()
    pending = PendingLogin(
        realm=realm.name,
        params=params,
        csrf_token=csrf_token,
        exp=provider.now() + LOGIN_FORM_SECONDS,
    )
    provider.store.add_pending_login(tx, pending)
    context = {
        "action": request.url.path,
        "tx": tx,
        "csrf_token": csrf_token,
        "client_id": auth.client.client_id,
        "realm": realm.name,
        "error": error,
        "username": username,
    }
    response = templates.TemplateResponse(
        request,
        "login.html",
        context,
        status_code=401 if error else 200,
        headers=PAGE_HEADERS,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token,
        max_age=LOGIN_FORM_SECONDS,
        path=cookie_path(provider),
        secure=provider.settings.public_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    return response


def pending_login(
    request: Request, form: dict[str, str], provider: Provider, realm: Realm
) -> PendingLogin:
    """The login the form belongs to; its CSRF token must match form and cookie."""
    pending = provider.store.logins.pop(form["tx"], None)
    submitted = form.get("csrf_token", "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if (
        pending is None
        or not pending.csrf_token
        or pending.realm != realm.name
        or pending.exp <= provider.clock()
        or not hmac.compare_digest(pending.csrf_token, submitted)
        or not hmac.compare_digest(pending.csrf_token, cookie)
    ):
        raise ForgedLogin(
            "the login form expired or did not come from this provider; start again",
            realm=realm.name,
        )
    return pending


def cookie_path(provider: Provider) -> str:
    return provider.settings.deployment_path or "/"
