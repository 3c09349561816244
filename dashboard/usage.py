"""Steps 4 and 9: ask the UDR for usage with the session's token and show it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from dashboard.pages import (
    PAGE_METHODS,
    BadGateway,
    BadRequest,
    Forbidden,
    NotFound,
    Unavailable,
    approximate_bytes,
    format_number,
    render,
)
from dashboard.provider import InvalidGrant, ProviderUnavailable
from dashboard.sessions import COOKIE_NAME, Session
from dashboard.state import clear_session_cookie, current_session, dashboard
from dashboard.udr_client import (
    Bucket,
    Meter,
    UdrForbidden,
    UdrNotFound,
    UdrRejected,
    UdrUnauthorized,
    UdrUnavailable,
    UdrUnexpected,
    Usage,
    fetch_usage,
)

log = logging.getLogger("dashboard.usage")
router = APIRouter()

DEFAULT_DAYS = 30
DEFAULT_BUCKET: Bucket = "day"
REFRESH_MARGIN_SECONDS = 30
MAX_PARAMETER_LENGTH = 256
MIN_YEAR, MAX_YEAR = 1970, 9998  # room for the default 30 days either side
FORBIDDEN = "You are not allowed to see this account"


class SessionEnded(Exception):
    """The tokens can no longer be renewed: the person must log in again."""


@dataclass(frozen=True)
class UsageQuery:
    """What the page was asked for; keystoneid None means the session's own."""

    keystoneid: str | None
    start: datetime
    end: datetime
    bucket: Bucket


@router.api_route("/", methods=PAGE_METHODS)
async def home() -> Response:
    return RedirectResponse("/usage", status_code=303)


@router.api_route("/usage", methods=PAGE_METHODS)
async def usage_page(
    request: Request,
    keystoneid: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    bucket: str | None = None,
) -> Response:
    """The usage of one account for one period, as far as the UDR allows it."""
    session = current_session(request)
    if session is None and request.cookies.get(COOKIE_NAME):
        return _back_to_login(request)  # the cookie names a session that has ended
    if session is None or not session.logged_in:
        return RedirectResponse("/login", status_code=303)

    now = datetime.fromtimestamp(dashboard(request).clock(), UTC)
    query = parse_query(keystoneid, from_, to, bucket, now)
    account = query.keystoneid or session.keystoneid
    context: dict[str, Any] = {"title": "Usage", "query": query, "account": account}
    if account is None:
        return _usage_response(request, {**context, "usage": None})

    try:
        usage = await _fetch_with_refresh(request, session, account, query)
    except SessionEnded:
        return _back_to_login(request)
    rows = [_row(meter) for meter in usage.meters]
    return _usage_response(
        request, {**context, "usage": usage, "rows": rows, "chart": _chart(usage)}
    )


def parse_query(
    keystoneid: str | None,
    start: str | None,
    end: str | None,
    bucket: str | None,
    now: datetime,
) -> UsageQuery:
    """The page's parameters, checked; BadRequest names the one that is wrong.

    The keystoneid is passed on exactly as given: the UDR compares it, not us.
    """
    if keystoneid is not None and (
        len(keystoneid) > MAX_PARAMETER_LENGTH
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in keystoneid)
    ):
        raise BadRequest("The keystoneid is not a valid account id.")

    default_end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    period_end = _moment(end, "to") or default_end
    period_start = _moment(start, "from") or period_end - timedelta(days=DEFAULT_DAYS)
    if period_start >= period_end:
        raise BadRequest("The start of the period must be before its end.")

    if bucket not in (None, "", "hour", "day"):
        raise BadRequest("The bucket must be hour or day.")
    chosen: Bucket = "hour" if bucket == "hour" else DEFAULT_BUCKET
    return UsageQuery(keystoneid or None, period_start, period_end, chosen)


