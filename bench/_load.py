"""The one load generator every HTTP figure comes from.

An httpx async client with a fixed number of concurrent workers sends a fixed number of
requests, after a warm-up whose timings are thrown away. Every server is driven by the
same code with the same settings, so the figures of one run can be compared as ratios.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]
"""Sends one request with the given client and returns the response."""


class LoadFailed(RuntimeError):
    """A request of a measured run got an answer other than the expected one."""


@dataclass(frozen=True)
class Load:
    """How hard and how long: requests measured, workers at once, warm-up requests,
    and the most seconds one case may take (warm-up included) before it is cut short."""

    requests: int = 2000
    concurrency: int = 4
    warmup: int = 200
    budget: float = 12.0
    timeout: float = 10.0


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one measured run."""

    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]
    cut_short: bool = False
    cpu_seconds: float | None = None  # the serving processes' CPU time, when known

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float | None:
        """CPU milliseconds the serving processes spent per request.

        Unlike throughput, hardly moved by other work on the machine's cores.
        """
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds * 1000 / self.requests

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

    def as_dict(self) -> dict[str, float | bool | None]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "cut_short": self.cut_short,
            "cpu_ms": round(self.cpu_ms, 3) if self.cpu_ms is not None else None,
        }


def percentile(values: tuple[float, ...] | list[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (which need not be sorted)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def run(send: Send, load: Load, expect: int = 200) -> Result:
    """Warm up, then measure `load.requests` requests; every answer must be `expect`."""
    return compare({"only": send}, load, rounds=1, expect=expect)["only"]


def compare(
    cases: Mapping[str, Send],
    load: Load,
    rounds: int = 4,
    expect: int = 200,
    serving: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, Result]:
    """Measure several cases in interleaved rounds, `load.requests` each in all.

    Each round sends every case its share in turn, the order rotating from round to
    round, so a neighbour's burst on a shared machine lands on all cases alike rather
    than on whichever happened to run then. `serving` names, per case, the processes
    whose CPU time its requests cost (read from /proc, Linux only).
    """
    rounds = max(1, rounds)
    return asyncio.run(_compare(cases, load, rounds, expect, serving or {}))


@dataclass
class _Tally:
    """What one case has measured so far, round after round."""

    latencies: list[float]
    seconds: float = 0.0
    cpu_seconds: float | None = 0.0

    def add(
        self, latencies: list[float], seconds: float, cpu: tuple[float | None, ...]
    ) -> None:
        self.latencies += latencies
        self.seconds += seconds
        before, after = cpu
        if self.cpu_seconds is None or before is None or after is None:
            self.cpu_seconds = None
        else:
            self.cpu_seconds += after - before

    def result(self, load: Load) -> Result:
        count = len(self.latencies)
        return Result(
            count,
            self.seconds,
            tuple(self.latencies),
            cut_short=count < load.requests,
            cpu_seconds=self.cpu_seconds,
        )


async def _compare(
    cases: Mapping[str, Send],
    load: Load,
    rounds: int,
    expect: int,
    serving: Mapping[str, Sequence[int]],
) -> dict[str, Result]:
    names = list(cases)
    tallies = {name: _Tally([]) for name in names}
    limits = httpx.Limits(
        max_connections=load.concurrency, max_keepalive_connections=load.concurrency
    )
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(limits=limits, timeout=load.timeout)
            )
            for name in names
        }
        for name in names:
            until = time.perf_counter() + load.budget / 4
            await _drive(clients[name], cases[name], load.warmup, load, expect, until)

        for round_no in range(rounds):
            share = load.requests // rounds + (round_no < load.requests % rounds)
            turn = round_no % len(names)
            for name in names[turn:] + names[:turn]:
                pids = serving.get(name, ())
                cpu_before, started = cpu_time(pids), time.perf_counter()
                until = started + load.budget * 3 / 4 / rounds
                latencies = await _drive(
                    clients[name], cases[name], share, load, expect, until
                )
                seconds = time.perf_counter() - started
                tallies[name].add(latencies, seconds, (cpu_before, cpu_time(pids)))
    return {name: tally.result(load) for name, tally in tallies.items()}


async def _drive(
    client: httpx.AsyncClient,
    send: Send,
    count: int,
    load: Load,
    expect: int,
    until: float,
) -> list[float]:
    """`count` requests from `load.concurrency` workers; none started after `until`."""
    latencies: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < until:
            remaining -= 1
            started = time.perf_counter()
            response = await send(client)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != expect:
                raise LoadFailed(_describe(response, expect))

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(load.concurrency, count)):
                group.create_task(worker())
    except* (LoadFailed, httpx.HTTPError) as failures:
        raise failures.exceptions[0] from None
    return latencies


def cpu_time(pids: Sequence[int]) -> float | None:
    """User and system CPU seconds of the processes so far; None if any is unknown."""
    if not pids:
        return None
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _describe(response: httpx.Response, expect: int) -> str:
    """The failure, without echoing the request (it may hold a token or a secret)."""
    body = response.text[:200]
    return (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}, expected {expect}: {body}"
    )
