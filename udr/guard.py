"""Steps 5 to 8 as FastAPI dependencies: who the caller is, and whether they may.

`require_owner` serves a user's usage only to a token whose claim (UDR_CLAIM) equals,
as a string and exactly, the `keystoneid` in the path. `require_writer` admits a
collector's token holding the write scope.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from udr.bearer import bearer_token
from udr.config import Settings, ValidationMode
from udr.errors import AccessDenied, InsufficientScope, UdrError
from udr.validation import TokenInfo, TokenValidator

audit = logging.getLogger("udr.audit")

# Declares the bearer security in the OpenAPI document; `bearer_token` does the work.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token from the provider, in the Authorization header only",
)
Declared = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


async def authenticate(request: Request, mode: ValidationMode, asked: str) -> TokenInfo:
    """Steps 4-6: the request's token, as the provider vouches for it."""
    validator: TokenValidator = request.app.state.validator
    try:
        info = await validator.validate(bearer_token(request), mode)
    except UdrError as refused:
        audit.info("token refused: asked=%r: %s", asked, refused.description)
        raise
    request.state.client_id = info.client_id
    return info


async def require_owner(
    request: Request, keystoneid: str, _declared: Declared
) -> TokenInfo:
    """Step 7: the provider's `keystoneid` for the token equals the path's, exactly."""
    settings: Settings = request.app.state.settings
    info = await authenticate(request, settings.validation_mode, keystoneid)

    bound = info.claims.get(settings.claim)
    if not isinstance(bound, str) or not bound:
        _deny(info, keystoneid, f"the token carries no string {settings.claim} claim")
    elif bound != keystoneid:
        _deny(info, keystoneid, f"the token is bound to {settings.claim} {bound!r}")
    return info


def _deny(info: TokenInfo, asked: str, why: str) -> None:
    audit.warning(
        "access denied: sub=%r client=%r asked=%r: %s",
        info.subject,
        info.client_id,
        asked,
        why,
    )
    # The same answer whether or not `asked` exists: nothing tells accounts apart.
    raise AccessDenied("the token does not grant access to this keystoneid")


async def require_writer(request: Request, _declared: Declared) -> TokenInfo:
    """A collector's token with the write scope (RFC 6750 section 3.1)."""
    settings: Settings = request.app.state.settings
    info = await authenticate(request, settings.write_validation_mode, "records")
    if settings.write_scope not in info.scopes:
        audit.warning(
            "write denied: sub=%r client=%r: no %s scope",
            info.subject,
            info.client_id,
            settings.write_scope,
        )
        raise InsufficientScope(
            f"the token lacks the {settings.write_scope} scope", settings.write_scope
        )
    return info


Owner = Annotated[TokenInfo, Depends(require_owner)]
Writer = Annotated[TokenInfo, Depends(require_writer)]
