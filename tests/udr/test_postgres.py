"""The store on PostgreSQL, when a test database is given.

Set `TEST_POSTGRES_URL` (for example `postgresql+psycopg://udr@127.0.0.1:55432/udr`,
a throwaway database: its usage records are deleted) with a driver installed; without
it these tests are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.udr.conftest import record, seed
from udr.errors import ConflictingRecord
from udr.periods import Period
from udr.store import UsageStore
from udr.usage import usage_report

URL = os.environ.get("TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="TEST_POSTGRES_URL names no PostgreSQL"
)
MONTH = Period(
    start=datetime(2026, 11, 1, tzinfo=UTC),
    end=datetime(2026, 12, 1, tzinfo=UTC),
    bucket="hour",
)


@pytest.fixture
def store() -> Iterator[UsageStore]:
    store = UsageStore.from_url(URL)
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM usage_records"))
    seed(store)
    yield store
    store.close()


def test_postgres_answers_like_sqlite(store: UsageStore) -> None:
    report = usage_report(store, "k-alice", MONTH)

    assert [(m.name, m.total) for m in report.meters] == [
        ("cpu_util", 20.0),
        ("network.incoming.bytes", 1500.0),
    ]
    assert [p.start for p in report.meters[0].series] == [
        "2026-11-02T00:00:00Z",
        "2026-11-02T01:00:00Z",
    ]


def test_postgres_keeps_ids_idempotent(store: UsageStore) -> None:
    again = store.ingest([record("k-alice", "cpu_util", 0, 10.0)])

    with pytest.raises(ConflictingRecord):
        store.ingest([record("k-alice", "cpu_util", 0, 11.0)])

    assert (again.stored, again.duplicates) == (0, 1)
    assert UsageStore.from_url(URL).count() == 5


def test_postgres_month_query_uses_the_index(store: UsageStore) -> None:
    query = store.bucket_query("k-alice", MONTH.start, MONTH.end, "day")
    sql = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))

    with store.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))

    # Either index serves: both lead with keystoneid and bound start_us.
    assert "Seq Scan" not in plan, plan
    assert (
        "Index Cond: (((keystoneid)::text = 'k-alice'::text) AND (start_us >=" in plan
    )
