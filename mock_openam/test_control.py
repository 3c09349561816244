"""The test-control API under `{deployment}/__test__`, mounted only when enabled.

For the suites: mint tokens with chosen claims, rotate keys, revoke everything, make the
provider misbehave, and read back which requests it received.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from .audit import RecordedRequest
from .claims import RESERVED, release
from .faults import FaultMode
from .issuance import mint_access_token, mint_id_token, start_grant
from .provider import ROOT, Provider, ProviderDep, Realm

router = APIRouter(tags=["test-control"])


class MintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sub: str = Field(min_length=1, max_length=256)
    client_id: str = Field(min_length=1, max_length=256)
    scope: str = Field(default="openid keystoneid", max_length=2048)
    claims: dict[str, Any] = Field(default_factory=dict)
    lifetime: int | None = Field(default=None, ge=-(10**7), le=10**8)
    aud: str | list[str] | None = None
    grant_type: str = Field(default="password", max_length=64)
    realm: str = Field(default=ROOT, pattern=r"^/([A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$")


class MintResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_in: int
    id_token: str | None = None


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: FaultMode
    seconds: float = Field(default=60, gt=0, le=3600)
    delay: float = Field(default=2, ge=0, le=120)


class RotateResponse(BaseModel):
    kid: str
    previous_kid: str


class RevokeAllResponse(BaseModel):
    revoked: int


@router.post(
    "/tokens",
    summary="Mint a token with chosen claims and lifetime",
    response_model_exclude_none=True,
)
async def mint_token(body: MintRequest, provider: ProviderDep) -> MintResponse:
    realm = Realm(body.realm, provider.issuer(body.realm))
    scope = tuple(dict.fromkeys(s for s in body.scope.split(" ") if s))
    claims, overrides = _chosen_claims(body, provider, scope)
    grant = start_grant(
        provider,
        realm,
        client_id=body.client_id,
        sub=body.sub,
        scope=scope,
        user_claims={},
        grant_type=body.grant_type,
    )
    grant.claims = claims
    lifetime = body.lifetime
    if lifetime is None:
        lifetime = provider.settings.access_token_lifetime

    token, _ = mint_access_token(
        provider,
        realm,
        grant=grant,
        lifetime=lifetime,
        aud=body.aud,
        overrides=overrides,
    )
    id_token = None
    if "openid" in scope:
        id_token = mint_id_token(
            provider,
            realm,
            grant=grant,
            nonce=None,
            access_token=token,
            lifetime=lifetime,
            aud=body.aud,
        )
    return MintResponse(access_token=token, expires_in=lifetime, id_token=id_token)


def _chosen_claims(
    body: MintRequest, provider: Provider, scope: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The user's claims of the scope overlaid by the chosen ones; and the registered
    claims (`iss`, `aud`, ...) the test wants to override in the token itself."""
    user = provider.config.user(body.sub)
    user_claims = release(user.claims, scope) if user else {}
    chosen = {k: v for k, v in body.claims.items() if k not in RESERVED}
    overrides = {k: v for k, v in body.claims.items() if k in RESERVED}
    return {**user_claims, **chosen}, overrides


@router.post("/keys/rotate", summary="Make a new signing key current")
async def rotate_keys(provider: ProviderDep) -> RotateResponse:
    kid, previous_kid = provider.keys.rotate()
    return RotateResponse(kid=kid, previous_kid=previous_kid)


@router.post("/revoke-all", summary="Revoke every token and session")
async def revoke_all(provider: ProviderDep) -> RevokeAllResponse:
    return RevokeAllResponse(revoked=provider.store.revoke_all())


@router.post("/faults", status_code=204, summary="Misbehave for a while")
async def set_fault(body: FaultRequest, provider: ProviderDep) -> Response:
    provider.faults.set(body.mode, body.seconds, body.delay)
    return Response(status_code=204)


@router.delete("/faults", status_code=204, summary="Behave again")
async def clear_faults(provider: ProviderDep) -> Response:
    provider.faults.clear()
    return Response(status_code=204)


@router.get("/requests", summary="The requests received, without secrets")
async def recorded_requests(provider: ProviderDep) -> list[RecordedRequest]:
    return provider.requests.all()


@router.delete("/requests", status_code=204, summary="Forget the recorded requests")
async def clear_requests(provider: ProviderDep) -> Response:
    provider.requests.clear()
    return Response(status_code=204)
