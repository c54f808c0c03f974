"""Time as a dependency.

Everything that waits, expires or stamps takes a `Clock`, so tests move time with
`FakeClock.advance()` instead of sleeping, and production uses `SYSTEM_CLOCK`.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the Unix epoch."""

    def sleep(self, seconds: float) -> None:
        """Block for `seconds` (a fake clock advances instead)."""


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it at once."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
