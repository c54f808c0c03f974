"""Member-list changes: read-modify-write of the whole list, verified, audited, undoable.

The vendor replaces the list and skips unknown agents without a word, so each change:
1. holds the group's lock (changes to one group are serialised);
2. re-reads the group just before writing and refuses when it changed since the person looked;
3. computes the full list after the edit and writes it;
4. reads it back, names what the vendor skipped or did differently, and records the outcome.
Success is only ever reported when the read-back shows it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot import roster
from bot.budget import Priority
from bot.cache import ReadCache
from bot.errors import (
    ChangeConflict,
    DeskError,
    MalformedAnswer,
    NotFound,
    VendorError,
    may_have_arrived,
)
from bot.locks import GroupLocks
from bot.models import Member, NewGroup, SkillGroup
from bot.state import ChangeRecord, StateStore
from bot.vendors.sevenmoor import SevenMoorClient

logger = logging.getLogger(__name__)

Edit = Callable[[SkillGroup], roster.Roster]
_APPLIED = ("ok", "partial")  # outcomes after which the group holds the change (Undo offered)


@dataclass(frozen=True, slots=True)
class GroupVersion:
    """What a person saw of a group: compared with a fresh read before writing."""

    exten: str
    update_time: str
    fingerprint: str

    @classmethod
    def of(cls, group: SkillGroup) -> GroupVersion:
        listing = ",".join(
            f"{m.agent_number}:{m.priority}"
            for m in sorted(group.members, key=lambda m: m.agent_number)
        )
        digest = hashlib.sha256(listing.encode()).hexdigest()[:16]
        return cls(exten=group.exten, update_time=group.update_time, fingerprint=digest)

    def token(self) -> str:
        return f"{self.exten}|{self.update_time}|{self.fingerprint}"

    @classmethod
    def from_token(cls, token: str) -> GroupVersion:
        exten, update_time, fingerprint = token.split("|", 2)
        return cls(exten=exten, update_time=update_time, fingerprint=fingerprint)

    def conflict(self, current: SkillGroup) -> str | None:
        """Why `current` is not what was seen, or None when it is."""
        now = GroupVersion.of(current)
        if now.fingerprint != self.fingerprint:
            return "its members changed"
        if self.update_time and now.update_time != self.update_time:
            return f"it was updated at {current.update_time}"
        return None


@dataclass(frozen=True, slots=True)
class ChangeResult:
    record: ChangeRecord
    before: SkillGroup
    intended: tuple[Member, ...]
    after: SkillGroup | None  # what the read-back showed; None when it could not be read
    skipped: tuple[str, ...]  # agents the vendor dropped without a word
    differences: tuple[str, ...]  # any other way the read-back differs from the intent
    error: DeskError | None = None  # the write's own failure, if any

    @property
    def outcome(self) -> str:
        return self.record.outcome

    @property
    def verified(self) -> bool:
        return self.record.outcome in _APPLIED


class MemberChanges:
    """The write path for one 7moor account."""

    def __init__(
        self,
        client: SevenMoorClient,
        *,
        state: StateStore,
        cache: ReadCache,
        locks: GroupLocks,
        on_change: Callable[[ChangeRecord], None],
        group_ttl: float,
    ) -> None:
        self._client = client
        self._state = state
        self._cache = cache
        self._locks = locks
        self._on_change = on_change
        self._group_ttl = group_ttl

    def change(
        self,
        *,
        actor: str,
        action: str,
        exten: str,
        edit: Edit,
        seen: GroupVersion | None = None,
        undo_of: int | None = None,
    ) -> ChangeResult:
        with self._locks.hold(exten):
            before = self.read_fresh(exten)
            if seen is not None and (why := seen.conflict(before)) is not None:
                self._record(
                    actor,
                    action,
                    before,
                    before.members,
                    "conflict",
                    f"Refused: the group changed since it was read ({why}); nothing was written.",
                    undo_of,
                )
                raise ChangeConflictWithState(before, why)
            intended = edit(before)
            if roster.same(intended, before.members):
                raise roster.RosterError(
                    "That leaves the group exactly as it is.", "Nothing was written."
                )
            write_error: DeskError | None = None
            try:
                self._client.update_members(exten, intended)
            except VendorError as error:
                logger.warning("write to group %s failed: %s", exten, error.context())
                write_error = error
            return self._verify(actor, action, before, intended, write_error, undo_of)

    def create(self, *, actor: str, group: NewGroup) -> ChangeResult:
        """Create the group, then read it back: its fields and members as asked, or what differs.

        The group exists once 7moor gave its exten, so a create is never "failed" afterwards:
        skipped members or defaulted fields make it "partial", an unreadable group "unverified".
        """
        exten = self._client.add_queue(group)
        placeholder = SkillGroup(
            exten=exten,
            display_name=group.display_name,
            assign_rule=group.assign_rule,
            is_memory=group.is_memory,
            memory_time=group.memory_time,
            update_time="",
            update_agent="",
            members=(),
        )
        self._cache.invalidate(("groups",))
        try:
            after: SkillGroup | None = self.read_fresh(exten)
        except DeskError as error:
            logger.warning("could not read new group %s back: %s", exten, error)
            after = None
        if after is None:
            outcome = "unverified"
            detail = (
                f"7moor created the group as {exten}, but deskbot could not read it back "
                "to confirm its settings and members."
            )
            skipped: tuple[str, ...] = ()
            differences: tuple[str, ...] = ()
        else:
            skipped, differences = _compare(group.members, after.members)
            differences = _field_differences(group, after) + differences
            outcome, detail = _judge_create(skipped, differences)
        record = self._record(
            actor,
            "create",
            after or placeholder,
            after.members if after is not None else group.members,
            outcome,
            detail,
            None,
            before_members=(),
        )
        return ChangeResult(
            record=record,
            before=placeholder,
            intended=group.members,
            after=after,
            skipped=skipped,
            differences=differences,
        )

    def read_fresh(self, exten: str) -> SkillGroup:
        """The group as the vendor has it now, spending write-reserved budget; cached after."""
        found = self._client.query_groups(exten=exten, priority=Priority.WRITE)
        if not found:
            raise NotFound(
                f"Skill group {exten} does not exist (any more).",
                "List the groups with `/desk groups`.",
                vendor="7moor",
                endpoint="queueQueue",
            )
        self._cache.put(("group", exten), self._group_ttl, found[0])
        return found[0]

    def _verify(
        self,
        actor: str,
        action: str,
        before: SkillGroup,
        intended: tuple[Member, ...],
        write_error: DeskError | None,
        undo_of: int | None,
    ) -> ChangeResult:
        self._cache.invalidate(("groups",), ("claims", before.exten))
        try:
            after: SkillGroup | None = self.read_fresh(before.exten)
        except DeskError as error:
            logger.warning("could not read group %s back: %s", before.exten, error)
            after = None
        skipped, differences = _compare(intended, after.members if after else None)
        outcome, detail = _judge(before, intended, after, skipped, differences, write_error)
        # A change that took effect is recorded as the group now is (what an Undo must find
        # there); one that did not keeps what was asked for, so the log can say what failed.
        recorded_after = after.members if after is not None and outcome in _APPLIED else intended
        record = self._record(
            actor,
            action,
            after or before,
            recorded_after,
            outcome,
            detail,
            undo_of,
            before_members=before.members,
        )
        return ChangeResult(
            record=record,
            before=before,
            intended=intended,
            after=after,
            skipped=skipped,
            differences=differences,
            error=write_error,
        )

    def _record(
        self,
        actor: str,
        action: str,
        group: SkillGroup,
        after: tuple[Member, ...],
        outcome: str,
        detail: str,
        undo_of: int | None,
        *,
        before_members: tuple[Member, ...] | None = None,
    ) -> ChangeRecord:
        record = self._state.record_change(
            user_id=actor,
            action=action,
            exten=group.exten,
            group_name=group.display_name,
            before=before_members if before_members is not None else group.members,
            after=after,
            outcome=outcome,
            detail=detail,
            undo_of=undo_of,
        )
        try:
            self._on_change(record)
        except Exception:  # the audit post must never turn a done change into an error
            logger.exception("audit hook failed for change %s", record.id)
        return record


class ChangeConflictWithState(ChangeConflict):
    """A conflict that carries the group as it is now, to show the person."""

    def __init__(self, current: SkillGroup, detail: str) -> None:
        super().__init__(current.display_name, detail)
        self.current = current
        self.detail = detail


def _compare(
    intended: tuple[Member, ...], actual: tuple[Member, ...] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if actual is None:
        return (), ()
    wanted = {m.agent_number: m.priority for m in intended}
    held = {m.agent_number: m.priority for m in actual}
    skipped = tuple(agent for agent in wanted if agent not in held)
    differences = tuple(
        [
            f"{agent} has priority {held[agent]}, not {wanted[agent]}"
            for agent in wanted
            if agent in held and held[agent] != wanted[agent]
        ]
        + [
            f"{agent} is in the group although the change did not include it"
            for agent in held
            if agent not in wanted
        ]
    )
    return skipped, differences


def _judge(
    before: SkillGroup,
    intended: tuple[Member, ...],
    after: SkillGroup | None,
    skipped: tuple[str, ...],
    differences: tuple[str, ...],
    write_error: DeskError | None,
) -> tuple[str, str]:
    if after is None:
        if write_error is not None and _may_still_land(write_error):
            return (
                "unverified",
                f"{write_error.sentence} deskbot could not read the group back either, so its state is unknown.",
            )
        if write_error is not None:
            return "failed", f"{write_error.sentence} The change never reached 7moor."
        return (
            "unverified",
            "7moor accepted the change, but deskbot could not read the group back to confirm it.",
        )
    if not skipped and not differences:
        return "ok", "Verified: the group now holds exactly the intended members."
    if write_error is not None and roster.same(after.members, before.members):
        if _may_still_land(write_error):  # 7moor may still be applying it: never "not done"
            return (
                "unverified",
                f"{write_error.sentence} The group looks unchanged, but 7moor may still apply "
                "the change.",
            )
        return "failed", f"{write_error.sentence} The group is unchanged."
    skip_note = f"7moor skipped {', '.join(skipped)}: no agent has that number" if skipped else ""
    if roster.same(after.members, before.members):
        reason = skip_note or "7moor did not apply the change"
        return "failed", f"{reason}. The group is unchanged; check the agent numbers."
    parts = [skip_note] if skip_note else []
    parts.extend(differences)
    return "partial", "; ".join(parts) + "."


def _may_still_land(error: DeskError) -> bool:
    """A write whose request may still be in flight at 7moor (timed out, dropped, a gateway
    error), so a read-back now proves nothing. An unreadable answer came after the work was
    done: the read-back that follows it is the truth."""
    return may_have_arrived(error) and not isinstance(error, MalformedAnswer)


def _field_differences(wanted: NewGroup, actual: SkillGroup) -> tuple[str, ...]:
    """How a created group's settings differ from what was asked (7moor defaults bad fields)."""
    found: list[str] = []
    if actual.display_name != wanted.display_name:
        found.append(f"its name is “{actual.display_name}”, not “{wanted.display_name}”")
    if actual.assign_rule != wanted.assign_rule:
        found.append(f"its assignment rule is {actual.assign_rule}, not {wanted.assign_rule}")
    if actual.is_memory != wanted.is_memory:
        found.append(f"memory is {'on' if actual.is_memory else 'off'}, not as asked")
    elif wanted.is_memory and actual.memory_time != wanted.memory_time:
        found.append(f"memory lasts {actual.memory_time} minutes, not {wanted.memory_time} minutes")
    return tuple(found)


def _judge_create(skipped: tuple[str, ...], differences: tuple[str, ...]) -> tuple[str, str]:
    if not skipped and not differences:
        return "ok", "Verified: the group has exactly the asked-for settings and members."
    parts = [f"7moor skipped {', '.join(skipped)}: no agent has that number"] if skipped else []
    parts.extend(differences)
    return "partial", "The group was created, but " + "; ".join(parts) + "."
