"""The authorization endpoint (RFC 6749 section 4.1, RFC 7636) and its login page.

Errors that concern the client or its redirect URI are shown to the user and never
redirected (RFC 6749 section 4.1.2.1); every other error goes back to the client.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from . import scopes
from .audit import note
from .config import Client
from .errors import InvalidRequest, InvalidScope
from .forms import KNOWN_PARAMETERS, read_form
from .issuance import new_secret
from .openapi import errors, form_schema, one_of_forms, string
from .provider import Provider, ProviderDep, Realm, RealmDep
from .sessions import current_session, set_session_cookie, start_session
from .store import AuthorizationCode, PendingLogin, Session, digest

router = APIRouter(tags=["authorization"])
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))

CSRF_COOKIE = "mock_openam_login_csrf"
LOGIN_FORM_SECONDS = 600
MAX_PARAM_CHARS = 2048
LOGIN_FAILED = "The user name or password is wrong."
# RFC 7636 section 4.2: BASE64URL of a SHA-256 digest is 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


class ForgedLogin(InvalidRequest):
    """A login form without its CSRF token and cookie, or one already used."""

    status_code = 403


class AuthorizationError(Exception):
    """An error sent back to the client's redirect URI (RFC 6749 section 4.1.2.1)."""

    def __init__(self, error: str, description: str, request: AuthorizationRequest):
        super().__init__(description)
        self.error = error
        self.description = description
        self.request = request


Fail = Callable[[str, str], "AuthorizationError"]


@dataclass
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    state: str | None
    scope: tuple[str, ...] = ()
    nonce: str | None = None
    code_challenge: str | None = None
    prompt: tuple[str, ...] = ()
    max_age: int | None = None


_AUTHORIZE_PARAMS = {
    "response_type": string("code; anything else is redirected as an error"),
    "client_id": string("the client"),
    "redirect_uri": string("exactly one of the client's redirect URIs"),
    "scope": string("space-delimited scopes"),
    "state": string("opaque value echoed to the client"),
    "nonce": string("OpenID Connect nonce"),
    "code_challenge": string("RFC 7636 S256 challenge"),
    "code_challenge_method": string("S256; anything else is redirected as an error"),
    "prompt": string("none, login"),
}


_REQUIRED = ("client_id", "redirect_uri")
_OPAQUE = r"^[A-Za-z0-9_-]{1,128}$"


