"""The one load generator every HTTP figure comes from.

An httpx async client with a fixed number of concurrent workers sends a fixed number of
requests, after a warm-up whose timings are thrown away. Every server is driven by the
same code with the same settings, so the figures of one run can be compared as ratios.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]
"""Sends one request with the given client and returns the response."""


class LoadFailed(RuntimeError):
    """A request of a measured run got an answer other than the expected one."""


@dataclass(frozen=True)
class Load:
    """How hard and how long: requests measured, workers at once, warm-up requests."""

    requests: int = 2000
    concurrency: int = 8
    warmup: int = 200
    timeout: float = 10.0


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one measured run."""

    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
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
    return asyncio.run(_run(send, load, expect))


async def _run(send: Send, load: Load, expect: int) -> Result:
    limits = httpx.Limits(
        max_connections=load.concurrency, max_keepalive_connections=load.concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=load.timeout) as client:
        await _drive(client, send, load.warmup, load.concurrency, expect)
        started = time.perf_counter()
        latencies = await _drive(client, send, load.requests, load.concurrency, expect)
        seconds = time.perf_counter() - started
    return Result(load.requests, seconds, tuple(latencies))


async def _drive(
    client: httpx.AsyncClient, send: Send, count: int, workers: int, expect: int
) -> list[float]:
    latencies: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await send(client)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != expect:
                raise LoadFailed(_describe(response, expect))

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(workers, count)):
                group.create_task(worker())
    except* (LoadFailed, httpx.HTTPError) as failures:
        raise failures.exceptions[0] from None
    return latencies


def _describe(response: httpx.Response, expect: int) -> str:
    """The failure, without echoing the request (it may hold a token or a secret)."""
    body = response.text[:200]
    return (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}, expected {expect}: {body}"
    )
