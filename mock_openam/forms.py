"""Reading what a client sends: form bodies (RFC 6749 section 3.2) and bearer tokens."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from .errors import InvalidRequest, MissingToken

MAX_BODY_BYTES = 64 * 1024
# Every parameter some endpoint reads. Others are ignored (RFC 6749 section 3.2: "MUST
# ignore unrecognized request parameters"), even when repeated or odd.
KNOWN_PARAMETERS = frozenset(
    {
        "grant_type",
        "username",
        "password",
        "scope",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "client_id",
        "client_secret",
        "token",
        "token_type_hint",
        "access_token",
        "tx",
        "csrf_token",
        "response_type",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
        "id_token_hint",
        "post_logout_redirect_uri",
        "request",
        "request_uri",
        "response_mode",
    }
)
MAX_VALUE_CHARS = 16 * 1024
MAX_FIELDS = 100
FORM_TYPE = "application/x-www-form-urlencoded"


async def read_form(request: Request, *, realm: str = "/") -> dict[str, str]:
    """The url-encoded body as a dict; each parameter at most once.

    RFC 6749 section 3.2: parameters are form-encoded, and none may repeat.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise InvalidRequest(f"the body must be {FORM_TYPE}", realm=realm)

    body = await _read_limited(request, realm)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            "the body is not valid UTF-8 form data", realm=realm
        ) from exc
    except ValueError as exc:
        # parse_qsl's only ValueError when not strict: more than `max_num_fields`.
        raise InvalidRequest(
            f"too many form fields (at most {MAX_FIELDS})", realm=realm
        ) from exc

    form: dict[str, str] = {}
    for name, value in pairs:
        if name not in KNOWN_PARAMETERS:
            continue
        if name in form:
            raise InvalidRequest(f"parameter {_safe(name)} is repeated", realm=realm)
        if len(value) > MAX_VALUE_CHARS or "\x00" in value:
            raise InvalidRequest(f"parameter {_safe(name)} is invalid", realm=realm)
        form[name] = value
    return form


async def _read_limited(request: Request, realm: str) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (
        not declared.isdigit() or int(declared) > MAX_BODY_BYTES
    ):
        raise InvalidRequest("the body is too large", realm=realm)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InvalidRequest("the body is too large", realm=realm)
        chunks.append(chunk)
    return b"".join(chunks)


def bearer_from_header(request: Request, *, realm: str = "/") -> str | None:
    """The token of an `Authorization: Bearer` header (RFC 6750 section 2.1)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise MissingToken(
            "the Authorization header is not a bearer token", realm=realm
        )
    if len(token) > MAX_VALUE_CHARS:
        raise InvalidRequest("the token is too long", realm=realm)
    return token


def require(form: dict[str, str], name: str, *, realm: str = "/") -> str:
    """A parameter that must be present and not empty."""
    value = form.get(name, "")
    if not value:
        raise InvalidRequest(f"missing parameter {name}", realm=realm)
    return value


def _safe(name: str) -> str:
    """A parameter name fit for an error description: printable ASCII, short."""
    cleaned = "".join(c for c in name[:40] if 0x20 < ord(c) < 0x7F and c not in '"\\')
    return cleaned or "(unnamed)"
