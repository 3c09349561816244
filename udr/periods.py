"""The query's period: `from` and `to` in ISO 8601, or the legacy `YYYY-MM-DD HH:MM`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from udr.errors import InvalidParameter

Bucket = Literal["hour", "day"]
BUCKETS: tuple[Bucket, ...] = ("hour", "day")

_LEGACY = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_SPACED_OFFSET = re.compile(r".*T.* \d{2}:?\d{2}$")
_MAX_LENGTH = 64


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    bucket: Bucket


def parse_time(value: str, name: str) -> datetime:
    """An aware UTC datetime from ISO 8601 with an offset or `Z`.

    The Cyclops dashboard's `YYYY-MM-DD HH:MM` is accepted and read as UTC.
    """
    if len(value) > _MAX_LENGTH:
        raise InvalidParameter(f"{name} is longer than {_MAX_LENGTH} characters")
    if _LEGACY.fullmatch(value):
        try:
            legacy = datetime.strptime(value, "%Y-%m-%d %H:%M")
        except ValueError:
            raise InvalidParameter(f"{name} is not a valid YYYY-MM-DD HH:MM") from None
        return _utc(legacy.replace(tzinfo=UTC), name)
    if _SPACED_OFFSET.fullmatch(value):
        raise InvalidParameter(
            f"{name} is not ISO 8601: a '+' in an offset must be sent as %2B"
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(
            f"{name} is not an ISO 8601 time with an offset or Z "
            "(e.g. 2026-11-01T00:00:00Z) nor YYYY-MM-DD HH:MM"
        ) from None
    if moment.tzinfo is None:
        raise InvalidParameter(f"{name} has no offset: add Z or +HH:MM")
    return _utc(moment, name)


def _utc(moment: datetime, name: str) -> datetime:
    try:
        moment = moment.astimezone(UTC)
        moment + timedelta(days=1)  # room for day-bucket arithmetic
        moment - timedelta(days=1)
    except OverflowError:
        raise InvalidParameter(f"{name} is out of range") from None
    return moment


def parse_period(
    start: str | None, end: str | None, bucket: str | None, max_days: int
) -> Period:
    """Check the whole period: both ends present, from before to, not too long."""
    if start is None or end is None:
        missing = " and ".join(
            n for n, v in (("from", start), ("to", end)) if v is None
        )
        raise InvalidParameter(f"{missing} required")
    begin, finish = parse_time(start, "from"), parse_time(end, "to")
    if begin >= finish:
        raise InvalidParameter("from must be before to")
    if finish - begin > timedelta(days=max_days):
        raise InvalidParameter(f"the period is longer than {max_days} days")
    chosen = "day" if bucket is None else bucket
    if chosen not in BUCKETS:
        raise InvalidParameter("bucket must be hour or day")
    return Period(start=begin, end=finish, bucket="hour" if chosen == "hour" else "day")
