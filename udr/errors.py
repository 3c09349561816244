"""One exception per failure; `app.py` renders each as RFC 6749 section 5.2 JSON.

Bearer failures also carry the RFC 6750 section 3 `WWW-Authenticate` challenge.
"""

from __future__ import annotations

from typing import Any


class UdrError(Exception):
    """A refusal the caller is told about: status, `error` code and description."""

    status_code = 400
    error = "invalid_request"

    def __init__(self, description: str, **extra: Any) -> None:
        super().__init__(description)
        self.description = description
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_description": self.description,
            **self.extra,
        }

    def headers(self) -> dict[str, str]:
        return {}


def _challenge(error: str | None, description: str | None, scope: str = "") -> str:
    """RFC 6750 section 3: `Bearer realm="udr", error="...", ...`."""
    parts = ['realm="udr"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        safe = description.replace("\\", "").replace('"', "'")
        parts.append(f'error_description="{safe}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


class InvalidRequest(UdrError):
    """RFC 6750 section 3.1 `invalid_request`: 400, with a Bearer challenge."""

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": _challenge(self.error, self.description)}


class MissingToken(UdrError):
    """No credentials at all: RFC 6750 section 3.1 wants no error code, so the header
    is the bare challenge and the body names none of the RFC's codes either."""

    status_code = 401
    error = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": _challenge(None, None)}


class InvalidToken(UdrError):
    """RFC 6750 section 3.1 `invalid_token`: malformed, expired, revoked, unknown."""

    status_code = 401
    error = "invalid_token"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": _challenge(self.error, self.description)}


class InsufficientScope(UdrError):
    """RFC 6750 section 3.1 `insufficient_scope`: a valid token without the scope."""

    status_code = 403
    error = "insufficient_scope"

    def __init__(self, description: str, scope: str) -> None:
        super().__init__(description)
        self.scope = scope

    def headers(self) -> dict[str, str]:
        return {
            "WWW-Authenticate": _challenge(self.error, self.description, self.scope)
        }


class AccessDenied(UdrError):
    """A valid token bound to another `keystoneid`, or to none (step 7)."""

    status_code = 403
    error = "access_denied"


class ProviderUnavailable(UdrError):
    """The provider is down, slow or answering garbage: fail closed (never data)."""

    status_code = 503
    error = "temporarily_unavailable"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class StoreUnavailable(ProviderUnavailable):
    """The database cannot be reached."""


class InvalidParameter(UdrError):
    """A query parameter that cannot be understood: 422 with what was wrong."""

    status_code = 422


class InvalidRecord(UdrError):
    """A usage record of a batch that cannot be stored; names the record's index."""

    status_code = 422

    def __init__(self, index: int | None, description: str) -> None:
        prefix = f"record {index}: " if index is not None else ""
        super().__init__(prefix + description, index=index)


class ConflictingRecord(UdrError):
    """A record id already stored with other content (the id is the idempotency key)."""

    status_code = 409
    error = "conflict"

    def __init__(self, index: int, record_id: str) -> None:
        super().__init__(
            f"record {index}: id {record_id!r} is already stored with other content",
            index=index,
        )


class ClientGone(UdrError):
    """The client closed the connection before its body was complete.

    Nobody is left to read the answer; 499 (nginx's "client closed request") is what
    the request log shows.
    """

    status_code = 499
    error = "client_closed_request"


class PayloadTooLarge(UdrError):
    status_code = 413


class UnsupportedMediaType(UdrError):
    status_code = 415
