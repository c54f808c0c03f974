"""Helpers for the facade's integration tests: real HTTP to the simulator on loopback.

The suite-wide fixtures (`clock`, `simulator`, `settings`, `desk`) come from tests/conftest.py;
here are only the few things several facade tests need: another Desk built from changed
settings, and the simulator's call log cut the ways the tests ask about it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.clock import FakeClock
from bot.desk import Desk
from bot.settings import Settings
from bot.simulator import Call, Simulator

QUEUE = "queueQueue"
CLAIMS = "queueQueueAgentClaimStatus"
UPDATE = "updateQueueAssignMembers"


def list_reads(simulator: Simulator) -> list[Call]:
    """queueQueue calls that listed groups (reads), not the by-exten reads a write makes."""
    return [call for call in simulator.calls(QUEUE) if "exten" not in (call.body or {})]


def most_in_any_minute(calls: list[Call]) -> int:
    """Most of `calls` in any sliding 60 s, counted as the vendor counts (older than 60 s drop)."""
    times = sorted(call.time for call in calls)
    return max((sum(1 for t in times if start - 60 < t <= start) for start in times), default=0)


@pytest.fixture
def desk_with(clock: FakeClock) -> Iterator[Callable[[Settings], Desk]]:
    """Build more Desks on the same clock (other credentials, other zones); all closed after."""
    built: list[Desk] = []

    def build(settings: Settings) -> Desk:
        desk = Desk.from_settings(settings, clock=clock)
        built.append(desk)
        return desk

    yield build
    for desk in built:
        desk.close()
