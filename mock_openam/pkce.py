"""Proof Key for Code Exchange (RFC 7636), S256 only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .errors import InvalidGrant

# RFC 7636 section 4.1: code_verifier = 43*128unreserved
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def check_pkce(challenge: str | None, verifier: str | None, *, realm: str) -> None:
    """RFC 7636 section 4.6: the verifier must hash to the code's challenge; a code
    without a challenge takes no verifier."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("no code_challenge was sent", realm=realm)
        return
    if verifier is None or not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant("code_verifier is missing or malformed", realm=realm)
    if not hmac.compare_digest(s256(verifier), challenge):
        raise InvalidGrant("code_verifier does not match", realm=realm)


def s256(verifier: str) -> str:
    """RFC 7636 section 4.2: BASE64URL(SHA256(ASCII(code_verifier)))."""
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")
