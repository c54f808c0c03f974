"""Per-group write locks: changes to one skill group happen one at a time.

Two supervisors changing the same group would otherwise both read, both modify and the
second write would silently undo the first (the vendor replaces the whole list).

`GroupLocks` serialises the threads of one process. `SharedGroupLocks` serialises every
instance too: after the in-process lock, it takes a Redis lock per exten whose lease is
renewed while the change runs, so a process that dies mid-change frees the group within one
lease and a slow change never loses its lock. Waiting is bounded; when the group stays busy,
or Redis cannot be asked, the change is refused before anything is read or written: a lost
update is worse than "try again in a minute".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import LockError
from redis.lock import Lock

from bot.errors import DeskError
from bot.shared import UNREACHABLE, RedisDown, SharedRedis, SharedStateUnavailable

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # a dead holder frees the group after this; a live one renews it
WAIT_SECONDS = 30.0  # a change waits this long for the one before it, then gives up


class GroupBusy(DeskError):
    def __init__(self, exten: str) -> None:
        super().__init__(
            f"Someone else is changing skill group {exten} right now, so nothing was changed.",
            f"Try again in a minute; `/desk log {exten}` shows their change.",
        )
        self.exten = exten


class GroupLocks:
    def __init__(self, *, wait_seconds: float | None = None) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._wait = -1 if wait_seconds is None else wait_seconds  # -1: threading's "forever"

    @contextmanager
    def hold(self, exten: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(exten, threading.Lock())
        if not lock.acquire(timeout=self._wait):
            raise GroupBusy(exten)
        try:
            yield
        finally:
            lock.release()


class SharedGroupLocks(GroupLocks):
    """One writer per group across every instance sharing `shared`."""

    def __init__(
        self,
        shared: SharedRedis,
        *,
        lease_seconds: float = LEASE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        super().__init__(wait_seconds=wait_seconds)  # threads here queue in process, not in Redis
        self._redis = shared
        self._lease = lease_seconds

    @contextmanager
    def hold(self, exten: str) -> Iterator[None]:
        with super().hold(exten), self._shared_hold(exten):
            yield

    @contextmanager
    def _shared_hold(self, exten: str) -> Iterator[None]:
        lock = Lock(
            self._redis.client,
            self._redis.key("lock", "group", exten),
            timeout=self._lease,
            blocking_timeout=self._wait,
            thread_local=False,  # the renewal thread extends it on the holder's behalf
        )
        try:
            acquired = self._redis.run(lambda _client: lock.acquire())
        except RedisDown:
            raise SharedStateUnavailable(
                f"deskbot cannot make sure nobody else is changing skill group {exten}, because "
                f"{UNREACHABLE}: nothing was changed."
            ) from None
        if not acquired:
            raise GroupBusy(exten)
        renewal = _Renewal(self._redis, lock, every=self._lease / 3, exten=exten)
        try:
            yield
        finally:
            renewal.stop()
            self._release(lock, exten)

    def _release(self, lock: Lock, exten: str) -> None:
        try:
            self._redis.run(lambda _client: lock.release())
        except LockError:
            logger.warning("the lock on group %s had expired before the change ended", exten)
        except RedisDown:
            pass  # the lease frees it (the outage is logged once by SharedRedis)


class _Renewal:
    """Renews a lock's lease every `every` seconds (real time, as Redis counts it) until stopped."""

    def __init__(self, shared: SharedRedis, lock: Lock, *, every: float, exten: str) -> None:
        self._redis = shared
        self._lock = lock
        self._every = every
        self._exten = exten
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{exten}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                self._redis.run(lambda _client: self._lock.reacquire())
            except LockError:
                logger.warning(
                    "lost the lock on group %s mid-change (its lease ran out)", self._exten
                )
                return
            except RedisDown:
                continue  # logged once by SharedRedis; try again until the change ends
