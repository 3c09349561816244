"""Step 4: the dashboard asks the UDR for one account's usage with the bearer token."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, ValidationError

log = logging.getLogger("dashboard.udr")
MAX_DESCRIPTION_LENGTH = 300


class UdrUnauthorized(Exception):
    """401: the UDR (or the provider behind it) no longer accepts the token."""


class UdrForbidden(Exception):
    """403: the token is valid but bound to another keystoneid."""


class UdrRejected(Exception):
    """400 or 422: the UDR refused the query itself; `description` is its
    `error_description` when that is short printable text, else None."""

    def __init__(self, status: int, description: str | None) -> None:
        super().__init__(f"answered {status}")
        self.status = status
        self.description = description


class UdrNotFound(Exception):
    """404: the UDR has nothing at the address the dashboard asked for."""


class UdrUnexpected(Exception):
    """A status the UDR's interface does not give for this query (a redirect, which
    is never followed, or another 4xx): the UDR is up but the two disagree."""

    def __init__(self, status: int) -> None:
        super().__init__(f"answered {status}")
        self.status = status


class UdrUnavailable(Exception):
    """The UDR is down, too slow, answered 5xx, or answered something unreadable."""

    def __init__(self, reason: str, *, answered: bool) -> None:
        super().__init__(reason)
        self.answered = answered


class SeriesPoint(BaseModel):
    start: datetime
    value: Decimal


class Meter(BaseModel):
    name: str
    type: str | None = None
    unit: str | None = None
    aggregate: str | None = None
    total: Decimal
    series: list[SeriesPoint] = []


class Period(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")


class Usage(BaseModel):
    """The UDR's answer (docs/design.md, udr: Query)."""

    keystoneid: str
    period: Period
    bucket: str | None = None
    meters: list[Meter]


Bucket = Literal["hour", "day"]


async def fetch_usage(
    http: httpx.AsyncClient,
    udr_url: str,
    access_token: str,
    keystoneid: str,
    period: tuple[datetime, datetime],
    bucket: Bucket,
) -> Usage:
    """GET /usage/users/{keystoneid}; the UDR decides whether this token may see it."""
    url = f"{udr_url}/usage/users/{quote(keystoneid, safe='')}"
    params = {"from": _iso(period[0]), "to": _iso(period[1]), "bucket": bucket}
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    try:
        response = await http.get(url, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise UdrUnavailable(type(exc).__name__, answered=False) from exc

    status = response.status_code
    if status == 401:
        raise UdrUnauthorized()
    if status == 403:
        raise UdrForbidden()
    if status in (400, 422):
        log.info("UDR refused the query with %d", status)
        raise UdrRejected(status, _error_description(response))
    if status == 404:
        log.info("UDR answered 404 for the query")
        raise UdrNotFound()
    if status >= 500:
        raise UdrUnavailable(f"answered {status}", answered=True)
    if status != 200:
        # Redirects are not followed (the client has follow_redirects=False): a
        # Location may name any host, and the bearer token must go to the UDR only.
        log.warning("UDR answered an unexpected %d", status)
        raise UdrUnexpected(status)
    return _parse_usage(response)


def _error_description(response: httpx.Response) -> str | None:
    """The RFC 6749 `error_description`, if it is short printable text; the page
    escapes it like any other text."""
    try:
        body = response.json()
    except ValueError:
        return None
    description = body.get("error_description") if isinstance(body, dict) else None
    if (
        not isinstance(description, str)
        or not description
        or len(description) > MAX_DESCRIPTION_LENGTH
        or not description.isprintable()
    ):
        return None
    return description


def _parse_usage(response: httpx.Response) -> Usage:
    try:
        # Decimal keeps the exact number the UDR sent, for display and data-value.
        raw = json.loads(response.text, parse_float=Decimal)
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        return Usage.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        log.warning("UDR answer unreadable: %s", type(exc).__name__)
        raise UdrUnavailable("unreadable answer", answered=True) from exc


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
