"""Several deskbot instances on one Redis: Desks built by `Desk.from_settings` with the same
DESK_REDIS_URL, the same simulator and the same fake clock, as N processes would be.

The Redis fixtures themselves (`redis_server`, `redis_url`, `private_redis`) are suite-wide,
in tests/conftest.py, because the state, budget and cache contract tests use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from bot.clock import FakeClock
from bot.desk import Desk
from bot.settings import Settings

Instances = Callable[[str], Desk]


@pytest.fixture
def instance(settings: Settings, clock: FakeClock) -> Iterator[Instances]:
    """`instance(url)` starts one more deskbot on the Redis at `url`; all closed after."""
    started: list[Desk] = []

    def start(url: str) -> Desk:
        desk = Desk.from_settings(replace(settings, redis_url=url), clock=clock)
        started.append(desk)
        return desk

    yield start
    for desk in started:
        desk.close()
