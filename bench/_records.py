"""Stores of 10 thousand to a million usage records, made fast and kept between runs.

The schema is the UDR's own (`UsageStore.create_schema`: its tables, indexes and
version), the rows written by bulk inserts into a fresh SQLite file. Whatever the size,
the user the benchmark asks for owns the same month of records (`month_records()`); the
rest is filler: other users, and this user's other months, so that both halves of the
index are put to work. A database is cached under a name holding the generator's
version and a digest of the schema, so a change to either makes a new one.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable

from udr.store import SCHEMA_VERSION, UsageStore, metadata_obj, usage_records

from ._provider import KEYSTONEID

GENERATOR_VERSION = 2
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 12, 1, tzinfo=UTC)
RESOURCES = ("vm-0001", "vm-0002")
METERS = (  # name, type, unit, typical volume
    ("cpu_util", "gauge", "%", 35.0),
    ("memory.usage", "gauge", "MB", 2048.0),
    ("network.incoming.bytes", "cumulative", "B", 5.0e7),
    ("disk.write.bytes", "delta", "B", 1.0e6),
)
OTHER_USERS = 2_000
FILLER_SPAN = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
OWN_SHARE = 0.1  # of the filler: the queried user's records outside the month
_HOUR_US = 3_600_000_000


def month_records() -> int:
    """How many records the queried month holds, at every size."""
    hours = (MONTH_END - MONTH_START) // timedelta(hours=1)
    return len(RESOURCES) * len(METERS) * hours


def database(size: int, cache_dir: Path) -> Path:
    """A SQLite file of `size` records, generated once and then reused."""
    path = cache_dir / f"store-g{GENERATOR_VERSION}-s{schema_digest()}-{size}.db"
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    _generate(partial, size)
    partial.replace(path)
    return path


def schema_digest() -> str:
    """A short digest of the UDR's schema: its version, tables and indexes."""
    dialect = sa.create_engine("sqlite://").dialect
    ddl = [f"version {SCHEMA_VERSION}"]
    for table in metadata_obj.sorted_tables:
        ddl.append(str(CreateTable(table).compile(dialect=dialect)))
        ddl += sorted(
            str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes
        )
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:10]


def _generate(path: Path, size: int) -> None:
    if size < month_records():
        raise ValueError(f"a store needs at least {month_records()} records")
    UsageStore.from_url(f"sqlite:///{path}").close()  # the schema, as the UDR makes it

    insert = (
        f"INSERT INTO {usage_records.name} ({', '.join(COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in COLUMNS)})"
    )
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(insert, _month_rows())
            connection.executemany(insert, _filler_rows(size - month_records()))
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("ANALYZE")
    finally:
        connection.close()


Row = tuple[object, ...]
COLUMNS = tuple(column.name for column in usage_records.columns)


def _month_rows() -> Iterator[Row]:
    rng = random.Random(GENERATOR_VERSION)
    start = _micros(MONTH_START)
    hours = month_records() // (len(RESOURCES) * len(METERS))
    for resource in RESOURCES:
        for meter, kind, unit, typical in METERS:
            for hour in range(hours):
                begin = start + hour * _HOUR_US
                volume = round(typical * rng.uniform(0.5, 1.5), 3)
                yield _row(
                    f"m-{resource}-{meter}-{hour}",
                    KEYSTONEID,
                    resource,
                    (meter, kind, unit),
                    volume,
                    begin,
                )


def _filler_rows(count: int) -> Iterator[Row]:
    rng = random.Random(GENERATOR_VERSION + 1)
    span_hours = (FILLER_SPAN[1] - FILLER_SPAN[0]) // timedelta(hours=1)
    month = (_micros(MONTH_START), _micros(MONTH_END))
    base = _micros(FILLER_SPAN[0])
    for n in range(count):
        own = rng.random() < OWN_SHARE
        user = (
            KEYSTONEID if own else f"bench-keystone-{rng.randrange(OTHER_USERS):04d}x"
        )
        begin = base + rng.randrange(span_hours) * _HOUR_US
        if own and month[0] <= begin < month[1]:
            begin -= 60 * 24 * _HOUR_US  # the queried month stays exactly as made
        meter, kind, unit, typical = METERS[n % len(METERS)]
        resource = f"vm-{rng.randrange(5)}-{user[-4:]}"
        volume = round(typical * rng.uniform(0.5, 1.5), 3)
        yield _row(f"f-{n:08d}", user, resource, (meter, kind, unit), volume, begin)


def _row(
    record_id: str,
    keystoneid: str,
    resource: str,
    meter: tuple[str, str, str],
    volume: float,
    begin: int,
) -> Row:
    name, kind, unit = meter
    values = {
        "id": record_id,
        "keystoneid": keystoneid,
        "resource_id": resource,
        "meter": name,
        "type": kind,
        "unit": unit,
        "volume": volume,
        "start_us": begin,
        "end_us": begin + _HOUR_US,
        "metadata": None,
        "content_sha256": hashlib.sha256(f"{record_id}|{volume}".encode()).hexdigest(),
    }
    return tuple(values[column] for column in COLUMNS)


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000
