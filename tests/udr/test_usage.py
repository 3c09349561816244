"""`usage_report`: the query without HTTP, as a benchmark's baseline uses it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.udr.conftest import record
from udr import UsageStore, usage_report
from udr.periods import Period

MONTH = Period(
    start=datetime(2026, 11, 1, tzinfo=UTC),
    end=datetime(2026, 12, 1, tzinfo=UTC),
    bucket="hour",
)


def test_gauges_average_over_resources_and_counters_add_up(tmp_path: Path) -> None:
    store = UsageStore.from_url(f"sqlite:///{tmp_path / 'u.db'}")
    store.ingest(
        [
            record("k-a", "cpu_util", 0, 10.0, id="a", resource_id="vm-1"),
            record("k-a", "cpu_util", 0, 40.0, id="b", resource_id="vm-2"),
            record("k-a", "cpu_util", 1, 70.0, id="c", resource_id="vm-1"),
            record("k-a", "network.incoming.bytes", 0, 5.0, id="d", resource_id="vm-1"),
            record("k-a", "network.incoming.bytes", 0, 7.0, id="e", resource_id="vm-2"),
        ]
    )

    report = usage_report(store, "k-a", MONTH).model_dump(by_alias=True)

    cpu, net = report["meters"]
    assert (cpu["total"], [p["value"] for p in cpu["series"]]) == (40.0, [25.0, 70.0])
    assert (net["total"], [p["value"] for p in net["series"]]) == (12.0, [12.0])
    assert report["period"] == {
        "from": "2026-11-01T00:00:00Z",
        "to": "2026-12-01T00:00:00Z",
    }


def test_other_users_records_never_appear(tmp_path: Path) -> None:
    store = UsageStore.from_url(f"sqlite:///{tmp_path / 'u.db'}")
    store.ingest(
        [record("k-a", "cpu_util", 0, 10.0), record("k-b", "cpu_util", 0, 90.0)]
    )

    report = usage_report(store, "k-a", MONTH)

    assert [m.total for m in report.meters] == [10.0]
