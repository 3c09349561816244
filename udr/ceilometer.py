"""Usage records from files: OpenStack Ceilometer samples (JSON) and CSV.

Ceilometer's v2 API answers samples either as `Sample` (`meter`, `type`, `unit`,
`volume`, `id`, `metadata`) or as the older `OldSample` (`counter_name`,
`counter_type`, `counter_unit`, `counter_volume`, `message_id`,
`resource_metadata`); both are read. A gauge or delta sample becomes a record at its
timestamp. A cumulative sample holds a counter, so each one after the first of its
resource and meter becomes the increase since the previous one (a counter that went
down restarted: its value is the increase).

CSV: a header row, then either the UDR's own record fields (`id, keystoneid,
resource_id, meter, type, unit, volume, start, end[, metadata]`) or Ceilometer's
sample fields (`id, meter, type, unit, volume, timestamp, resource_id, user_id,
project_id`).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from udr.errors import InvalidRecord
from udr.records import UsageRecord, describe

RECORD_COLUMNS = {"id", "keystoneid", "resource_id", "meter", "type", "unit", "volume"}


@dataclass(frozen=True)
class Sample:
    """One Ceilometer sample, whichever shape it came in."""

    index: int
    id: str
    keystoneid: str
    resource_id: str
    meter: str
    type: str
    unit: str
    volume: float
    timestamp: datetime
    metadata: dict[str, Any] | None


def read_file(
    path: Path, keystoneid: str | None = None, keystoneid_field: str = "user_id"
) -> list[UsageRecord]:
    """Every usage record in the file; `InvalidRecord` names the first bad entry."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{"):
        return from_samples(_json_entries(text), keystoneid, keystoneid_field)
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and set(rows[0]) >= RECORD_COLUMNS:
        return [_csv_record(i, row) for i, row in enumerate(rows)]
    return from_samples(rows, keystoneid, keystoneid_field)


def _json_entries(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidRecord(None, f"not JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("samples"), list):
        document = document["samples"]
    if not isinstance(document, list):
        raise InvalidRecord(None, "expected a list of Ceilometer samples")
    return document


def from_samples(
    entries: Sequence[Any], keystoneid: str | None, keystoneid_field: str
) -> list[UsageRecord]:
    samples = [
        _sample(i, e, keystoneid, keystoneid_field) for i, e in enumerate(entries)
    ]
    records = [_point(s) for s in samples if s.type in ("gauge", "delta")]
    counters: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        if sample.type == "cumulative":
            counters[(sample.resource_id, sample.meter)].append(sample)
    for series in counters.values():
        series.sort(key=lambda s: s.timestamp)
        records += [_increase(a, b) for a, b in itertools.pairwise(series)]
    return records


def _sample(index: int, entry: Any, keystoneid: str | None, field: str) -> Sample:
    if not isinstance(entry, dict):
        raise InvalidRecord(index, "a sample must be an object")

    def pick(*names: str) -> Any:
        for name in names:
            if entry.get(name) not in (None, ""):
                return entry[name]
        raise InvalidRecord(index, f"missing {names[0]}")

    try:
        volume = float(pick("volume", "counter_volume"))
    except (TypeError, ValueError):
        raise InvalidRecord(index, "volume is not a number") from None
    kind = str(pick("type", "counter_type"))
    if kind not in ("gauge", "cumulative", "delta"):
        raise InvalidRecord(index, "type: Input should be gauge, cumulative or delta")
    metadata = entry.get("metadata") or entry.get("resource_metadata")
    return Sample(
        index=index,
        id=str(pick("id", "message_id")),
        keystoneid=keystoneid or str(pick(field)),
        resource_id=str(pick("resource_id")),
        meter=str(pick("meter", "counter_name")),
        type=kind,
        unit=str(pick("unit", "counter_unit")),
        volume=volume,
        timestamp=_timestamp(index, pick("timestamp")),
        metadata=metadata if isinstance(metadata, dict) else None,
    )


def _timestamp(index: int, value: Any) -> datetime:
    """Ceilometer writes UTC without an offset; an explicit offset is honoured."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidRecord(index, "timestamp is not ISO 8601") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _point(sample: Sample) -> UsageRecord:
    return _validated(sample.index, _fields(sample, sample.volume, sample.timestamp))


def _increase(before: Sample, after: Sample) -> UsageRecord:
    grown = after.volume - before.volume
    volume = grown if grown >= 0 else after.volume
    return _validated(after.index, _fields(after, volume, before.timestamp))


def _fields(sample: Sample, volume: float, start: datetime) -> dict[str, Any]:
    return {
        "id": sample.id,
        "keystoneid": sample.keystoneid,
        "resource_id": sample.resource_id,
        "meter": sample.meter,
        "type": sample.type,
        "unit": sample.unit,
        "volume": volume,
        "start": start,
        "end": sample.timestamp,
        "metadata": sample.metadata,
    }


def _csv_record(index: int, row: dict[str, Any]) -> UsageRecord:
    fields: dict[str, Any] = {k: v for k, v in row.items() if k in RECORD_COLUMNS}
    fields["start"], fields["end"] = row.get("start"), row.get("end")
    try:
        fields["volume"] = float(row["volume"])
        if row.get("metadata"):
            fields["metadata"] = json.loads(row["metadata"])
    except (TypeError, ValueError):
        raise InvalidRecord(index, "volume or metadata cannot be read") from None
    return _validated(index, fields)


def _validated(index: int, fields: dict[str, Any]) -> UsageRecord:
    try:
        return UsageRecord.model_validate(fields)
    except ValidationError as exc:
        raise InvalidRecord(index, describe(exc)) from None
