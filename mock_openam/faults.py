"""Injected misbehaviour for the suites: slow, failing or garbage answers, a while."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FaultMode = Literal["slow", "error", "garbage"]

GARBAGE = b'<html>\x00{"active": tru'


@dataclass
class Fault:
    mode: FaultMode
    until: float
    delay: float


class Faults:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._fault: Fault | None = None

    def set(self, mode: FaultMode, seconds: float, delay: float) -> None:
        self._fault = Fault(mode, self._clock() + seconds, delay)

    def clear(self) -> None:
        self._fault = None

    def active(self) -> Fault | None:
        fault = self._fault
        if fault is not None and self._clock() >= fault.until:
            self._fault = fault = None
        return fault
