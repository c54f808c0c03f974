"""What the simulated vendors saw: every request, and how busy each endpoint got.

Tests and benchmarks ask two questions: "what did the bot send?" (`calls`) and "did it
ever exceed the vendor's limit?" (`peak_per_minute`, `over_limit_answers`). Peaks are kept
incrementally over the whole run, so they stay right even after the call log, which keeps
only the latest `MAX_CALLS` requests for a long-running simulator, drops old entries.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

MAX_CALLS = 100_000
PEAK_WINDOWS: dict[str, float] = {"peak_per_minute": 60.0, "peak_per_second": 1.0}


@dataclass(frozen=True, slots=True)
class Call:
    """One request to a vendor endpoint.

    status: the HTTP status answered; 0 when the connection was dropped without an answer.
    code: the outcome code: 7moor's body `code` (200 for a list answer, which has none),
        Tencent's `ErrorCode`; None when no vendor JSON was answered (outage, 5xx, garbage).
    accepted: the rate limiter let it through, so it counted toward the vendor's window
        (it may still have failed, e.g. a 400 for a bad body).
    over_limit: refused as over the rate limit.
    body: the request body parsed as JSON, None when it was not JSON.
    """

    vendor: str
    endpoint: str
    time: float
    status: int
    code: int | None
    accepted: bool
    over_limit: bool
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _EndpointStats:
    received: int = 0
    accepted: int = 0
    over_limit: int = 0
    peaks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PEAK_WINDOWS, 0))
    recent: dict[str, deque[float]] = field(
        default_factory=lambda: {name: deque() for name in PEAK_WINDOWS}
    )

    def count_accepted(self, now: float) -> None:
        self.accepted += 1
        for name, window in PEAK_WINDOWS.items():
            times = self.recent[name]
            times.append(now)
            while times and times[0] <= now - window:
                times.popleft()
            self.peaks[name] = max(self.peaks[name], len(times))

    def to_json(self) -> dict[str, int]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "over_limit": self.over_limit,
            **self.peaks,
        }


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: deque[Call] = deque(maxlen=MAX_CALLS)
        self._stats: dict[str, _EndpointStats] = {}

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            stats = self._stats.setdefault(call.endpoint, _EndpointStats())
            stats.received += 1
            if call.accepted:
                stats.count_accepted(call.time)
            if call.over_limit:
                stats.over_limit += 1

    def calls(self, endpoint: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if endpoint is None or c.endpoint == endpoint]

    def peak(self, endpoint: str, name: str = "peak_per_minute") -> int:
        with self._lock:
            stats = self._stats.get(endpoint)
            return stats.peaks[name] if stats else 0

    def over_limit_answers(self, endpoint: str | None = None) -> int:
        with self._lock:
            if endpoint is not None:
                stats = self._stats.get(endpoint)
                return stats.over_limit if stats else 0
            return sum(stats.over_limit for stats in self._stats.values())

    def stats(self) -> dict[str, Any]:
        """Per endpoint: received, accepted (counted toward the window), peaks, over-limit."""
        with self._lock:
            return {
                "endpoints": {name: stats.to_json() for name, stats in self._stats.items()},
                "over_limit": sum(stats.over_limit for stats in self._stats.values()),
            }

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._stats.clear()
