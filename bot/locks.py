"""Per-group write locks: changes to one skill group happen one at a time.

Two supervisors changing the same group would otherwise both read, both modify and the
second write would silently undo the first (the vendor replaces the whole list).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class GroupLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, exten: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(exten, threading.Lock())
        with lock:
            yield