@router.get(
    "/authorize",
    summary="Start an authorization: the login page, or a redirect with a code",
    response_class=HTMLResponse,
    responses={302: {"description": "to the redirect URI"}, **errors(400)},
    openapi_extra={
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in _REQUIRED,
                "schema": schema,
            }
            for name, schema in _AUTHORIZE_PARAMS.items()
        ]
    },
)
async def authorize(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> Response:
    params = _single(request.query_params.multi_items(), realm)
    return _authorize(request, provider, realm, params)


@router.post(
    "/authorize",
    summary="Submit the login form (or an authorization request as a form)",
    response_class=HTMLResponse,
    responses={
        302: {"description": "to the redirect URI"},
        401: {
            "description": "wrong credentials: the login form again",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        **errors(400, 403),
    },
    openapi_extra=one_of_forms(
        form_schema(
            {
                "tx": string("the pending login", pattern=_OPAQUE),
                "csrf_token": string("the login form's CSRF token", pattern=_OPAQUE),
                "username": string("user name"),
                "password": string("password", format="password"),
            },
            required=("tx", "csrf_token", "username", "password"),
        ),
        form_schema(_AUTHORIZE_PARAMS, required=_REQUIRED),
    ),
)
async def login(request: Request, provider: ProviderDep, realm: RealmDep) -> Response:
    form = await read_form(request, realm=realm.name)
    if "tx" not in form:
        return _authorize(request, provider, realm, _single(form.items(), realm))

    pending = _pending_login(request, form, provider, realm)
    try:
        auth = parse_authorization_request(pending.params, provider, realm)
    except AuthorizationError as exc:
        return _error_redirect(exc, realm)
    note(request, client_id=auth.client.client_id, scope=" ".join(auth.scope))

    username = form.get("username", "")
    note(request, username=username)
    user = provider.users.authenticate(username, form.get("password", ""))
    if user is None:
        return _login_page(
            request,
            provider,
            realm,
            pending.params,
            auth,
            error=LOGIN_FAILED,
            username=username,
        )

    session_id = start_session(provider, realm, user)
    session = provider.store.sessions[digest(session_id)]
    response = _code_redirect(provider, realm, auth, session)
    set_session_cookie(response, provider, session_id)
    response.delete_cookie(CSRF_COOKIE, path=_cookie_path(provider))
    return response


def _authorize(
    request: Request, provider: Provider, realm: Realm, params: dict[str, str]
) -> Response:
    try:
        auth = parse_authorization_request(params, provider, realm)
        note(request, client_id=auth.client.client_id, scope=" ".join(auth.scope))
        session = current_session(request, provider, realm)
        if session is not None and _session_usable(session, auth, provider):
            note(request, username=session.username)
            return _code_redirect(provider, realm, auth, session)
        if "none" in auth.prompt:
            raise AuthorizationError("login_required", "the user must log in", auth)
        return _login_page(request, provider, realm, params, auth)
    except AuthorizationError as exc:
        return _error_redirect(exc, realm)


def parse_authorization_request(
    params: dict[str, str], provider: Provider, realm: Realm
) -> AuthorizationRequest:
    """Check the request: client and redirect URI first, as they decide where errors
    go; a client or redirect URI error raises `InvalidRequest`, any later one
    `AuthorizationError`."""
    client, redirect_uri = _client_and_redirect_uri(params, provider, realm)
    auth = AuthorizationRequest(client, redirect_uri, params.get("state"))

    def fail(error: str, description: str) -> AuthorizationError:
        return AuthorizationError(error, description, auth)

    _check_response_type(params, client, fail)
    try:
        auth.scope = scopes.resolve(
            params.get("scope"), client.scopes, realm=realm.name
        )
    except InvalidScope as exc:
        raise fail("invalid_scope", exc.description) from exc
    auth.code_challenge = _code_challenge(params, fail)
    auth.nonce = params.get("nonce")
    auth.prompt, auth.max_age = _prompt_and_max_age(params, fail)
    return auth


def _check_response_type(params: dict[str, str], client: Client, fail: Fail) -> None:
    """Only the code flow, answered in the query, without request objects."""
    for name in ("request", "request_uri"):
        if name in params:
            raise fail(f"{name}_not_supported", f"{name} is not supported")
    response_type = params.get("response_type")
    if not response_type:
        raise fail("invalid_request", "missing parameter response_type")
    if response_type != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if "authorization_code" not in client.grant_types:
        raise fail("unauthorized_client", "the client may not use the code flow")
    if params.get("response_mode", "query") != "query":
        raise fail("invalid_request", "only response_mode=query is supported")


def _prompt_and_max_age(
    params: dict[str, str], fail: Fail
) -> tuple[tuple[str, ...], int | None]:
    """OpenID Connect Core section 3.1.2.1: `prompt` values and `max_age` seconds."""
    prompt = tuple(p for p in params.get("prompt", "").split(" ") if p)
    if "none" in prompt and len(prompt) > 1:
        raise fail("invalid_request", "prompt=none goes alone")
    max_age = params.get("max_age")
    if max_age is None:
        return prompt, None
    if not max_age.isdigit() or len(max_age) > 9:
        raise fail("invalid_request", "max_age must be a number of seconds")
    return prompt, int(max_age)


def _client_and_redirect_uri(
    params: dict[str, str], provider: Provider, realm: Realm
) -> tuple[Client, str]:
    client_id = params.get("client_id")
    if not client_id:
        raise InvalidRequest("missing parameter client_id", realm=realm.name)
    client = provider.config.client(client_id)
    if client is None:
        raise InvalidRequest("unknown client_id", realm=realm.name)

    # OpenID Connect Core section 3.1.2.1 requires redirect_uri; RFC 6749 section
    # 3.1.2.3 compares it as a simple string, nothing normalised.
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise InvalidRequest("missing parameter redirect_uri", realm=realm.name)
    if redirect_uri not in client.redirect_uris:
        raise InvalidRequest(
            "redirect_uri is not registered for this client", realm=realm.name
        )
    return client, redirect_uri


def _code_challenge(params: dict[str, str], fail: Fail) -> str | None:
    """RFC 7636 section 4.3; only S256, as plain gives no protection."""
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise fail(
                "invalid_request", "code_challenge_method without code_challenge"
            )
        return None
    if method != "S256":
        raise fail("invalid_request", "code_challenge_method must be S256")
    if not _S256_CHALLENGE.fullmatch(challenge):
        raise fail("invalid_request", "code_challenge is malformed")
    return challenge


def _session_usable(
    session: Session, auth: AuthorizationRequest, provider: Provider
) -> bool:
    if "login" in auth.prompt:
        return False
    if auth.max_age is not None:
        return provider.now() - session.auth_time <= auth.max_age
    return provider.config.user(session.username) is not None


def _login_page(
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
    provider.store.logins[tx] = PendingLogin(
        realm=realm.name,
        params=params,
        csrf_token=csrf_token,
        exp=provider.now() + LOGIN_FORM_SECONDS,
    )
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
        headers=_PAGE_HEADERS,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token,
        max_age=LOGIN_FORM_SECONDS,
        path=_cookie_path(provider),
        secure=provider.settings.public_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
    return response


def _pending_login(
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


def _code_redirect(
    provider: Provider, realm: Realm, auth: AuthorizationRequest, session: Session
) -> RedirectResponse:
    code = new_secret()
    provider.store.codes[digest(code)] = AuthorizationCode(
        realm=realm.name,
        client_id=auth.client.client_id,
        redirect_uri=auth.redirect_uri,
        scope=auth.scope,
        username=session.username,
        auth_time=session.auth_time,
        exp=provider.now() + provider.settings.access_token_lifetime,
        nonce=auth.nonce,
        code_challenge=auth.code_challenge,
        session_id=session.session_id,
    )
    return _redirect(auth.redirect_uri, {"code": code}, auth.state, realm)


def _error_redirect(exc: AuthorizationError, realm: Realm) -> RedirectResponse:
    params = {"error": exc.error, "error_description": exc.description}
    return _redirect(exc.request.redirect_uri, params, exc.request.state, realm)


def _redirect(
    uri: str, params: dict[str, str], state: str | None, realm: Realm
) -> RedirectResponse:
    """`uri` with `params`, `state` and `iss` (RFC 9207) added to its query."""
    params = {**params, "iss": realm.issuer}
    if state is not None:
        params["state"] = state
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    location = urlunsplit(parts._replace(query=query))
    return RedirectResponse(location, status_code=302, headers=_PAGE_HEADERS)


def _single(items: Iterable[tuple[str, str]], realm: Realm) -> dict[str, str]:
    """Parameters each at most once (RFC 6749 section 3.1) and of sane length."""
    params: dict[str, str] = {}
    for name, value in items:
        if name not in KNOWN_PARAMETERS:
            continue
        if name in params:
            raise InvalidRequest("a parameter is repeated", realm=realm.name)
        if len(value) > MAX_PARAM_CHARS or len(params) > 50:
            raise InvalidRequest("a parameter is too long", realm=realm.name)
        params[name] = value
    return params


def _cookie_path(provider: Provider) -> str:
    return provider.settings.deployment_path or "/"
