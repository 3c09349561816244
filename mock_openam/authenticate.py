"""OpenAM's REST authentication, `/json/authenticate`, in its two forms: credentials in
`X-OpenAM-Username` / `X-OpenAM-Password` headers, or the callback exchange."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .audit import note
from .config import User
from .forms import MAX_BODY_BYTES
from .issuance import new_secret
from .provider import Provider, ProviderDep, Realm, RealmDep
from .sessions import start_session

router = APIRouter(tags=["authentication"])

# OpenAM answers failures in its own (CREST) shape, not RFC 6749's.
FAILED = {"code": 401, "reason": "Unauthorized", "message": "Authentication Failed"}
_CALLBACK_SECONDS = 300

_CREST_ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "reason": {"type": "string"},
        "message": {"type": "string"},
    },
}


@router.post(
    "/authenticate",
    summary="Authenticate a user; answer an SSO tokenId",
    response_model=None,
    responses={
        200: {
            "description": "`tokenId`, or the callbacks to fill in",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        400: {
            "description": "malformed callbacks",
            "content": {"application/json": {"schema": _CREST_ERROR}},
        },
        401: {
            "description": "authentication failed",
            "content": {"application/json": {"schema": _CREST_ERROR}},
        },
    },
    openapi_extra={
        "parameters": [
            {
                "name": "X-OpenAM-Username",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            },
            {
                "name": "X-OpenAM-Password",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "format": "password"},
            },
        ]
    },
)
async def authenticate(
    request: Request, provider: ProviderDep, realm: RealmDep
) -> JSONResponse:
    username = _header(request, "x-openam-username")
    password = _header(request, "x-openam-password")
    if username is not None and password is not None:
        return _result(request, provider, realm, username, password)

    body = await _json_body(request)
    if body is None:
        return _crest(400, "Bad Request", "the body must be JSON")
    if "authId" not in body:
        return JSONResponse(_callbacks(provider, realm))
    credentials = _filled_callbacks(provider, realm, body)
    if credentials is None:
        return _crest(400, "Bad Request", "the callbacks are not valid")
    return _result(request, provider, realm, *credentials)


def _result(
    request: Request, provider: Provider, realm: Realm, username: str, password: str
) -> JSONResponse:
    note(request, username=username)
    user: User | None = provider.users.authenticate(username, password)
    if user is None:
        return JSONResponse(FAILED, status_code=401)
    session_id = start_session(provider, realm, user)
    return JSONResponse(
        {
            "tokenId": session_id,
            "successUrl": f"{provider.settings.deployment_path}/console",
            "realm": realm.name,
        },
        headers={"Cache-Control": "no-store"},
    )


def _callbacks(provider: Provider, realm: Realm) -> dict[str, Any]:
    """The first answer of the callback exchange: a name and a password to fill in."""
    auth_id = new_secret()
    expires = provider.now() + _CALLBACK_SECONDS
    provider.store.add_callback(auth_id, realm.name, expires)
    return {
        "authId": auth_id,
        "template": "",
        "stage": "DataStore1",
        "header": "Sign in",
        "callbacks": [
            {
                "type": "NameCallback",
                "output": [{"name": "prompt", "value": "User Name:"}],
                "input": [{"name": "IDToken1", "value": ""}],
            },
            {
                "type": "PasswordCallback",
                "output": [{"name": "prompt", "value": "Password:"}],
                "input": [{"name": "IDToken2", "value": ""}],
            },
        ],
    }


def _filled_callbacks(
    provider: Provider, realm: Realm, body: dict[str, Any]
) -> tuple[str, str] | None:
    auth_id = body.get("authId")
    if not isinstance(auth_id, str):
        return None
    pending = provider.store.callbacks.pop(auth_id, None)
    if pending is None:
        return None
    pending_realm, expires = pending
    if pending_realm != realm.name or expires <= provider.now():
        return None
    values: dict[str, str] = {}
    callbacks = body.get("callbacks")
    for callback in callbacks if isinstance(callbacks, list) else []:
        inputs = callback.get("input") if isinstance(callback, dict) else None
        for field in inputs if isinstance(inputs, list) else []:
            if isinstance(field, dict) and isinstance(field.get("value"), str):
                values[str(field.get("name"))] = field["value"]
    if "IDToken1" not in values or "IDToken2" not in values:
        return None
    return values["IDToken1"], values["IDToken2"]


def _header(request: Request, name: str) -> str | None:
    """A header, decoding OpenAM's RFC 2047 form `=?UTF-8?B?...?=` for non-ASCII."""
    value = request.headers.get(name)
    if value is None or len(value) > 4096:
        return None
    if value.startswith("=?UTF-8?B?") and value.endswith("?="):
        try:
            return base64.b64decode(value[10:-2], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return value


async def _json_body(request: Request) -> dict[str, Any] | None:
    body = await request.body()
    if not body.strip():
        return {}
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _crest(code: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "reason": reason, "message": message}, status_code=code
    )
