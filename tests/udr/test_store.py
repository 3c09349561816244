"""The store: durable, idempotent, and answering a user's month from an index."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.udr.conftest import record
from udr import store as store_module
from udr.errors import ConflictingRecord
from udr.store import SCHEMA_VERSION, SchemaTooNew, UsageStore, schema_version

MONTH = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_records_survive_a_restart(url: str) -> None:
    first = UsageStore.from_url(url)
    first.ingest([record("k-alice", "cpu_util", 0, 10.0)])
    first.close()

    second = UsageStore.from_url(url)

    assert second.count() == 1
    assert second.buckets("k-alice", *MONTH, "day")[0].total == 10.0


def test_sqlite_file_runs_in_wal_mode(url: str) -> None:
    store = UsageStore.from_url(url)

    with store.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()

    assert mode == "wal"


def test_month_query_is_a_range_search_on_the_index(url: str) -> None:
    store = UsageStore.from_url(url)
    query = store.bucket_query("k-alice", *MONTH, "day")
    sql = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))

    with store.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        plan = [
            row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        ]

    assert any(
        "SEARCH usage_records USING INDEX ix_usage_keystoneid_start "
        "(keystoneid=? AND start_us>? AND start_us<?)" in step
        for step in plan
    ), plan
    assert not any(step.startswith("SCAN usage_records") for step in plan), plan


def test_conflict_rolls_back_the_whole_batch(url: str) -> None:
    store = UsageStore.from_url(url)
    store.ingest([record("k-alice", "cpu_util", 0, 10.0)])

    with pytest.raises(ConflictingRecord) as refused:
        store.ingest(
            [
                record("k-alice", "cpu_util", 5, 1.0),
                record("k-alice", "cpu_util", 0, 11.0),
            ]
        )

    assert refused.value.extra == {"index": 1}
    assert store.count() == 1


def test_concurrent_identical_batches_store_each_record_once(url: str) -> None:
    store = UsageStore.from_url(url)
    batch = [record("k-alice", "cpu_util", hour, float(hour)) for hour in range(200)]
    results = []

    def push() -> None:
        results.append(store.ingest(batch))

    threads = [threading.Thread(target=push) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.stored for r in results) == 200
    assert sum(r.duplicates for r in results) == 600
    assert store.count() == 200


def test_buckets_align_to_utc_days_and_hours(url: str) -> None:
    store = UsageStore.from_url(url)
    late = record(
        "k-alice",
        "cpu_util",
        23,
        4.0,
        start=datetime(2026, 11, 2, 23, 30, tzinfo=UTC),
        end=datetime(2026, 11, 3, 0, 30, tzinfo=UTC),
    )
    store.ingest([late])

    (day,) = store.buckets("k-alice", *MONTH, "day")
    (hour,) = store.buckets("k-alice", *MONTH, "hour")

    assert datetime.fromtimestamp(day.bucket_start_us / 1e6, UTC) == datetime(
        2026, 11, 2, tzinfo=UTC
    )
    assert datetime.fromtimestamp(hour.bucket_start_us / 1e6, UTC) == datetime(
        2026, 11, 2, 23, tzinfo=UTC
    )


def test_schema_is_created_once_and_kept(url: str) -> None:
    UsageStore.from_url(url).ingest([record("k-bob", "cpu_util", 0, 1.0)])

    store = UsageStore.from_url(url)
    names = [i["name"] for i in sa.inspect(store.engine).get_indexes("usage_records")]

    assert set(names) == {
        "ix_usage_keystoneid_start",
        "ix_usage_keystoneid_meter_start",
    }
    assert store.count() == 1
    with store.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version FROM udr_schema").all()
    assert versions == [(SCHEMA_VERSION,)]


def test_store_written_by_a_newer_udr_is_refused(url: str) -> None:
    store = UsageStore.from_url(url)
    with store.engine.begin() as connection:
        connection.execute(schema_version.update().values(version=SCHEMA_VERSION + 1))

    with pytest.raises(SchemaTooNew, match="knows up to"):
        UsageStore.from_url(url)


def test_older_schema_is_upgraded_step_by_step(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    UsageStore.from_url(url).ingest([record("k-bob", "cpu_util", 0, 1.0)])
    steps: list[int] = []
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    monkeypatch.setattr(
        store_module,
        "MIGRATIONS",
        {SCHEMA_VERSION + n: (lambda _c, n=n: steps.append(n)) for n in (1, 2)},
    )

    store = UsageStore.from_url(url)

    assert steps == [1, 2]
    assert store.count() == 1
    with store.engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version FROM udr_schema").scalar()
    assert version == SCHEMA_VERSION + 2


def test_period_end_is_exclusive_to_the_microsecond(url: str) -> None:
    store = UsageStore.from_url(url)
    start = datetime(2026, 11, 2, 0, 0, 0, 1, tzinfo=UTC)
    store.ingest(
        [
            record(
                "k-alice",
                "cpu_util",
                0,
                1.0,
                start=start,
                end=start + timedelta(hours=1),
            )
        ]
    )

    assert store.buckets("k-alice", MONTH[0], start, "day") == []
    assert len(store.buckets("k-alice", start, MONTH[1], "day")) == 1
