"""Helpers for the member-change tests: the simulator's lists, and faults keyed to a moment.

The simulator's `Faults` switch endpoints on and off, but a change calls the same endpoint
(queueQueue) before and after its write. `when_called` runs a callback the moment the
simulator takes a request for an endpoint, so a test can say "after the write, the read-back
fails" without timing anything: the client is sequential, and the next queueQueue request
can only come after the write's answer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.simulator import FaultSwitches, Simulator

WRITE = "updateQueueAssignMembers"
READ = "queueQueue"
CREATE = "addQueue"

NIGHT_SHIFT = "10019349"  # 8003:0, 8011:0, 8019:0
AFTER_SALES = "10019347"  # 售后服务: 8004:1, 8006:0, 8008:2, 8009:0 (mixed priorities)
SPECIAL_NAME = "10019351"  # "<!channel> VIP & Co": 8001:5, 8002:3, 8021:1
UNKNOWN_AGENT = "9999"  # the seed deliberately has no such agent


def members_of(simulator: Simulator, exten: str) -> list[tuple[str, int]]:
    """The group's list as the vendor holds it, in the vendor's order."""
    with simulator.state.lock:
        return [(m.agent_number, m.priority) for m in simulator.state.groups[exten].members]


def writes(simulator: Simulator) -> list[list[tuple[str, int]]]:
    """Every member list the bot sent to updateQueueAssignMembers, in order."""
    return [
        [(m["agentNumber"], m["priority"]) for m in call.body["assignMembers"]]
        for call in simulator.calls(WRITE)
    ]


def when_called(
    monkeypatch: pytest.MonkeyPatch,
    simulator: Simulator,
    endpoint: str,
    then: Callable[[], None],
    *,
    nth: int = 1,
) -> None:
    """Run `then` as the simulator takes the `nth` request to `endpoint` (before answering it)."""
    original = simulator.faults.take
    seen = 0

    def take(name: str) -> FaultSwitches:
        nonlocal seen
        switches = original(name)
        if name == endpoint:
            seen += 1
            if seen == nth:
                then()
        return switches

    monkeypatch.setattr(simulator.faults, "take", take)


def fail_reads_after_the_write(monkeypatch: pytest.MonkeyPatch, simulator: Simulator) -> None:
    """The write goes through; every queueQueue after it (the read-back, its retries) is down."""
    when_called(
        monkeypatch,
        simulator,
        WRITE,
        lambda: simulator.faults.set(endpoint=READ, outage="503"),
    )
