"""The usage answer for one user and one period: totals and series per meter.

`usage_report` is the whole query without authorization: the HTTP route guards it,
and a benchmark may wrap it in an app of its own to measure the guard's cost.
"""

from __future__ import annotations

from itertools import groupby

from pydantic import BaseModel, Field

from udr.periods import Period
from udr.records import from_micros, iso_z
from udr.store import BucketRow, UsageStore


class PeriodOut(BaseModel):
    from_: str = Field(alias="from", examples=["2026-11-01T00:00:00Z"])
    to: str = Field(examples=["2026-12-01T00:00:00Z"])


class Point(BaseModel):
    start: str = Field(description="Start of the bucket, UTC")
    value: float


class MeterUsage(BaseModel):
    name: str
    type: str
    unit: str
    aggregate: str = Field(description="average for gauges, sum otherwise")
    total: float
    series: list[Point]


class UsageReport(BaseModel):
    keystoneid: str
    period: PeriodOut
    bucket: str
    meters: list[MeterUsage]


def usage_report(store: UsageStore, keystoneid: str, period: Period) -> UsageReport:
    """Totals (averages for gauges) and a bucketed series for each meter."""
    rows = store.buckets(keystoneid, period.start, period.end, period.bucket)
    meters = [
        _meter(list(group))
        for _key, group in groupby(rows, key=lambda r: (r.meter, r.type, r.unit))
    ]
    return UsageReport(
        keystoneid=keystoneid,
        period=PeriodOut.model_validate(
            {"from": iso_z(period.start), "to": iso_z(period.end)}
        ),
        bucket=period.bucket,
        meters=meters,
    )


def _meter(rows: list[BucketRow]) -> MeterUsage:
    first = rows[0]
    gauge = first.type == "gauge"
    total = sum(r.total for r in rows)
    count = sum(r.count for r in rows)
    series = [
        Point(
            start=iso_z(from_micros(r.bucket_start_us)),
            value=r.total / r.count if gauge else r.total,
        )
        for r in rows
    ]
    return MeterUsage(
        name=first.meter,
        type=first.type,
        unit=first.unit,
        aggregate="average" if gauge else "sum",
        total=total / count if gauge else total,
        series=series,
    )
