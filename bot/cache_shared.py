"""The read cache's shared layer: one instance's fresh answer serves every instance.

Per cache key, Redis holds (under `<prefix>:cache:`, the key as JSON):

    v:<key>  hash {gen, body}: the freshest reading (`bot.codec` JSON) and the generation it
             was read under
    g:<key>  the key's generation: a write on any instance bumps it (`invalidate`, `put`)
    f:<key>:<gen>  the fetch lock of a generation (SET NX PX): its holder asks the vendor;
             the others wait briefly for its answer, then ask themselves (the shared budget
             still bounds them). After a write, askers never wait for a read begun before it.

A reading is shared only when the key's generation did not move while it was fetched (a Lua
script compares and sets), so a read that began before a write on another instance is never
served as fresh after it. Freshness is judged with our clock (`fetched_at + ttl`, as in
process); Redis's own expiry only clears leftovers. Every Redis failure is reported to
`SharedRedis` and answered as "nothing shared": the caller never sees a Redis error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from bot import codec
from bot.clock import SYSTEM_CLOCK, Clock
from bot.models import Reading
from bot.shared import RedisDown, SharedRedis

logger = logging.getLogger(__name__)

WAIT_SECONDS = 3.0  # for another instance's vendor read (a read waits 2 s for budget at most)
POLL_SECONDS = 0.02
FLIGHT_LOCK_MS = 45_000  # above a read's worst case (3 attempts × 10 s timeout + budget waits)
LEFTOVER_MS = 60_000  # Redis keeps a value this long past its TTL; our clock decides freshness
GENERATION_SECONDS = 86_400  # a generation outlives every value read under it

_LOOKUP = """
local gen = redis.call('get', KEYS[2]) or '0'
local found = redis.call('hmget', KEYS[1], 'gen', 'body')
return {gen, found[1], found[2]}
"""
_STORE_IF_CURRENT = """
if (redis.call('get', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('hset', KEYS[1], 'gen', ARGV[1], 'body', ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
return 1
"""
_PUT = """
local gen = redis.call('incr', KEYS[2])
redis.call('expire', KEYS[2], ARGV[3])
redis.call('hset', KEYS[1], 'gen', gen, 'body', ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return gen
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class SharedAnswer:
    reading: Reading[Any]
    generation: int | None  # the shared generation it is fresh under; None: unknown


@dataclass(frozen=True, slots=True)
class _Names:
    value: str
    generation: str
    flight: str


class SharedReads:
    def __init__(
        self,
        shared: SharedRedis,
        *,
        clock: Clock = SYSTEM_CLOCK,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self._redis = shared
        self._clock = clock
        self._wait = wait_seconds
        client = shared.client
        self._lookup = client.register_script(_LOOKUP)
        self._store_if_current = client.register_script(_STORE_IF_CURRENT)
        self._put = client.register_script(_PUT)
        self._release = client.register_script(_RELEASE)

    def read(self, key: Hashable, ttl: float, produce: Callable[[], Reading[Any]]) -> SharedAnswer:
        """Another instance's fresh reading, or `produce()` once for all instances."""
        names = self._names(key)
        if names is None:
            return SharedAnswer(produce(), None)
        token = secrets.token_hex(8)
        # Real time: this waits for another process's real vendor call, not for our clock.
        deadline = time.monotonic() + self._wait
        while True:
            try:
                generation, found = self._find(names, ttl)
                if found is not None:
                    return SharedAnswer(found, generation)
                flight = f"{names.flight}:{generation}"
                leader = self._take_flight(flight, token)
            except RedisDown:
                return SharedAnswer(produce(), None)
            if leader:
                try:
                    return self._ask(names, generation, ttl, produce)
                finally:
                    self._release_flight(flight, token)
            if time.monotonic() >= deadline:  # waited enough: ask, as one more reader would
                return self._ask(names, generation, ttl, produce)
            time.sleep(POLL_SECONDS)

    def current(self, key: Hashable, generation: int | None) -> bool:
        """Whether a reading kept in process under `generation` is still the latest one."""
        names = self._names(key)
        if names is None:
            return True
        try:
            now = self._redis.run(lambda client: client.get(names.generation))
        except RedisDown:
            return True  # nobody can tell: this process's answer is the best there is
        return generation is not None and int(now or 0) == generation

    def put(self, key: Hashable, reading: Reading[Any], ttl: float) -> int | None:
        """Share a reading made by other means (a write's re-read) as the newest generation."""
        names = self._names(key)
        if names is None:
            return None
        body = _encoded(reading)
        if body is None:
            self.invalidate([key])
            return None
        try:
            return int(
                self._redis.run(
                    lambda _client: self._put(
                        keys=[names.value, names.generation],
                        args=[body, _expiry_ms(ttl), GENERATION_SECONDS],
                    )
                )
            )
        except RedisDown:
            return None

    def invalidate(self, keys: Iterable[Hashable]) -> None:
        """Bump each key's generation and drop its value, for every instance."""
        named = [names for names in map(self._names, keys) if names is not None]
        if not named:
            return

        def bump(client: Any) -> None:
            with client.pipeline(transaction=True) as pipe:
                for names in named:
                    pipe.incr(names.generation)
                    pipe.expire(names.generation, GENERATION_SECONDS)
                    pipe.delete(names.value)
                pipe.execute()

        try:
            self._redis.run(bump)
        except RedisDown:
            # Logged once by SharedRedis; other instances keep their answers until the TTL.
            logger.debug("invalidation of %d key(s) not shared: Redis is down", len(named))

    def _find(self, names: _Names, ttl: float) -> tuple[int, Reading[Any] | None]:
        generation, value_generation, body = self._redis.run(
            lambda _client: self._lookup(keys=[names.value, names.generation])
        )
        if body is None or value_generation != generation:
            return int(generation), None
        try:
            reading = codec.loads(body)
        except codec.CodecError as error:
            logger.warning(
                "shared cache entry %s unreadable (%s); reading anew", names.value, error
            )
            return int(generation), None
        if not isinstance(reading, Reading) or reading.fetched_at + ttl <= self._clock.time():
            return int(generation), None
        return int(generation), reading

    def _ask(
        self, names: _Names, generation: int, ttl: float, produce: Callable[[], Reading[Any]]
    ) -> SharedAnswer:
        """`produce()`, shared unless a write anywhere moved the key's generation meanwhile."""
        reading = produce()
        body = _encoded(reading)
        if body is not None:
            self._share(names, body, ttl, generation)
        return SharedAnswer(reading, generation)

    def _share(self, names: _Names, body: str, ttl: float, generation: int) -> None:
        with contextlib.suppress(RedisDown):  # nothing shared this time; this process keeps it
            self._redis.run(
                lambda _client: self._store_if_current(
                    keys=[names.value, names.generation],
                    args=[str(generation), body, _expiry_ms(ttl)],
                )
            )

    def _take_flight(self, flight: str, token: str) -> bool:
        return bool(
            self._redis.run(lambda client: client.set(flight, token, nx=True, px=FLIGHT_LOCK_MS))
        )

    def _release_flight(self, flight: str, token: str) -> None:
        with contextlib.suppress(RedisDown):  # the lock's own expiry frees it
            self._redis.run(lambda _client: self._release(keys=[flight], args=[token]))

    def _names(self, key: Hashable) -> _Names | None:
        """Redis names for a cache key of strings and numbers; other keys stay in process."""
        parts = (key,) if isinstance(key, str) else key
        if not isinstance(parts, tuple) or not all(
            isinstance(part, str | int) and not isinstance(part, bool) for part in parts
        ):
            return None
        suffix = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
        return _Names(
            value=self._redis.key("cache", "v", suffix),
            generation=self._redis.key("cache", "g", suffix),
            flight=self._redis.key("cache", "f", suffix),
        )


def _encoded(reading: Reading[Any]) -> str | None:
    try:
        return codec.dumps(reading)
    except codec.CodecError as error:
        logger.debug("reading not shared: %s", error)
        return None


def _expiry_ms(ttl: float) -> int:
    return int(ttl * 1000) + LEFTOVER_MS
