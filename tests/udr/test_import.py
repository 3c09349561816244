"""`python -m udr import FILE`: Ceilometer samples (JSON) and CSV into the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from udr.ceilometer import read_file
from udr.errors import InvalidRecord

SAMPLES = [  # Ceilometer v2 `Sample`, as GET /v2/samples answers
    {
        "id": "s-1",
        "meter": "cpu_util",
        "type": "gauge",
        "unit": "%",
        "volume": 12.5,
        "user_id": "u-1",
        "project_id": "p-1",
        "resource_id": "vm-1",
        "timestamp": "2026-11-02T10:00:00",
        "recorded_at": "2026-11-02T10:00:01",
        "source": "openstack",
        "metadata": {"display_name": "web"},
    },
    {
        "id": "s-2",
        "meter": "network.incoming.bytes",
        "type": "cumulative",
        "unit": "B",
        "volume": 1000,
        "user_id": "u-1",
        "project_id": "p-1",
        "resource_id": "vm-1",
        "timestamp": "2026-11-02T10:00:00",
    },
    {
        "id": "s-4",
        "meter": "network.incoming.bytes",
        "type": "cumulative",
        "unit": "B",
        "volume": 300,
        "user_id": "u-1",
        "project_id": "p-1",
        "resource_id": "vm-1",
        "timestamp": "2026-11-02T12:00:00",
    },
    {
        "id": "s-3",
        "meter": "network.incoming.bytes",
        "type": "cumulative",
        "unit": "B",
        "volume": 1600,
        "user_id": "u-1",
        "project_id": "p-1",
        "resource_id": "vm-1",
        "timestamp": "2026-11-02T11:00:00",
    },
]

OLD_SAMPLE = {  # Ceilometer v2 `OldSample`, as GET /v2/meters/{meter} answers
    "message_id": "m-1",
    "counter_name": "disk.write.bytes",
    "counter_type": "delta",
    "counter_unit": "B",
    "counter_volume": 42.0,
    "user_id": "u-2",
    "project_id": "p-2",
    "resource_id": "vm-2",
    "timestamp": "2026-11-03T08:00:00+00:00",
    "resource_metadata": {"flavor": "m1"},
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_gauge_samples_become_records_at_their_time(tmp_path: Path) -> None:
    records = read_file(_write(tmp_path, "s.json", json.dumps(SAMPLES)))

    (cpu,) = [r for r in records if r.meter == "cpu_util"]
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert (cpu.id, cpu.keystoneid, cpu.volume, cpu.start, cpu.end) == (
        "s-1",
        "u-1",
        12.5,
        at,
        at,
    )
    assert cpu.metadata == {"display_name": "web"}


def test_cumulative_samples_become_increases_between_readings(tmp_path: Path) -> None:
    records = read_file(_write(tmp_path, "s.json", json.dumps(SAMPLES)))

    counters = sorted(
        (r.start.hour, r.end.hour, r.volume, r.id)
        for r in records
        if r.meter == "network.incoming.bytes"
    )
    # 1000 -> 1600 grew by 600; 1600 -> 300 is a restarted counter: 300 since.
    assert counters == [(10, 11, 600.0, "s-3"), (11, 12, 300.0, "s-4")]


def test_old_sample_shape_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "old.json", json.dumps({"samples": [OLD_SAMPLE]}))

    (disk,) = read_file(path, keystoneid_field="project_id")

    assert (disk.id, disk.keystoneid, disk.type, disk.volume) == (
        "m-1",
        "p-2",
        "delta",
        42.0,
    )
    assert disk.metadata == {"flavor": "m1"}


def test_keystoneid_can_be_given_for_every_sample(tmp_path: Path) -> None:
    records = read_file(
        _write(tmp_path, "s.json", json.dumps(SAMPLES)), keystoneid="k-x"
    )

    assert {r.keystoneid for r in records} == {"k-x"}


def test_csv_of_usage_records_is_read(tmp_path: Path) -> None:
    text = (
        "id,keystoneid,resource_id,meter,type,unit,volume,start,end,metadata\n"
        "r-1,k-a,vm-1,cpu_util,gauge,%,50,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,\n"
        "r-2,k-a,vm-1,instance,delta,h,1,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z,"
        '"{""flavor"": ""m1""}"\n'
    )

    records = read_file(_write(tmp_path, "r.csv", text))

    assert [(r.id, r.volume, r.metadata) for r in records] == [
        ("r-1", 50.0, None),
        ("r-2", 1.0, {"flavor": "m1"}),
    ]


def test_csv_of_ceilometer_samples_is_read(tmp_path: Path) -> None:
    text = (
        "id,meter,type,unit,volume,timestamp,resource_id,user_id,project_id\n"
        "s-1,cpu_util,gauge,%,12.5,2026-11-02T10:00:00,vm-1,u-1,p-1\n"
    )

    (cpu,) = read_file(_write(tmp_path, "s.csv", text))

    assert (cpu.id, cpu.keystoneid, cpu.volume) == ("s-1", "u-1", 12.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "record 0: a sample must be an object"),
        (
            json.dumps([SAMPLES[0], {**SAMPLES[0], "volume": "lots"}]),
            "record 1: volume is not a number",
        ),
        (
            json.dumps([{**SAMPLES[0], "timestamp": "noon"}]),
            "record 0: timestamp is not ISO 8601",
        ),
        (
            json.dumps([{**SAMPLES[0], "type": "counter"}]),
            "record 0: type: Input should be",
        ),
        (
            json.dumps([{k: v for k, v in SAMPLES[0].items() if k != "resource_id"}]),
            "record 0: missing resource_id",
        ),
        ("{broken", "not JSON"),
        ('{"other": []}', "expected a list of Ceilometer samples"),
    ],
)
def test_bad_entry_is_named(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidRecord) as refused:
        read_file(_write(tmp_path, "bad.json", text))

    assert message in refused.value.description
