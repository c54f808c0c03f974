"""Read cache for vendor answers: TTL, single-flight, last good answer as a fallback.

- Fresh entries live in a `cachetools.TLRUCache` whose clock is ours, so tests move time.
- Single-flight: while one thread fetches a key, every other asker of that key waits for
  the same answer, so a hundred supervisors typing `/desk who` make one vendor call.
- Fallback: when a fetch fails for a reason that passes (budget spent, vendor busy or down),
  the last good answer is served, marked stale with its age and the reason.
- Errors are never cached. `invalidate` bumps a generation so a fetch that started before a
  write cannot store pre-write data as fresh afterwards, and detaches that fetch, so askers
  who come after the write start their own instead of waiting for pre-write data. What such a
  fetch read still becomes the fallback, unless something read after the write already is.

Several instances (`shared`, a `SharedReads` on Redis) add a layer behind the in-process one:
a miss asks Redis before the vendor, so one instance's fresh answer serves all of them, and
one instance at a time asks the vendor for a key. An answer kept in process is served only
while the key's shared generation is the one it was read under, so a write on any instance
reaches every cache. Without Redis (down, or not configured) all of this is in-process only.

Bolt runs listeners on a thread pool: everything here is guarded by one lock, never held
while Redis or a vendor is asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from cachetools import LRUCache, TLRUCache

from bot.cache_shared import SharedAnswer, SharedReads
from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import BudgetExhausted, DeskError, RateLimited, RequestError, VendorFailure
from bot.models import Reading

T = TypeVar("T")

# Failures that say "not now" rather than "wrong": a stale answer beats no answer for these.
# VendorFailure is the vendor's own "internal error, try later" (7moor 500, Tencent 141002).
FALLBACK_ERRORS: tuple[type[Exception], ...] = (
    BudgetExhausted,
    RateLimited,
    RequestError,
    VendorFailure,
)
# Entries, not bytes: one per group's claims plus the lists; ~2.6 KiB a group (bench/memory.py),
# so a 10,000-group account stays fully cached in well under 100 MiB.
CACHE_ENTRIES = 16_384
FLIGHT_WAIT_SECONDS = (
    60.0  # a leader always finishes within its client timeouts; this is a backstop
)


@dataclass(frozen=True, slots=True)
class _Entry:
    reading: Reading[Any]
    expires_at: float
    shared_generation: int | None = None  # the key's generation in Redis when it was read


@dataclass(frozen=True, slots=True)
class _Good:
    reading: Reading[Any]
    generation: int  # of the key when the fetch began: a later one is never replaced by it


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.reading: Reading[Any] | None = None
        self.error: BaseException | None = None


class ReadCache:
    def __init__(
        self,
        *,
        clock: Clock = SYSTEM_CLOCK,
        maxsize: int = CACHE_ENTRIES,
        last_good_maxsize: int = CACHE_ENTRIES,
        shared: SharedReads | None = None,
    ) -> None:
        self._clock = clock
        self._shared = shared
        self._fresh: TLRUCache[Hashable, _Entry] = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, entry, _now: entry.expires_at, timer=clock.time
        )
        self._last_good: LRUCache[Hashable, _Good] = LRUCache(maxsize=last_good_maxsize)
        self._flights: dict[Hashable, _Flight] = {}
        self._generations: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, ttl: float, fetch: Callable[[], T]) -> Reading[T]:
        """The cached reading for `key`, or one fresh `fetch()` shared by all concurrent askers."""
        with self._lock:
            entry = self._fresh.get(key)
        if entry is not None:
            if self._shared is None or self._shared.current(key, entry.shared_generation):
                return entry.reading
            with self._lock:  # a write on another instance made it old
                if self._fresh.get(key) is entry:
                    del self._fresh[key]
        with self._lock:
            entry = self._fresh.get(key)
            if entry is not None:  # stored by a fetch that just finished
                return entry.reading
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            generation = self._generations.get(key, 0)
        if not leader:
            return self._follow(flight)
        try:
            flight.reading = self._fetch(key, ttl, fetch, generation)
            return flight.reading
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                if self._flights.get(key) is flight:  # not detached by `invalidate`
                    del self._flights[key]
            flight.done.set()

    def peek(self, key: Hashable) -> Reading[Any] | None:
        """The last good reading for `key`, fresh or not, without fetching."""
        with self._lock:
            good = self._last_good.get(key)
            return good.reading if good is not None else None

    def put(self, key: Hashable, ttl: float, value: T) -> Reading[T]:
        """Store a value read by other means (a write path's re-read) as the freshest answer."""
        reading = Reading(value=value, fetched_at=self._clock.time())
        shared_generation = self._shared.put(key, reading, ttl) if self._shared else None
        with self._lock:
            generation = self._generations[key] = self._generations.get(key, 0) + 1
            self._flights.pop(key, None)
            self._store(key, ttl, SharedAnswer(reading, shared_generation), generation)
        return reading

    def invalidate(self, *keys: Hashable) -> None:
        """Forget fresh answers for `keys` (their last good answers stay as a fallback)."""
        with self._lock:
            for key in keys:
                self._fresh.pop(key, None)
                self._flights.pop(key, None)  # its askers keep it; new askers start anew
                self._generations[key] = self._generations.get(key, 0) + 1
        if self._shared is not None:
            self._shared.invalidate(keys)

    def __len__(self) -> int:
        with self._lock:
            return len(self._last_good)

    def _fetch(
        self, key: Hashable, ttl: float, fetch: Callable[[], T], generation: int
    ) -> Reading[T]:
        def produce() -> Reading[T]:
            return Reading(value=fetch(), fetched_at=self._clock.time())

        try:
            if self._shared is None:
                answer = SharedAnswer(produce(), None)
            else:
                answer = self._shared.read(key, ttl, produce)
        except FALLBACK_ERRORS as error:
            with self._lock:
                last = self._last_good.get(key)
            if last is None:
                raise
            reason = error.sentence if isinstance(error, DeskError) else str(error)
            return replace(last.reading, stale=True, stale_reason=reason)
        with self._lock:
            if self._generations.get(key, 0) == generation:
                self._store(key, ttl, answer, generation)
            else:  # a write came meanwhile: not fresh, but still the newest fallback there is
                last = self._last_good.get(key)
                if last is None or last.generation <= generation:
                    self._last_good[key] = _Good(answer.reading, generation)
        return answer.reading

    def _store(self, key: Hashable, ttl: float, answer: SharedAnswer, generation: int) -> None:
        # Fresh from when it was read, which is earlier than now when another instance read it.
        expires_at = answer.reading.fetched_at + ttl
        self._fresh[key] = _Entry(answer.reading, expires_at, answer.generation)
        self._last_good[key] = _Good(answer.reading, generation)

    @staticmethod
    def _follow(flight: _Flight) -> Reading[Any]:
        if not flight.done.wait(FLIGHT_WAIT_SECONDS):
            raise TimeoutError("a shared vendor read did not finish")
        if flight.error is not None:
            raise flight.error
        assert flight.reading is not None
        return flight.reading
