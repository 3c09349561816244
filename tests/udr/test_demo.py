"""`python -m udr demo-data`: a realistic month, the same for the same seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

import pytest

from udr.demo import demo_records, write_demo_data
from udr.store import UsageStore

NOW = datetime(2026, 12, 4, 15, 31, 7, tzinfo=UTC)
METERS = {
    "instance": ("delta", "h"),
    "cpu_util": ("gauge", "%"),
    "memory.usage": ("gauge", "MB"),
    "network.incoming.bytes": ("cumulative", "B"),
    "network.outgoing.bytes": ("cumulative", "B"),
    "disk.read.bytes": ("cumulative", "B"),
    "disk.write.bytes": ("cumulative", "B"),
}


def test_same_seed_gives_the_same_records() -> None:
    first = list(demo_records(7, ["k-a"], 3, NOW))
    again = list(demo_records(7, ["k-a"], 3, NOW))

    assert first == again


def test_another_seed_gives_other_records() -> None:
    one = {r.id: r.volume for r in demo_records(7, ["k-a"], 3, NOW)}
    other = {r.id: r.volume for r in demo_records(8, ["k-a"], 3, NOW)}

    assert one != other


def test_records_cover_the_days_ending_at_the_current_hour() -> None:
    records = list(demo_records(1, ["k-a"], 35, NOW))
    end = NOW.replace(minute=0, second=0, microsecond=0)

    assert max(r.end for r in records) == end
    assert min(r.start for r in records) == end - timedelta(days=35)
    assert {(r.meter, r.type, r.unit) for r in records} == {
        (m, t, u) for m, (t, u) in METERS.items()
    }


def test_each_user_runs_several_vms_with_their_own_usage() -> None:
    records = list(demo_records(1, ["k-a", "k-b"], 2, NOW))
    vms = {
        k: {r.resource_id for r in records if r.keystoneid == k} for k in ("k-a", "k-b")
    }

    assert all(2 <= len(ids) <= 4 for ids in vms.values())
    assert not vms["k-a"] & vms["k-b"]


def test_cpu_follows_a_daily_rhythm_within_bounds() -> None:
    cpu = [r for r in demo_records(3, ["k-a"], 28, NOW) if r.meter == "cpu_util"]

    afternoon = mean(r.volume for r in cpu if r.start.hour == 15)
    night = mean(r.volume for r in cpu if r.start.hour == 3)

    assert all(0 < r.volume <= 100 for r in cpu)
    assert afternoon > 2 * night


def test_rerun_stores_nothing_new(tmp_path: Path) -> None:
    store = UsageStore.from_url(f"sqlite:///{tmp_path / 'demo.db'}")

    first = write_demo_data(store, 5, ["k-a"], 3, NOW)
    second = write_demo_data(store, 5, ["k-a"], 3, NOW)

    assert first.stored > 0 and first.duplicates == 0
    assert (second.stored, second.duplicates) == (0, first.stored)


@pytest.mark.parametrize("later", [timedelta(hours=1), timedelta(days=2)])
def test_rerun_later_adds_the_new_hours_without_conflict(
    later: timedelta, tmp_path: Path
) -> None:
    store = UsageStore.from_url(f"sqlite:///{tmp_path / 'demo.db'}")
    first = write_demo_data(store, 5, ["k-a"], 3, NOW)

    second = write_demo_data(store, 5, ["k-a"], 3, NOW + later)

    assert second.stored > 0
    assert store.count() == first.stored + second.stored
