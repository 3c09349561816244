"""The usage store: SQLAlchemy Core over SQLite by default, any SQLAlchemy URL given.

`UsageStore` is the plain query and ingestion API; the HTTP layer only adds the guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from udr.errors import ConflictingRecord
from udr.records import UsageRecord, to_micros

BUCKET_MICROS = {"hour": 3_600 * 1_000_000, "day": 86_400 * 1_000_000}
_CHUNK = 500  # ids per IN (...) lookup: well under SQLite's variable limit
_ATTEMPTS = 5

metadata_obj = sa.MetaData()

usage_records = sa.Table(
    "usage_records",
    metadata_obj,
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("keystoneid", sa.String(255), nullable=False),
    sa.Column("resource_id", sa.String(255), nullable=False),
    sa.Column("meter", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("volume", sa.Float, nullable=False),
    sa.Column("start_us", sa.BigInteger, nullable=False),
    sa.Column("end_us", sa.BigInteger, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=True),
    sa.Column("content_sha256", sa.String(64), nullable=False),
)

# The query constrains keystoneid and a start range: this index answers one user's
# month by a range search, whatever else the table holds. The second serves queries
# for one meter (and keeps a user's meter history in order for exports).
sa.Index(
    "ix_usage_keystoneid_start", usage_records.c.keystoneid, usage_records.c.start_us
)
sa.Index(
    "ix_usage_keystoneid_meter_start",
    usage_records.c.keystoneid,
    usage_records.c.meter,
    usage_records.c.start_us,
)


schema_version = sa.Table(
    "udr_schema",
    metadata_obj,
    sa.Column("version", sa.Integer, nullable=False),
)

SCHEMA_VERSION = 1
# version -> the step that brings a store from the version before up to it
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {}


class SchemaTooNew(RuntimeError):
    """The store was written by a newer UDR."""


@dataclass(frozen=True)
class BucketRow:
    """One bucket of one meter: the sum and count of its records' volumes."""

    meter: str
    type: str
    unit: str
    bucket_start_us: int
    total: float
    count: int


@dataclass(frozen=True)
class IngestResult:
    stored: int
    duplicates: int


def create_store_engine(url: str) -> Engine:
    """An engine; SQLite files get WAL, a busy timeout and cross-thread use."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class UsageStore:
    """Usage records: idempotent ingestion and bucketed queries for one user."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> UsageStore:
        store = cls(create_store_engine(url))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        """Create the tables, or bring an older schema up to `SCHEMA_VERSION`.

        A schema newer than this code knows is refused: an older UDR must not write
        to a store it does not understand.
        """
        metadata_obj.create_all(self.engine, checkfirst=True)
        with self.engine.begin() as connection:
            found = connection.execute(sa.select(schema_version.c.version)).scalar()
            if found is None:
                connection.execute(schema_version.insert(), {"version": SCHEMA_VERSION})
                return
            if found > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"the store's schema is version {found}; this UDR knows up to "
                    f"{SCHEMA_VERSION}"
                )
            for version in range(found + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](connection)
            connection.execute(schema_version.update().values(version=SCHEMA_VERSION))

    def close(self) -> None:
        self.engine.dispose()

    def ingest(self, records: Sequence[UsageRecord]) -> IngestResult:
        """Store a batch in one transaction: all of it, or nothing on a conflict.

        The record id is the idempotency key: an id stored with the same content is a
        duplicate and is skipped; an id stored with other content rejects the batch.
        """
        for _attempt in range(_ATTEMPTS - 1):
            try:
                return self._ingest_once(records)
            except IntegrityError:
                # A concurrent batch stored one of these ids between lookup and insert:
                # look again, now seeing it.
                continue
        return self._ingest_once(records)

    def _ingest_once(self, records: Sequence[UsageRecord]) -> IngestResult:
        hashes = [record.content_hash() for record in records]
        with self.engine.begin() as connection:
            known = self._stored_hashes(connection, [r.id for r in records])
            rows: list[dict[str, Any]] = []
            duplicates = 0
            for index, (record, digest) in enumerate(zip(records, hashes, strict=True)):
                if record.id in known:
                    if known[record.id] != digest:
                        raise ConflictingRecord(index, record.id)
                    duplicates += 1
                    continue
                known[record.id] = digest
                rows.append(_row(record, digest))
            for chunk in _chunks(rows, _CHUNK):
                connection.execute(usage_records.insert(), chunk)
        return IngestResult(stored=len(rows), duplicates=duplicates)

    def _stored_hashes(
        self, connection: sa.Connection, ids: list[str]
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        table = usage_records
        for chunk in _chunks(sorted(set(ids)), _CHUNK):
            query = sa.select(table.c.id, table.c.content_sha256).where(
                table.c.id.in_(chunk)
            )
            found.update(
                {row.id: row.content_sha256 for row in connection.execute(query)}
            )
        return found

    def buckets(
        self, keystoneid: str, start: datetime, end: datetime, bucket: str
    ) -> list[BucketRow]:
        """Per meter and bucket, the sum and count of volumes of records starting in
        [start, end). Buckets are aligned to UTC hours or days."""
        size = BUCKET_MICROS[bucket]
        query = self.bucket_query(keystoneid, start, end, bucket)
        with self.engine.connect() as connection:
            return [
                BucketRow(
                    meter=row.meter,
                    type=row.type,
                    unit=row.unit,
                    bucket_start_us=int(row.bucket) * size,
                    total=float(row.total),
                    count=int(row.n_records),
                )
                for row in connection.execute(query)
            ]

    def bucket_query(
        self, keystoneid: str, start: datetime, end: datetime, bucket: str
    ) -> sa.Select[Any]:
        """The one query behind `buckets`: a range search on (keystoneid, start_us)."""
        table = usage_records
        bucket_index = (table.c.start_us // BUCKET_MICROS[bucket]).label("bucket")
        return (
            sa.select(
                table.c.meter,
                table.c.type,
                table.c.unit,
                bucket_index,
                sa.func.sum(table.c.volume).label("total"),
                sa.func.count().label("n_records"),
            )
            .where(
                table.c.keystoneid == keystoneid,
                table.c.start_us >= to_micros(start),
                table.c.start_us < to_micros(end),
            )
            .group_by(table.c.meter, table.c.type, table.c.unit, bucket_index)
            .order_by(table.c.meter, table.c.type, table.c.unit, bucket_index)
        )

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(usage_records)
                ).scalar_one()
            )


def _row(record: UsageRecord, digest: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "keystoneid": record.keystoneid,
        "resource_id": record.resource_id,
        "meter": record.meter,
        "type": record.type,
        "unit": record.unit,
        "volume": float(record.volume),
        "start_us": to_micros(record.start),
        "end_us": to_micros(record.end),
        "metadata": record.metadata,
        "content_sha256": digest,
    }


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]
