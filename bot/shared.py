"""One Redis for every instance: the connection, its key names, and whether it is usable now.

With `DESK_REDIS_URL` set, the budget, the read cache, the write locks and the durable state
live in one Redis, so several deskbot processes act as one bot. They share one `SharedRedis`,
so an outage is noticed, logged and recovered from once, not once per piece:

    usable ──an operation fails──▶ down (one WARNING) ──back-off passed, next use──▶ PING
      ▲                                  ▲                                          │
      │                                  └───── PING fails: back-off doubles ───────┤
      └──────────────────── PING answers (one INFO) ────────────────────────────────┘

While down, nothing waits on Redis: every piece falls back at once, conservatively (the
budget spends a small in-process share, the cache answers from this process, changes and
sends are refused with `SharedStateUnavailable`). The back-off is measured with the injected
clock, so tests move time instead of waiting. The URL may hold a password: only `label`
(password masked) is ever logged.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.exceptions import LockError, RedisError
from redis.retry import Retry

from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import DeskError

logger = logging.getLogger(__name__)

T = TypeVar("T")

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
DEFAULT_PREFIX = "deskbot"
CONNECT_TIMEOUT = 1.0  # seconds; a Redis that does not accept within this is down for us
COMMAND_TIMEOUT = 2.0  # seconds; every command is small (the state scripts touch few keys)
FIRST_BACKOFF = 5.0  # seconds before the first probe after an outage is noticed
MAX_BACKOFF = 60.0
MASK = "••••"


# How a supervisor is told, in every sentence about it, that Redis is away.
UNREACHABLE = "the state deskbot shares with its other instances (Redis) is unreachable"


class RedisDown(Exception):
    """Redis cannot be used for this operation: known down, or it failed just now."""


class SharedStateUnavailable(DeskError):
    """A change or send needs the state shared with the other instances, and Redis is away."""

    def __init__(self, sentence: str, next_step: str = "Try again in a minute.") -> None:
        super().__init__(sentence, next_step)


class SharedRedis:
    """The Redis client every shared piece uses, and the outage state they all go by."""

    def __init__(
        self, url: str, *, clock: Clock = SYSTEM_CLOCK, prefix: str = DEFAULT_PREFIX
    ) -> None:
        self.url = url
        self.label = redact_url(url)
        self.prefix = prefix
        self._clock = clock
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            # One immediate retry on a fresh connection: after a Redis restart the pooled
            # connection is dead although Redis is back. More retries would only make
            # every caller wait longer during a real outage.
            retry=Retry(NoBackoff(), 1),
        )
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._backoff = FIRST_BACKOFF

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def down_since(self) -> float | None:
        """When the current outage was noticed (our clock), or None while Redis is usable."""
        with self._lock:
            return self._down_since

    def usable(self) -> bool:
        """True unless Redis is known down; once the back-off has passed, PING to find out."""
        with self._lock:
            if self._down_since is None:
                return True
            now = self._clock.time()
            if now < self._next_probe:
                return False
            self._next_probe = now + self._backoff  # one probe at a time; others fall back
        try:
            self.client.ping()
        except RedisError as error:
            with self._lock:
                self._backoff = min(self._backoff * 2, MAX_BACKOFF)
                self._next_probe = self._clock.time() + self._backoff
            logger.debug("Redis at %s still unreachable: %s", self.label, error)
            return False
        with self._lock:
            if self._down_since is None:  # another thread announced it already
                return True
            outage = self._clock.time() - self._down_since
            self._down_since = None
            self._backoff = FIRST_BACKOFF
        logger.info(
            "Redis at %s is reachable again after %.0f s: budget, cache, locks and state "
            "are shared again",
            self.label,
            outage,
        )
        return True

    def lost(self, error: Exception) -> None:
        """Note that Redis failed; the first failure of an outage is logged, once."""
        with self._lock:
            if self._down_since is not None:
                return
            now = self._clock.time()
            self._down_since = now
            self._next_probe = now + self._backoff
        logger.warning(
            "Redis at %s is unreachable (%s): falling back to this process alone. Reads are "
            "answered from this process's cache with a small share of the vendor budget; "
            "changes and sends are refused until Redis is back (checked every few seconds).",
            self.label,
            type(error).__name__,
        )

    def run(self, action: Callable[[redis.Redis], T]) -> T:
        """`action(client)`, or `RedisDown` when Redis is known down or fails now.

        A lock that is not ours (LockError) is an answer, not an outage: it passes through.
        """
        if not self.usable():
            raise RedisDown(self.label)
        try:
            return action(self.client)
        except LockError:
            raise
        except RedisError as error:
            self.lost(error)
            raise RedisDown(self.label) from error

    def ping(self) -> str:
        """For `deskbot check`: the server's version; raises RedisError when unreachable."""
        self.client.ping()
        info = self.client.info("server")
        return str(info.get("redis_version", "unknown"))

    def close(self) -> None:
        self.client.close()


def redact_url(url: str) -> str:
    """The URL with any password masked: redis://:secret@host/0 → redis://:••••@host/0."""

    def userinfo(match: re.Match[str]) -> str:
        user, has_password, _password = match.group(2).partition(":")
        # "redis://secret@host" passes the secret as the only credential: mask it too.
        return f"{match.group(1)}{user}:{MASK}@" if has_password else f"{match.group(1)}{MASK}@"

    masked = _USERINFO.sub(userinfo, url, count=1)
    return _PASSWORD_PARAMETER.sub(rf"\g<1>{MASK}", masked)


_USERINFO = re.compile(r"^([a-z]+://)([^@/?#]*)@", re.IGNORECASE)
_PASSWORD_PARAMETER = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def is_redis_url(url: str) -> bool:
    return url.startswith(REDIS_SCHEMES)
