"""The authorization request (RFC 6749 section 4.1.1, RFC 7636 section 4.3, OpenID
Connect Core section 3.1.2.1): each parameter checked, in the order that decides
where an error goes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import scopes
from .config import Client
from .errors import InvalidRequest, InvalidScope
from .forms import KNOWN_PARAMETERS
from .provider import Provider, Realm

MAX_PARAM_CHARS = 2048
# RFC 7636 section 4.2: BASE64URL of a SHA-256 digest is 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


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


def single_parameters(items: Iterable[tuple[str, str]], realm: Realm) -> dict[str, str]:
    """Parameters each at most once (RFC 6749 section 3.1) and of sane length."""
    params: dict[str, str] = {}
    for name, value in items:
        if name not in KNOWN_PARAMETERS:
            continue
        if name in params:
            raise InvalidRequest("a parameter is repeated", realm=realm.name)
        if len(value) > MAX_PARAM_CHARS or len(params) > 50:
            raise InvalidRequest("a parameter is too long", realm=realm.name)
        if "\x00" in value:
            raise InvalidRequest(f"parameter {name} is invalid", realm=realm.name)
        params[name] = value
    return params
