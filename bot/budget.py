"""The client-side call budget: never more calls than a vendor allows, in any sliding window.

Each (vendor, account, endpoint) has one moving-window log in a `limits` storage
(`memory://` in one process, `redis://…` shared by every instance). Reads and writes spend
from the same log with different ceilings: reads stop `reserve` calls short of the vendor's
limit, so a burst of supervisors looking can never leave a confirmed change without the
calls it needs (its re-read, its write and its verification).

The window is the vendor's plus a guard second, so our count and the vendor's agree even when
requests take a moment to travel. Should the vendor still answer "over the limit", `hold`
stops every call to that endpoint for a whole window: its count is the one that matters.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from limits.storage import MovingWindowSupport, storage_from_string

from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import BudgetExhausted

GUARD_SECONDS = 1
MIN_WAIT = 0.05  # never tell a caller to retry at once: the window is full right now
AGE_PRECISION = 0.01  # seconds; how closely a blocked caller's wait is measured


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
        since, held = self._storage.get_moving_window(_held_key(key), 1, expiry)
        if held:
            return max(MIN_WAIT, since + expiry - self._clock.time())
        ceiling = limit.ceiling(priority)
        if self._storage.acquire_entry(key, ceiling, expiry):
            return 0.0
        return self._until_below(key, limit, ceiling, expiry)

    def _until_below(self, key: str, limit: EndpointLimit, ceiling: int, expiry: int) -> float:
        """Seconds until fewer than `ceiling` calls are in the window.

        That is when the ceiling-th newest call leaves it, which is not the oldest call when
        writes have filled the reserve above a read's ceiling. The storages tell only how many
        calls a window of a given length holds (and its oldest), so that call's age is found
        by halving the window length: a dozen cheap look-ups, made only when a caller is refused.
        """

        def count(seconds: float) -> int:
            window = self._storage.get_moving_window
            return window(key, limit.calls, seconds)[1]  # type: ignore[arg-type]

        younger, older = 0.0, float(expiry)  # the call's age is at least `younger`, below `older`
        if count(older) < ceiling:  # a call left the window meanwhile
            return MIN_WAIT
        while older - younger > AGE_PRECISION:
            middle = (younger + older) / 2
            if count(middle) >= ceiling:
                older = middle
            else:
                younger = middle
        return max(MIN_WAIT, expiry - younger)

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

    def hold(self, key: str, limit: EndpointLimit) -> None:
        """Spend nothing more on `key`, reads or writes, for a whole window from now.

        For when the vendor says deskbot is over its limit although the budget allowed the
        call: its count and ours disagree (another client on the same account, a stricter
        limit), and only waiting a whole window is sure to be polite. A later hold restarts it.
        """
        held = _held_key(key)
        self._storage.clear(held)
        self._storage.acquire_entry(held, 1, limit.window + GUARD_SECONDS)

    def used(self, key: str, limit: EndpointLimit) -> int:
        """Calls spent in the current window (for `deskbot check` and benchmarks)."""
        _oldest, count = self._storage.get_moving_window(
            key, limit.calls, limit.window + GUARD_SECONDS
        )
        return count


def _held_key(key: str) -> str:
    return f"{key}:held"
