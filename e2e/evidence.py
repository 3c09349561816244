"""Evidence that a step happened, read from where each service keeps it.

The provider's recorded requests (its test-control API), the UDR's log file and the
UDR's SQLite database. The totals here are computed from the database directly, in
this module's own SQL, so a test compares the page with the stored records and not
with the UDR's own arithmetic.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from e2e.processes import trust
from e2e.stack import Stack


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ProviderRecords:
    """What the provider recorded of the requests it got (`__test__/requests`)."""

    def __init__(self, stack: Stack) -> None:
        self._base = stack.test_control_url
        self._http = httpx.Client(verify=trust(stack.ca_file), timeout=5.0)

    def clear(self) -> None:
        self._http.delete(f"{self._base}/requests").raise_for_status()

    def all(self) -> list[dict[str, Any]]:
        response = self._http.get(f"{self._base}/requests")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return sorted(records, key=lambda record: int(record["seq"]))

    def to(self, endpoint: str, **fields: Any) -> list[dict[str, Any]]:
        """Records whose path ends with `endpoint` and whose fields equal `fields`."""
        return [
            record
            for record in self.all()
            if str(record["path"]).endswith(endpoint)
            and all(record.get(key) == value for key, value in fields.items())
        ]

    def validated_token(self, username: str) -> str:
        """The fingerprint of the one access token validated at userinfo for a user.

        The UDR's calls, and a dashboard's own userinfo call at login if it makes one,
        all carry the same token; more than one fingerprint fails the test.
        """
        records = self.to("/oauth2/userinfo", username=username, status=200)
        fingerprints = {str(record["token_sha256"]) for record in records}
        assert len(fingerprints) == 1, f"tokens validated for {username}: {records}"
        return fingerprints.pop()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """Another test-control call: faults, tokens, revoke-all, key rotation."""
        return self._http.post(f"{self._base}{path}", json=body)

    def close(self) -> None:
        self._http.close()


class LogWatch:
    """The lines a service wrote to its log since this watch was made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = path.stat().st_size if path.exists() else 0

    def lines(self) -> list[str]:
        with self.path.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode(errors="replace").splitlines()


@dataclass(frozen=True)
class StoredTotal:
    meter: str
    type: str
    unit: str
    total: float
    records: int


def stored_totals(
    database: Path, keystoneid: str, start: datetime, end: datetime
) -> dict[str, StoredTotal]:
    """Per meter, the total of the usage records starting in [start, end).

    docs/design.md: the sum of volumes for cumulative and delta meters, the average
    for gauges.
    """
    query = """
        SELECT meter, type, unit, SUM(volume), AVG(volume), COUNT(*)
        FROM usage_records
        WHERE keystoneid = ? AND start_us >= ? AND start_us < ?
        GROUP BY meter, type, unit
    """
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        rows = connection.execute(
            query, (keystoneid, _micros(start), _micros(end))
        ).fetchall()
    return {
        meter: StoredTotal(
            meter=meter,
            type=kind,
            unit=unit,
            total=float(average if kind == "gauge" else total),
            records=int(count),
        )
        for meter, kind, unit, total, average, count in rows
    }


def stored_series(
    database: Path, keystoneid: str, start: datetime, end: datetime, bucket: str
) -> dict[str, list[tuple[datetime, float]]]:
    """Per meter, the value of each UTC hour or day that holds records, in order.

    The sum of the bucket's volumes, or their average for a gauge.
    """
    size = {"hour": 3_600, "day": 86_400}[bucket] * 1_000_000
    query = """
        SELECT meter, type, start_us / ? AS bucket, SUM(volume), AVG(volume)
        FROM usage_records
        WHERE keystoneid = ? AND start_us >= ? AND start_us < ?
        GROUP BY meter, type, bucket
        ORDER BY meter, bucket
    """
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        rows = connection.execute(
            query, (size, keystoneid, _micros(start), _micros(end))
        ).fetchall()
    series: dict[str, list[tuple[datetime, float]]] = {}
    for meter, kind, index, total, average in rows:
        value = float(average if kind == "gauge" else total)
        series.setdefault(meter, []).append((_from_micros(int(index) * size), value))
    return series


def stored_record_count(database: Path, keystoneid: str) -> int:
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        row = connection.execute(
            "SELECT COUNT(*) FROM usage_records WHERE keystoneid = ?", (keystoneid,)
        ).fetchone()
    return int(row[0])


def stored_time_range(database: Path) -> tuple[datetime, datetime]:
    """The first start and the last end of any stored record."""
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        first, last = connection.execute(
            "SELECT MIN(start_us), MAX(end_us) FROM usage_records"
        ).fetchone()
    return _from_micros(int(first)), _from_micros(int(last))


def stored_week(database: Path) -> tuple[datetime, datetime]:
    """Seven whole UTC days well inside the stored demo usage."""
    first, _ = stored_time_range(database)
    day = first + timedelta(days=3)
    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=7)


def number_spellings(value: float) -> set[str]:
    """Ways a page may write a number: exact, grouped, rounded to 1-3 decimals.

    Only spellings of five characters or more, so that a short number such as `12`
    never matches some unrelated part of a page.
    """
    spellings = {repr(value), str(value)}
    for decimals in (0, 1, 2, 3):
        for grouping in ("", ","):
            text = f"{value:{grouping}.{decimals}f}"
            spellings.add(text)
            if "." in text:
                spellings.add(text.rstrip("0").rstrip("."))
    return {spelling for spelling in spellings if len(spelling) >= 5}


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)
