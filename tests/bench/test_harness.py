"""The benchmark's own machinery: its statistics, its load generator, its store maker.

No test here times anything against a target; they check that the figures the
benchmark reports are computed from what they claim to be.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from bench import _load, _records, _store, _udr
from bench._profile import summarise
from e2e.processes import free_port
from udr.store import UsageStore


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        (list(range(1, 101)), 50, 50),
        (list(range(1, 101)), 99, 99),
        (list(range(100, 0, -1)), 99, 99),
        ([7.0], 99, 7.0),
        ([3.0, 1.0], 50, 1.0),
    ],
)
def test_percentile_nearest_rank(
    values: list[float], pct: float, expected: float
) -> None:
    assert _load.percentile(values, pct) == expected


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(_load.percentile([], 50))


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """200 on `/ok`, 500 on anything else."""
    status = 200 if scope["path"] == "/ok" else 500
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(_app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:  # readiness, polled
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def _get(url: str) -> _load.Send:
    def send(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.get(url)

    return send


def test_compare_measures_each_case_its_full_count(server_url: str) -> None:
    load = _load.Load(requests=30, concurrency=3, warmup=5, budget=30)
    cases = {"a": _get(f"{server_url}/ok"), "b": _get(f"{server_url}/ok")}

    results = _load.compare(cases, load, rounds=4)

    assert set(results) == {"a", "b"}
    for result in results.values():
        assert result.requests == 30
        assert len(result.latencies_ms) == 30
        assert not result.cut_short
        assert result.seconds > 0
        assert result.rps == pytest.approx(30 / result.seconds)


def test_compare_counts_the_cpu_time_of_the_serving_processes(server_url: str) -> None:
    load = _load.Load(requests=20, concurrency=2, warmup=0, budget=30)
    cases = {"served": _get(f"{server_url}/ok"), "unknown": _get(f"{server_url}/ok")}

    results = _load.compare(cases, load, serving={"served": [os.getpid()]})

    # The server runs in this process's thread: its CPU time is this process's.
    assert results["served"].cpu_seconds is not None
    assert results["served"].cpu_seconds >= 0
    assert results["unknown"].cpu_seconds is None
    assert results["unknown"].cpu_ms is None


def test_cpu_time_grows_with_work_and_is_none_for_a_gone_process() -> None:
    before = _load.cpu_time([os.getpid()])
    deadline = time.process_time() + 0.1
    while time.process_time() < deadline:
        pass
    after = _load.cpu_time([os.getpid()])

    assert before is not None and after is not None
    assert after - before >= 0.05
    assert _load.cpu_time([2**22 + 12345]) is None


def test_compare_fails_on_an_unexpected_status(server_url: str) -> None:
    load = _load.Load(requests=10, concurrency=2, warmup=0, budget=30)

    with pytest.raises(_load.LoadFailed, match="answered 500, expected 200"):
        _load.run(_get(f"{server_url}/broken"), load)


def test_compare_stops_a_case_at_its_time_budget(server_url: str) -> None:
    load = _load.Load(requests=10**6, concurrency=2, warmup=0, budget=0.4)

    result = _load.run(_get(f"{server_url}/ok"), load)

    assert result.cut_short
    assert 0 < result.requests < 10**6
    assert result.seconds < 5


def test_summarise_shares_leave_idle_threads_out() -> None:
    main = "main (udr/__main__.py:3)"
    handle = f"{main};handle (udr/routes.py:9)"
    collapsed = "\n".join(
        [
            f"{handle};execute (sqlalchemy/x.py:1) 60",
            f"{handle};dump (json/encoder.py:2) 20",
            f"{main};loop (asyncio/x.py:1) 20",
            "run (threading.py:1);Condition.wait (threading.py:327) 900",
        ]
    )

    profile = summarise(collapsed)

    assert profile.samples == 100
    assert profile.own[0] == ("execute (sqlalchemy/x.py:1)", 0.6)
    assert ("handle (udr/routes.py:9)", 0.8) in profile.project
    assert not any("__main__" in frame for frame, _ in profile.project)


def test_generated_store_holds_the_same_month_at_any_size(tmp_path: Path) -> None:
    size = _records.month_records() + 3_000

    path = _records.database(size, tmp_path)
    store = UsageStore.from_url(f"sqlite:///{path}")
    try:
        rows = store.buckets(
            _records.KEYSTONEID, _records.MONTH_START, _records.MONTH_END, "day"
        )
        assert store.count() == size
        assert sum(row.count for row in rows) == _records.month_records()
        assert {row.meter for row in rows} == {meter[0] for meter in _records.METERS}
        assert not _store._scans(_store._plan(store))
    finally:
        store.close()


def test_generated_store_is_reused_not_remade(tmp_path: Path) -> None:
    size = _records.month_records() + 10
    first = _records.database(size, tmp_path)
    made = first.stat().st_mtime_ns

    again = _records.database(size, tmp_path)

    assert again == first
    assert again.stat().st_mtime_ns == made
    assert _records.schema_digest() in first.name


def _result(rps: float, cpu_ms: float | None = None) -> _load.Result:
    cpu = None if cpu_ms is None else cpu_ms * rps / 1000
    return _load.Result(int(rps), 1.0, (1.0,), cpu_seconds=cpu)


@pytest.mark.parametrize(
    ("mode", "cache", "rps", "verdict"),
    [
        ("jwt", 0, 70, "PASS"),
        ("jwt", 0, 69, "MISS"),
        ("jwt", 60, 70, "PASS"),
        ("userinfo", 60, 70, "PASS"),
        ("userinfo", 60, 69, "MISS"),
        ("introspection", 60, 10, "INFO"),
    ],
)
def test_guarded_ratio_target(mode: str, cache: int, rps: float, verdict: str) -> None:
    row = _udr._guarded(mode, cache, _result(rps), _result(100), None)

    assert row.ratio == pytest.approx(rps / 100)
    assert row.verdict == verdict


@pytest.mark.parametrize(("rps", "verdict"), [(40, "PASS"), (39, "MISS")])
def test_cache_off_target_is_the_round_trip_and_nothing_more(
    rps: float, verdict: str
) -> None:
    # baseline 100/s and the provider call 100/s: one guarded request costs both,
    # 50/s expected; 0.8 of that passes.
    row = _udr._guarded("userinfo", 0, _result(rps), _result(100), _result(100))

    assert row.figures["expected_rps"] == pytest.approx(50)
    assert row.verdict == verdict


@pytest.mark.parametrize(("cpu_ms", "verdict"), [(14.9, "PASS"), (15.1, "MISS")])
def test_cache_off_target_in_cpu_when_cpu_is_known(cpu_ms: float, verdict: str) -> None:
    # baseline 10 ms and the provider call 2 ms of CPU: 12 ms, and a quarter more for
    # the UDR's side of the call, 15 ms; throughput does not matter then.
    limit, alone = _result(100, cpu_ms=10.0), _result(400, cpu_ms=2.0)

    row = _udr._guarded("tokeninfo", 0, _result(10, cpu_ms=cpu_ms), limit, alone)

    assert row.figures["allowed_cpu_ms"] == pytest.approx(15.0)
    assert row.verdict == verdict