def _moment(value: str | None, name: str) -> datetime | None:
    """ISO 8601 (the legacy `YYYY-MM-DD HH:MM` too); no zone means UTC."""
    if value is None or value == "":
        return None
    try:
        if len(value) > 64:
            raise ValueError(name)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"The {name} date is not a valid date and time (ISO 8601)."
        ) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise BadRequest(f"The {name} date must be between {MIN_YEAR} and {MAX_YEAR}.")
    return moment.replace(tzinfo=UTC)


async def _fetch_with_refresh(
    request: Request, session: Session, account: str, query: UsageQuery
) -> Usage:
    """Fetch; on a 401 refresh the tokens once and try again."""
    await _refresh_if_expiring(request, session)
    try:
        return await _fetch(request, session, account, query)
    except UdrUnauthorized:
        log.info("UDR refused the access token; refreshing once")
    await _refresh(request, session)
    try:
        return await _fetch(request, session, account, query)
    except UdrUnauthorized:
        raise SessionEnded() from None


async def _fetch(
    request: Request, session: Session, account: str, query: UsageQuery
) -> Usage:
    state = dashboard(request)
    assert session.tokens is not None
    try:
        return await fetch_usage(
            state.http,
            state.settings.udr_url,
            session.tokens.access_token,
            account,
            (query.start, query.end),
            query.bucket,
        )
    except UdrForbidden:
        log.info("UDR refused keystoneid %r to this session (403)", account)
        raise Forbidden(FORBIDDEN) from None
    except UdrRejected as exc:
        message = "The usage service did not accept this query"
        detail = f": {exc.description}" if exc.description else "."
        raise BadRequest(message + detail) from None
    except UdrNotFound:
        raise NotFound("The usage service has nothing at this address.") from None
    except UdrUnexpected as exc:
        raise BadGateway(
            f"The usage service answered with an unexpected HTTP {exc.status}. "
            "Please report this if it persists."
        ) from None
    except UdrUnavailable as exc:
        raise Unavailable(await _which_is_down(request, exc)) from None


async def _which_is_down(request: Request, exc: UdrUnavailable) -> str:
    """A UDR that answers 503 may be saying that the provider is down: ask it."""
    if exc.answered and not await dashboard(request).provider.reachable():
        return "openam"
    return "udr"


async def _refresh_if_expiring(request: Request, session: Session) -> None:
    tokens = session.tokens
    now = dashboard(request).clock()
    if tokens is None or tokens.expires_at is None or not tokens.refresh_token:
        return
    if now >= tokens.expires_at - REFRESH_MARGIN_SECONDS:
        await _refresh(request, session)


async def _refresh(request: Request, session: Session) -> None:
    """Renew the tokens, unless a concurrent request has just done so."""
    used = session.tokens
    async with session.refresh_lock:
        if session.tokens is not used:
            return
        assert used is not None
        try:
            session.tokens = await dashboard(request).provider.refresh(used)
        except InvalidGrant:
            raise SessionEnded() from None
        except ProviderUnavailable as exc:
            raise Unavailable("openam") from exc


def _back_to_login(request: Request) -> Response:
    dashboard(request).sessions.delete(request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/login?reason=expired", status_code=303)
    clear_session_cookie(request, response)
    return response


def _usage_response(request: Request, context: dict[str, Any]) -> Response:
    response = render(request, "usage.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _row(meter: Meter) -> dict[str, Any]:
    return {
        "name": meter.name,
        "unit": meter.unit or "",
        "aggregate": meter.aggregate or "",
        "value": str(meter.total),
        "display": format_number(meter.total),
        "approx": approximate_bytes(meter.total, meter.unit or ""),
    }


def _chart(usage: Usage) -> dict[str, Any]:
    """The chart's data, read by static/usage.js from a JSON script element."""
    hourly = usage.bucket == "hour"
    return {
        "meters": [
            {
                "name": meter.name,
                "unit": meter.unit or "",
                "labels": [_label(point.start, hourly) for point in meter.series],
                "values": [float(point.value) for point in meter.series],
            }
            for meter in usage.meters
        ]
    }


def _label(moment: datetime, hourly: bool) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%b %d %H:%M") if hourly else moment.strftime("%b %d")
