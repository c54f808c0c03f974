"""Pure edits of a member list: what add, remove and swap mean, without any I/O.

A skill group's assignment list is replaced whole by the vendor, so every change is computed
here as "the full list after", from the list as it is right now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import DeskError
from bot.models import Member

Roster = tuple[Member, ...]


class RosterError(DeskError):
    """A change that makes no sense for the group as it is (nothing was written)."""


def add(members: Sequence[Member], agent: str, priority: int = 0) -> Roster:
    if find(members, agent) is not None:
        raise RosterError(
            f"Agent {agent} is already in this group.",
            "To change a priority, use `/desk members` for this group.",
        )
    return (*members, Member(agent_number=agent, priority=priority))


def remove(members: Sequence[Member], agent: str) -> Roster:
    if find(members, agent) is None:
        raise RosterError(f"Agent {agent} is not in this group.", "Nothing to remove.")
    return tuple(m for m in members if m.agent_number != agent)


def swap(members: Sequence[Member], old: str, new: str) -> Roster:
    """Hand-over: `new` takes `old`'s place in the list and its priority."""
    if old == new:
        raise RosterError(f"That would swap agent {old} with itself.", "Nothing was written.")
    leaving = find(members, old)
    if leaving is None:
        raise RosterError(
            f"Agent {old} is not in this group.", "Check who is on shift with `/desk who`."
        )
    if find(members, new) is not None:
        raise RosterError(
            f"Agent {new} is already in this group.",
            f"Use `/desk remove` to take {old} out instead.",
        )
    return tuple(
        Member(agent_number=new, priority=m.priority) if m.agent_number == old else m
        for m in members
    )


def find(members: Sequence[Member], agent: str) -> Member | None:
    return next((m for m in members if m.agent_number == agent), None)


def same(a: Sequence[Member], b: Sequence[Member]) -> bool:
    """Same agents with the same priorities (order and display names do not matter)."""
    return _roster(a) == _roster(b)


@dataclass(frozen=True, slots=True)
class Diff:
    added: tuple[Member, ...]
    removed: tuple[Member, ...]
    reprioritised: tuple[tuple[Member, int], ...]  # (member as it will be, previous priority)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.reprioritised)


def diff(before: Sequence[Member], after: Sequence[Member]) -> Diff:
    old, new = _roster(before), _roster(after)
    return Diff(
        added=tuple(m for m in after if m.agent_number not in old),
        removed=tuple(m for m in before if m.agent_number not in new),
        reprioritised=tuple(
            (m, old[m.agent_number])
            for m in after
            if m.agent_number in old and old[m.agent_number] != m.priority
        ),
    )


def _roster(members: Sequence[Member]) -> dict[str, int]:
    return {m.agent_number: m.priority for m in members}
