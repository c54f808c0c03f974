"""Sliding-window rate limits, on the simulator's clock.

A call is allowed when fewer than `limit` calls were allowed in the `window` seconds before
it (a call exactly `window` seconds old no longer counts). Refused calls are not remembered:
a client that hammers a full window is not punished beyond the window, as with the vendors'
documented "N calls per minute".
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable


class SlidingWindowLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[Hashable, deque[float]] = {}

    def try_acquire(self, key: Hashable, *, limit: int, window: float, now: float) -> bool:
        """Count one call for `key` at `now` if the window has room; say whether it did."""
        with self._lock:
            times = self._windows.setdefault(key, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return False
            times.append(now)
            return True

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
