"""Answers to changes: the outcome, what the vendor really did, and the Undo button."""

from __future__ import annotations

from typing import Any

from bot import roster
from bot.changes import ChangeConflictWithState, ChangeResult
from bot.models import Member, SkillGroup
from bot.state import ChangeRecord
from handlers.render import Reply, button, buttons, context, escape, section, sections
from handlers.render.reads import OUTCOME_ICONS, describe_change

UNDO_ACTION_ID = "undo_change_id"

_HEADLINES = {
    "ok": "Done",
    "partial": "Done, but not exactly as asked",
    "unverified": "Sent, but not verified",
    "failed": "Not done",
}


def member_lines(members: tuple[Member, ...]) -> list[str]:
    if not members:
        return ["_(no members)_"]
    return [
        f"• *{escape(m.name or m.agent_number)}* `{escape(m.agent_number)}` · priority {m.priority}"
        for m in sorted(members, key=lambda m: (m.priority, m.agent_number))
    ]


def change_reply(result: ChangeResult, *, actor: str) -> Reply:
    record = result.record
    group = result.after or result.before
    icon = OUTCOME_ICONS.get(record.outcome, "")
    headline = _HEADLINES.get(record.outcome, record.outcome)
    lines = [
        f"{icon} *{headline}* — *{escape(group.display_name)}* `{escape(group.exten)}`: {describe_change(record)}",
        escape(record.detail),
    ]
    if result.error is not None and record.outcome != "ok":
        lines.append(escape(result.error.next_step))
    blocks: list = [section("\n".join(line for line in lines if line))]
    if result.after is not None:
        blocks.append(
            context(
                f"The group now has {len(result.after.members)} member(s), as read back from 7moor:"
            )
        )
        blocks.extend(sections(member_lines(result.after.members)))
    if record.outcome in ("ok", "partial") and record.action != "create":
        blocks.append(buttons(button("Undo", UNDO_ACTION_ID, str(record.id), style="danger")))
    blocks.append(
        context(f"Change #{record.id} by <@{actor}> · see `/desk log {escape(group.exten)}`")
    )
    return Reply(text=f"{headline}: {group.display_name}", blocks=blocks)


def change_summary(result: ChangeResult) -> str:
    """The outcome in a few lines, for a modal."""
    record = result.record
    group = result.after or result.before
    icon = OUTCOME_ICONS.get(record.outcome, "")
    headline = _HEADLINES.get(record.outcome, record.outcome)
    lines = [
        f"{icon} *{headline}* — *{escape(group.display_name)}*: {describe_change(record)}",
        escape(record.detail),
    ]
    if record.outcome in ("ok", "partial"):
        lines.append(
            "The result, with an Undo button, is in the channel where you typed the command."
        )
    return "\n".join(lines)


def conflict_reply(error: ChangeConflictWithState) -> Reply:
    current: SkillGroup = error.current
    blocks = [
        section(f":no_entry: {escape(error.sentence)}\n{error.next_step}"),
        *sections(member_lines(current.members)),
        context(f"Last updated {escape(current.update_time or 'unknown')}."),
    ]
    return Reply(text=error.sentence, blocks=blocks)


def diff_lines(before: tuple[Member, ...], after: tuple[Member, ...]) -> list[str]:
    change = roster.diff(before, after)
    lines = [
        f":heavy_plus_sign: add `{escape(m.agent_number)}` with priority {m.priority}"
        for m in change.added
    ]
    lines += [
        f":heavy_minus_sign: remove *{escape(m.name or m.agent_number)}* `{escape(m.agent_number)}`"
        for m in change.removed
    ]
    lines += [
        f":arrows_counterclockwise: `{escape(m.agent_number)}` priority {old} → {m.priority}"
        for m, old in change.reprioritised
    ]
    return lines


def audit_post(record: ChangeRecord) -> dict[str, Any]:
    icon = OUTCOME_ICONS.get(record.outcome, "")
    text = (
        f"{icon} <@{record.user_id}> {record.action} on *{escape(record.group_name)}* `{escape(record.exten)}`: "
        f"{describe_change(record)} — {record.outcome}. {escape(record.detail)} (change #{record.id})"
    )
    return {"text": text[:3000], "blocks": [section(text).to_dict()]}
