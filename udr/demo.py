"""A realistic month of usage for demo users, the same for the same seed.

Each user runs a few VMs; each VM reports hourly `cpu_util` and `memory.usage`
(gauges with a daily rhythm), network and disk bytes per hour, and instance hours.
A record's content depends only on (seed, keystoneid, VM, meter, hour), so a rerun
an hour later adds the new hours and finds the old ones as duplicates.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from udr.records import MeterType, UsageRecord
from udr.store import IngestResult, UsageStore

FLAVORS = (("m1.small", 2048, 1), ("m1.medium", 4096, 2), ("m1.large", 8192, 4))
BATCH = 5_000


@dataclass(frozen=True)
class Vm:
    resource_id: str
    name: str
    flavor: str
    memory_mb: int
    vcpus: int
    load: float  # typical CPU share at the daily peak, 0..1
    traffic: float  # typical bytes per hour at the daily peak
    weekdays_only: bool


def vms_for(seed: int, keystoneid: str) -> list[Vm]:
    """The user's VMs: two to four, fixed by the seed and the keystoneid."""
    rng = random.Random(f"{seed}:{keystoneid}")  # noqa: S311  demo data, not secrets
    vms = []
    for number in range(rng.randint(2, 4)):
        flavor, memory, vcpus = rng.choice(FLAVORS)
        vms.append(
            Vm(
                resource_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                name=f"vm-{number + 1}",
                flavor=flavor,
                memory_mb=memory,
                vcpus=vcpus,
                load=rng.uniform(0.15, 0.85),
                traffic=rng.uniform(5e7, 2e9),
                weekdays_only=number > 0 and rng.random() < 0.3,
            )
        )
    return vms


def demo_records(
    seed: int, keystoneids: Sequence[str], days: int, now: datetime
) -> Iterator[UsageRecord]:
    """Hourly records for the `days` days ending at the current (whole) hour."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = [end - timedelta(hours=h) for h in range(days * 24, 0, -1)]
    for keystoneid in keystoneids:
        for vm in vms_for(seed, keystoneid):
            for hour in hours:
                if vm.weekdays_only and hour.weekday() >= 5:
                    continue
                yield from _hour_of(seed, keystoneid, vm, hour)


def _hour_of(
    seed: int, keystoneid: str, vm: Vm, hour: datetime
) -> Iterator[UsageRecord]:
    rhythm = _daily(hour)
    noise = _noise(seed, keystoneid, vm.resource_id, hour)
    cpu = min(100.0, max(0.5, 100 * vm.load * rhythm * (0.8 + 0.4 * noise[0])))
    memory = vm.memory_mb * min(0.95, 0.35 + 0.4 * rhythm * (0.7 + 0.6 * noise[1]))
    incoming = vm.traffic * rhythm * (0.5 + noise[2])
    outgoing = incoming * (0.2 + 0.5 * noise[3])
    read = vm.traffic * 0.3 * rhythm * (0.3 + noise[4])
    write = read * (0.4 + 0.8 * noise[5])
    values: tuple[tuple[str, MeterType, str, float], ...] = (
        ("instance", "delta", "h", 1.0),
        ("cpu_util", "gauge", "%", round(cpu, 2)),
        ("memory.usage", "gauge", "MB", round(memory, 1)),
        ("network.incoming.bytes", "cumulative", "B", float(round(incoming))),
        ("network.outgoing.bytes", "cumulative", "B", float(round(outgoing))),
        ("disk.read.bytes", "cumulative", "B", float(round(read))),
        ("disk.write.bytes", "cumulative", "B", float(round(write))),
    )
    metadata = {"display_name": vm.name, "flavor": vm.flavor, "vcpus": vm.vcpus}
    for meter, kind, unit, volume in values:
        yield UsageRecord(
            id=f"demo:{keystoneid}:{vm.resource_id}:{meter}:{hour:%Y%m%dT%H}",
            keystoneid=keystoneid,
            resource_id=vm.resource_id,
            meter=meter,
            type=kind,
            unit=unit,
            volume=volume,
            start=hour,
            end=hour + timedelta(hours=1),
            metadata=metadata,
        )


def _daily(hour: datetime) -> float:
    """Busy in the afternoon, quiet at night, quieter at weekends: 0.1 .. 1."""
    day = 0.55 - 0.45 * math.cos(2 * math.pi * (hour.hour - 3) / 24)
    return max(0.1, day * (0.6 if hour.weekday() >= 5 else 1.0))


def _noise(seed: int, keystoneid: str, resource_id: str, hour: datetime) -> list[float]:
    """Six numbers in [0, 1) fixed by their inputs (not by the order of generation)."""
    digest = hashlib.sha256(
        f"{seed}|{keystoneid}|{resource_id}|{hour:%Y%m%d%H}".encode()
    )
    raw = digest.digest()
    return [int.from_bytes(raw[i : i + 4], "big") / 2**32 for i in range(0, 24, 4)]


def write_demo_data(
    store: UsageStore,
    seed: int,
    keystoneids: Sequence[str],
    days: int,
    now: datetime | None = None,
) -> IngestResult:
    """Store the demo records; a rerun stores only what is new."""
    stored = duplicates = 0
    batch: list[UsageRecord] = []
    records = demo_records(seed, keystoneids, days, now or datetime.now(UTC))
    for record in records:
        batch.append(record)
        if len(batch) == BATCH:
            result = store.ingest(batch)
            stored, duplicates = stored + result.stored, duplicates + result.duplicates
            batch = []
    if batch:
        result = store.ingest(batch)
        stored, duplicates = stored + result.stored, duplicates + result.duplicates
    return IngestResult(stored=stored, duplicates=duplicates)
