"""The client-side call budget: never more calls than a vendor allows, in any sliding window.

Each (vendor, account, endpoint) has one moving-window log in a `limits` storage
(`memory://` in one process, `redis://…` shared by every instance). Reads and writes spend
from the same log with different ceilings: reads stop `reserve` calls short of the vendor's
limit, so a burst of supervisors looking can never leave a confirmed change without the
calls it needs (its re-read, its write and its verification).

The window is the vendor's plus a guard second, so our count and the vendor's agree even when
requests take a moment to travel. Should the vendor still answer "over the limit", `hold`
stops every call to that endpoint for a whole window: its count is the one that matters.

Shared by several instances (a `SharedRedis`), the windows live in Redis under one key prefix,
so N processes together spend one budget. When Redis fails, each process falls back to a
window of its own, conservatively, because it can no longer see what the others spend:

- for one whole window after the outage is noticed, nothing: the shared window may have been
  full, and its calls are still counting at the vendor;
- after that, reads get a tenth of their ceiling (`FALLBACK_SHARE`: 1 of 14 skill-group
  look-ups a minute), so up to ten instances stay within the limit together;
- writes get nothing: every write also needs what Redis shares (the group's lock, the history,
  the send's claim), so none may start, not even one (creating a group) that takes no lock.

A refused call says why (`BudgetUnshared`), and reads go to the cache's last good answer.
When Redis answers again, the shared windows are used again; the few reads made alone are
not copied back (they are at most a tenth of a window per instance).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from limits.storage import MemoryStorage, MovingWindowSupport, RedisStorage, storage_from_string
from redis.exceptions import RedisError

from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import BudgetExhausted, calls_named
from bot.shared import UNREACHABLE, SharedRedis, is_redis_url

GUARD_SECONDS = 1
MIN_WAIT = 0.05  # never tell a caller to retry at once: the window is full right now
AGE_PRECISION = 0.01  # seconds; how closely a blocked caller's wait is measured
FALLBACK_SHARE = 0.1  # of each read ceiling, per instance, while the shared windows are away


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


class BudgetUnshared(BudgetExhausted):
    """Refused because the budget shared with the other instances is unreachable."""

    def __init__(self, endpoint: str, retry_after: float, *, priority: Priority) -> None:
        super().__init__(endpoint, retry_after)
        calls = calls_named(endpoint)
        if priority is Priority.WRITE:
            self.sentence = f"deskbot makes no {calls} while {UNREACHABLE}: nothing was changed."
            self.next_step = "Try again in a minute."
        else:
            self.sentence = (
                f"deskbot cannot see how many {calls} its other instances made this minute, "
                f"because {UNREACHABLE}, so it makes very few and did not make this one."
            )


class Budget:
    def __init__(
        self,
        *,
        storage_uri: str = "memory://",
        clock: Clock = SYSTEM_CLOCK,
        shared: SharedRedis | None = None,
    ) -> None:
        if shared is None and is_redis_url(storage_uri):
            shared = SharedRedis(storage_uri, clock=clock)
        self._clock = clock
        self._shared = shared
        if shared is None:
            storage = storage_from_string(storage_uri)
            if not isinstance(storage, MovingWindowSupport):
                raise ValueError(f"{storage_uri!r} has no moving-window support")
            self._local: MovingWindowSupport = storage
        else:
            # The windows alone, for when Redis is away; the shared ones use its pool.
            self._local = MemoryStorage()
            self._redis = RedisStorage(
                shared.url,
                connection_pool=shared.client.connection_pool,
                key_prefix=shared.key("budget"),
            )

    def try_spend(self, key: str, limit: EndpointLimit, priority: Priority) -> float:
        """Spend one call if the window allows: 0.0 when spent, else seconds until one frees."""
        expiry = limit.window + GUARD_SECONDS
        if self._shared is None:
            return self._spend_in(self._local, key, limit, limit.ceiling(priority), expiry)
        if self._shared.usable():
            try:
                return self._spend_in(self._redis, key, limit, limit.ceiling(priority), expiry)
            except RedisError as error:
                self._shared.lost(error)
        return self._spend_alone(key, limit, priority, expiry)

    def _spend_alone(
        self, key: str, limit: EndpointLimit, priority: Priority, expiry: int
    ) -> float:
        """Spend from this process's own window while the shared one is out of sight."""
        assert self._shared is not None
        down_since = self._shared.down_since
        quiet_until = (down_since if down_since is not None else self._clock.time()) + expiry
        if (quiet := quiet_until - self._clock.time()) > 0:
            return max(MIN_WAIT, quiet)
        if priority is Priority.WRITE:
            return float(expiry)
        ceiling = math.floor(limit.ceiling(priority) * FALLBACK_SHARE)
        if ceiling < 1:
            return float(expiry)
        return self._spend_in(self._local, key, limit, ceiling, expiry)

    def _spend_in(
        self,
        storage: MovingWindowSupport,
        key: str,
        limit: EndpointLimit,
        ceiling: int,
        expiry: int,
    ) -> float:
        since, held = storage.get_moving_window(_held_key(key), 1, expiry)
        if held:
            return max(MIN_WAIT, since + expiry - self._clock.time())
        if storage.acquire_entry(key, ceiling, expiry):
            return 0.0
        return self._until_below(storage, key, limit, ceiling, expiry)

    def _until_below(
        self,
        storage: MovingWindowSupport,
        key: str,
        limit: EndpointLimit,
        ceiling: int,
        expiry: int,
    ) -> float:
        """Seconds until fewer than `ceiling` calls are in the window.

        That is when the ceiling-th newest call leaves it, which is not the oldest call when
        writes have filled the reserve above a read's ceiling. The storages tell only how many
        calls a window of a given length holds (and its oldest), so that call's age is found
        by halving the window length: a dozen cheap look-ups, made only when a caller is refused.
        """

        def count(seconds: float) -> int:
            return storage.get_moving_window(key, limit.calls, seconds)[1]  # type: ignore[arg-type]

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
                endpoint = key.rsplit(":", 1)[-1]
                if self._shared is not None and self._shared.down_since is not None:
                    raise BudgetUnshared(endpoint, retry_after, priority=priority)
                raise BudgetExhausted(endpoint, retry_after)
            self._clock.sleep(retry_after)

    def hold(self, key: str, limit: EndpointLimit) -> None:
        """Spend nothing more on `key`, reads or writes, for a whole window from now.

        For when the vendor says deskbot is over its limit although the budget allowed the
        call: its count and ours disagree (another client on the same account, a stricter
        limit), and only waiting a whole window is sure to be polite. A later hold restarts it.
        Shared, every instance holds; this process holds in its own window too, in case
        Redis goes away before the window ends.
        """
        _hold_in(self._local, key, limit)
        if self._shared is not None and self._shared.usable():
            try:
                _hold_in(self._redis, key, limit)
            except RedisError as error:
                self._shared.lost(error)

    def used(self, key: str, limit: EndpointLimit) -> int:
        """Calls spent in the current window (for `deskbot check` and benchmarks)."""
        expiry = limit.window + GUARD_SECONDS
        if self._shared is not None and self._shared.usable():
            try:
                return self._redis.get_moving_window(key, limit.calls, expiry)[1]
            except RedisError as error:
                self._shared.lost(error)
        return self._local.get_moving_window(key, limit.calls, expiry)[1]


def _hold_in(storage: MovingWindowSupport, key: str, limit: EndpointLimit) -> None:
    held = _held_key(key)
    storage.clear(held)  # type: ignore[attr-defined]
    storage.acquire_entry(held, 1, limit.window + GUARD_SECONDS)


def _held_key(key: str) -> str:
    return f"{key}:held"
