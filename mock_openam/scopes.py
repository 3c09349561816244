"""Scope parameters (RFC 6749 section 3.3)."""

from __future__ import annotations

import re

from .errors import InvalidScope

# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


def parse(value: str, *, realm: str = "/") -> tuple[str, ...]:
    """The scope tokens of a space-delimited scope parameter, each once, in order."""
    tokens = [t for t in value.split(" ") if t]
    if not all(_SCOPE_TOKEN.fullmatch(t) for t in tokens):
        raise InvalidScope("the scope is malformed", realm=realm)
    return tuple(dict.fromkeys(tokens))


def resolve(
    requested: str | None, allowed: tuple[str, ...], *, realm: str = "/"
) -> tuple[str, ...]:
    """The scope to grant: what was asked for, or the client's scopes if nothing was.

    Asking for a scope the client may not have is `invalid_scope` (section 5.2).
    """
    if requested is None or not requested.strip():
        return allowed
    scope = parse(requested, realm=realm)
    unknown = [s for s in scope if s not in allowed]
    if unknown:
        raise InvalidScope("the requested scope is not allowed", realm=realm)
    return scope
