"""The client-side call budget: never more calls than a vendor allows, in any sliding window.

Each (vendor, account, endpoint) has one moving-window log in a `limits` storage
(`memory://` in one process, `redis://…` shared by every instance). Reads and writes spend
from the same log with different ceilings: reads stop `reserve` calls short of the vendor's
limit, so a burst of supervisors looking can never leave a confirmed change without the
calls it needs (its re-read, its write and its verification).

The window is the vendor's plus a guard second, so our count and the vendor's agree even when
requests take a moment to travel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from limits.storage import MovingWindowSupport, storage_from_string

from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import BudgetExhausted

GUARD_SECONDS = 1


class Priority(enum.Enum):
    READ = "read"  # what a supervisor looks at: may be served from cache instead
    WRITE = "write"  # a confirmed change and the reads that guard it


@dataclass(frozen=True, slots=True)
class EndpointLimit:
    calls: int  # the vendor's documented maximum per window
    window: int = 60  # seconds
    reserve: int = 0  # calls of each window that only WRITE may spend

    def ceiling(self, priority: Priority) -> int:
        return self.calls if priority is Priority.WRITE else self.calls - self.reserve


class Budget:
    def __init__(self, *, storage_uri: str = "memory://", clock: Clock = SYSTEM_CLOCK) -> None:
        storage = storage_from_string(storage_uri)
        if not isinstance(storage, MovingWindowSupport):
            raise ValueError(f"{storage_uri!r} has no moving-window support")
        self._storage = storage
        self._clock = clock

    def try_spend(self, key: str, limit: EndpointLimit, priority: Priority) -> float:
        """Spend one call if the window allows: 0.0 when spent, else seconds until one frees."""
        expiry = limit.window + GUARD_SECONDS
        if self._storage.acquire_entry(key, limit.ceiling(priority), expiry):
            return 0.0
        oldest, _count = self._storage.get_moving_window(key, limit.ceiling(priority), expiry)
        return max(0.05, oldest + expiry - self._clock.time())

    def spend(self, key: str, limit: EndpointLimit, priority: Priority, *, max_wait: float) -> None:
        """Spend one call, waiting up to `max_wait` seconds for the window; else BudgetExhausted."""
        deadline = self._clock.time() + max_wait
        while True:
            retry_after = self.try_spend(key, limit, priority)
            if retry_after == 0.0:
                return
            if self._clock.time() + retry_after > deadline:
                raise BudgetExhausted(key.rsplit(":", 1)[-1], retry_after)
            self._clock.sleep(retry_after)

    def used(self, key: str, limit: EndpointLimit) -> int:
        """Calls spent in the current window (for `deskbot check` and benchmarks)."""
        _oldest, count = self._storage.get_moving_window(
            key, limit.calls, limit.window + GUARD_SECONDS
        )
        return count
