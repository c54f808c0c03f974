"""Answers to changes: the outcome, what the vendor really did, and the Undo button."""

from __future__ import annotations

from typing import Any

from bot import roster
from bot.changes import ChangeConflictWithState, ChangeResult
from bot.models import Member, SkillGroup
from bot.state import ChangeRecord
from handlers.render import Reply, button, buttons, context, escape, section, sections
from handlers.render.reads import APPLIED_OUTCOMES, OUTCOME_ICONS, asked_change, describe_change

UNDO_ACTION_ID = "undo_change_id"
_APPLIED = APPLIED_OUTCOMES

_HEADLINES = {
    "ok": "Done",
    "partial": "Done, but not exactly as asked",
    "unverified": "Sent to 7moor, but not verified",
    "failed": "Not done",
}


def member_lines(members: tuple[Member, ...]) -> list[str]:
    if not members:
        return ["_(no members)_"]
    return [
        f"• *{escape(m.name or m.agent_number)}* `{escape(m.agent_number)}` · priority {m.priority}"
        for m in sorted(members, key=lambda m: (m.priority, m.agent_number))
    ]


def _outcome_lines(result: ChangeResult) -> list[str]:
    """Headline, what 7moor did (the detail) and what to do next, for a message or a modal."""
    record = result.record
    group = result.after or result.before
    icon = OUTCOME_ICONS.get(record.outcome, "")
    headline = _HEADLINES.get(record.outcome, record.outcome)
    what = describe_change(record)
    where = f"*{escape(group.display_name)}* `{escape(group.exten)}`"
    if record.outcome in _APPLIED:
        first = f"{icon} *{headline}* — {where}: {what}"
    else:  # nothing verified: say what was asked for, never as if it happened
        first = f"{icon} *{headline}* — {where}. You asked to {asked_change(record)}."
    lines = [first, escape(record.detail)]
    if record.outcome == "unverified":  # whatever the error said, trying again blindly is wrong
        lines.append(
            f"Check the group with `/desk who {escape(group.exten)}` before changing it again."
        )
    elif result.error is not None and record.outcome != "ok":
        lines.append(escape(result.error.next_step))
    return [line for line in lines if line]


def change_reply(result: ChangeResult, *, actor: str) -> Reply:
    record = result.record
    group = result.after or result.before
    headline = _HEADLINES.get(record.outcome, record.outcome)
    blocks: list = [section("\n".join(_outcome_lines(result)))]
    if result.after is not None:
        blocks.append(
            context(
                f"The group now has {len(result.after.members)} member(s), as read back from 7moor:"
            )
        )
        blocks.extend(sections(member_lines(result.after.members)))
    if record.outcome in _APPLIED and record.action != "create":
        blocks.append(buttons(button("Undo", UNDO_ACTION_ID, str(record.id), style="danger")))
    blocks.append(
        context(f"Change #{record.id} by <@{actor}> · see `/desk log {escape(group.exten)}`")
    )
    return Reply(text=escape(f"{headline}: {group.display_name}"), blocks=blocks)


def change_summary(result: ChangeResult, *, posted: bool) -> str:
    """The outcome for a modal: what happened, the list as read back, where the Undo is."""
    record = result.record
    lines = _outcome_lines(result)
    if result.after is not None:
        lines.append(f"The group now has {len(result.after.members)} member(s):")
        lines.extend(member_lines(result.after.members)[:40])
        if len(result.after.members) > 40:
            lines.append(f"…and {len(result.after.members) - 40} more.")
    if not posted:
        lines.append(
            f"deskbot could not post this in the conversation; `/desk log {escape(record.exten)}` has it."
        )
    elif record.outcome in _APPLIED and record.action != "create":
        lines.append(
            "The same result, with an Undo button, is in the conversation where you typed the"
            " command (only you can see it there)."
        )
    return "\n".join(lines)


def conflict_reply(error: ChangeConflictWithState) -> Reply:
    current: SkillGroup = error.current
    blocks = [
        section(f":no_entry: {escape(error.sentence)}\n{error.next_step}"),
        *sections(member_lines(current.members)),
        context(f"{last_changed(current)}."),
    ]
    return Reply(text=escape(error.sentence), blocks=blocks)


def conflict_summary(error: ChangeConflictWithState) -> str:
    """A refused change for a modal: why, the list as it is now, and how to start again."""
    again = f"To start again from this list: `/desk members {escape(error.current.exten)}`."
    return "\n".join(
        [
            f":no_entry: {escape(error.sentence)}",
            error.next_step,
            *member_lines(error.current.members),
            again,
        ]
    )


def last_changed(group: SkillGroup) -> str:
    """When 7moor last saw the group change. Its times carry no zone; they are China time."""
    return f"Last changed in 7moor: {escape(group.update_time or 'unknown')} (China time, UTC+8)"


def _who(member: Member) -> str:
    return f"*{escape(member.name)}* `{escape(member.agent_number)}`"


def diff_lines(before: tuple[Member, ...], after: tuple[Member, ...]) -> list[str]:
    change = roster.diff(before, after)
    lines = [
        f":heavy_plus_sign: add `{escape(m.agent_number)}` with priority {m.priority}"
        for m in change.added
    ]
    lines += [
        f":heavy_minus_sign: remove {_who(m)}"
        if m.name and m.name != m.agent_number
        else f":heavy_minus_sign: remove `{escape(m.agent_number)}`"
        for m in change.removed
    ]
    lines += [
        f":arrows_counterclockwise: `{escape(m.agent_number)}` priority {old} → {m.priority}"
        for m, old in change.reprioritised
    ]
    return lines


def audit_post(record: ChangeRecord) -> dict[str, Any]:
    """One audit-channel post: who, when, which group, what changed (before → after), outcome."""
    icon = OUTCOME_ICONS.get(record.outcome, "")
    if record.outcome in _APPLIED:
        what = f": {describe_change(record)}."
    elif record.outcome == "conflict":  # nothing was computed against a list nobody saw
        what = "."
    else:
        what = f": asked to {asked_change(record)}."
    undo = f", undoing #{record.undo_of}" if record.undo_of is not None else ""
    when = f"<!date^{int(record.at)}^{{date_short_pretty}} {{time}}|{int(record.at)}>"
    text = (
        f"{icon} *{record.outcome}* · <@{record.user_id}> · {escape(record.action)} on "
        f"*{escape(record.group_name)}* `{escape(record.exten)}`{what} "
        f"{escape(record.detail)} (change #{record.id}{undo}, {when})"
    )
    fallback = escape(f"{record.outcome}: {record.action} on {record.group_name} (#{record.id})")
    return {"text": fallback[:3000], "blocks": [section(text).to_dict()]}
