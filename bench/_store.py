"""Part 3: one user's month as the store grows from 10 thousand to a million records.

The query is timed in-process, through the UDR's own store, so the figure is the
database's and nothing else's. The target: under 20 ms at p50 with a million records,
and a flat curve: the query's CPU time (the ratio column), which other work on the
machine hardly moves, within twice the smallest store's, and no scan in its plan.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from udr.store import BucketRow, UsageStore

from . import _records
from ._load import percentile
from ._report import Report, Row

PART = "store"
P50_LIMIT_MS = 20.0
FLAT_LIMIT = 2.0
TARGET_SIZE = 1_000_000
BUCKET = "day"
WARMUP = 10
BUSY_FACTOR = 2  # wall time over CPU time past which other work is slowing the query
_MONTH = (_records.MONTH_START, _records.MONTH_END)


def run(report: Report, sizes: tuple[int, ...], queries: int, cache_dir: Path) -> None:
    smallest: float | None = None
    for size in sorted(sizes):
        started = time.monotonic()
        path = _records.database(size, cache_dir)
        made = time.monotonic() - started
        latencies, cpu_ms, plan = _time_month(path, queries)
        smallest = cpu_ms if smallest is None else smallest
        row = _row(size, latencies, cpu_ms, cpu_ms / smallest, plan)
        row.figures["generated_or_loaded_s"] = round(made, 2)
        report.add(row)


def _time_month(path: Path, queries: int) -> tuple[list[float], float, str]:
    store = UsageStore.from_url(f"sqlite:///{path}")
    try:
        for _ in range(WARMUP):
            store.buckets(_records.KEYSTONEID, *_MONTH, BUCKET)
        latencies = []
        cpu_started = time.thread_time()
        for _ in range(queries):
            started = time.perf_counter()
            rows = store.buckets(_records.KEYSTONEID, *_MONTH, BUCKET)
            latencies.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.thread_time() - cpu_started) * 1000 / queries
        _check_answer(rows)
        return latencies, cpu_ms, _plan(store)
    finally:
        store.close()


def _check_answer(rows: list[BucketRow]) -> None:
    """The month came back whole: the figures timed are of the right answer."""
    counted = sum(row.count for row in rows)
    if counted != _records.month_records():
        raise RuntimeError(
            f"the month held {counted} records, expected {_records.month_records()}"
        )


def _plan(store: UsageStore) -> str:
    """SQLite's plan for the very statement the store ran: an index search, no scan."""
    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        statements.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", capture)
    try:
        store.buckets(_records.KEYSTONEID, *_MONTH, BUCKET)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    with store.engine.connect() as connection:
        cursor = connection.connection.cursor()
        steps = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return "; ".join(str(step[-1]) for step in steps)


def _row(
    size: int, latencies: list[float], cpu_ms: float, growth: float, plan: str
) -> Row:
    p50 = percentile(latencies, 50)
    row = Row(
        PART,
        f"month of one user, {size:,} records",
        p50_ms=p50,
        p99_ms=percentile(latencies, 99),
        cpu_ms=cpu_ms,
        ratio=growth,
        figures={
            "size": size,
            "queries": len(latencies),
            "month_records": _records.month_records(),
            "plan": plan,
        },
    )
    if _scans(plan):
        row.note = f"TABLE SCAN: {plan}"
    elif p50 > BUSY_FACTOR * cpu_ms:
        row.note = f"busy machine: p50 is {p50 / cpu_ms:.1f}x the query's CPU time"
    flat = growth <= FLAT_LIMIT and not _scans(plan)
    if size == TARGET_SIZE:
        row.target = f"p50<{P50_LIMIT_MS:.0f}ms, <={FLAT_LIMIT:.0f}x"
        row.verdict = "PASS" if p50 < P50_LIMIT_MS and flat else "MISS"
    else:
        row.target = f"<={FLAT_LIMIT:.0f}x smallest"
        row.verdict = "PASS" if flat else "MISS"
    return row


def _scans(plan: str) -> bool:
    """Whether the plan reads the whole table (or a whole index) to answer."""
    return any(step.startswith("SCAN") for step in plan.split("; "))
