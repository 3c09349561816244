"""The authorization endpoint (RFC 6749 section 4.1, RFC 7636): the login page or an
SSO session, then a redirect with a one-time code.

Errors that concern the client or its redirect URI are shown to the user and never
redirected (RFC 6749 section 4.1.2.1); every other error goes back to the client.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from .audit import note
from .authorization_request import (
    MAX_PARAM_CHARS,
    AuthorizationError,
    AuthorizationRequest,
    parse_authorization_request,
    single_parameters,
)
from .forms import read_form
from .issuance import new_secret
from .login_page import (
    CSRF_COOKIE,
    LOGIN_FAILED,
    PAGE_HEADERS,
    cookie_path,
    login_page,
    pending_login,
)
from .openapi import errors, form_schema, one_of_forms, string
from .provider import Provider, ProviderDep, Realm, RealmDep
from .sessions import current_session, set_session_cookie, start_session
from .store import AuthorizationCode, Session, digest

router = APIRouter(tags=["authorization"])

_AUTHORIZE_PARAMS = {
    name: {**string(description), "maxLength": MAX_PARAM_CHARS}
    for name, description in {
        "response_type": "code; anything else is redirected as an error",
        "client_id": "the client",
        "redirect_uri": "exactly one of the client's redirect URIs",
        "scope": "space-delimited scopes",
        "state": "opaque value echoed to the client",
        "nonce": "OpenID Connect nonce",
        "code_challenge": "RFC 7636 S256 challenge",
        "code_challenge_method": "S256; anything else is redirected as an error",
        "prompt": "none, login",
    }.items()
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
    params = single_parameters(request.query_params.multi_items(), realm)
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
        return _authorize(
            request, provider, realm, single_parameters(form.items(), realm)
        )

    pending = pending_login(request, form, provider, realm)
    try:
        auth = parse_authorization_request(pending.params, provider, realm)
    except AuthorizationError as exc:
        return _error_redirect(exc, realm)
    note(request, client_id=auth.client.client_id, scope=" ".join(auth.scope))

    username = form.get("username", "")
    note(request, username=username)
    user = provider.users.authenticate(username, form.get("password", ""))
    if user is None:
        return login_page(
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
    response.delete_cookie(CSRF_COOKIE, path=cookie_path(provider))
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
        return login_page(request, provider, realm, params, auth)
    except AuthorizationError as exc:
        return _error_redirect(exc, realm)


def _session_usable(
    session: Session, auth: AuthorizationRequest, provider: Provider
) -> bool:
    if "login" in auth.prompt:
        return False
    if auth.max_age is not None:
        return provider.now() - session.auth_time <= auth.max_age
    return provider.config.user(session.username) is not None


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
    return RedirectResponse(location, status_code=302, headers=PAGE_HEADERS)
