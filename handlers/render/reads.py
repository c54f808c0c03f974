"""What supervisors read: claims, groups, IM agents, templates, the change log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot import roster
from bot.messages import TemplateInfo
from bot.models import GroupClaims, ImAgent, Reading, SkillGroup
from bot.state import ChangeRecord
from handlers.render import (
    MAX_HEADER_TEXT,
    Reply,
    age_note,
    button,
    buttons,
    capped_sections,
    context,
    escape,
    escape_clipped,
    header,
    section,
    sections,
)

SHARE_ACTION_ID = "share_answer_id"
SEVENMOOR, TENCENT = "7moor", "Tencent IM Desk"
MAX_LIST_BLOCKS = 44  # of Slack's 50 per message: room for headers, warnings, notes, buttons
ASSIGN_RULES = {
    "random": "random",
    "queue": "round robin",
    "least": "fewest chats",
    "priority": "by priority",
}
MEMORY = {120: "2 h", 1440: "1 day", 10080: "1 week", 43200: "30 days"}
GROUP_CHAT = {
    0: "no group chats",
    1: "agents take group chats",
    2: "robot answers when @-mentioned",
}
WORK_TIME = {0: "no working hours set", 1: "weekly schedule", 2: "statutory working days"}
STRATEGY = {0: "automatic assignment", 1: "customer picks a group", 2: "business server assigns"}
SATISFACTION = {
    0: "no rating",
    1: "rating after the session",
    2: "agent invites a rating",
    3: "rating after session or on invite",
}


def _tick(on: bool) -> str:
    return ":white_check_mark:" if on else ":heavy_minus_sign:"


def share_button(command_text: str) -> list:
    return [buttons(button("Share in channel", SHARE_ACTION_ID, command_text))]


def claims_reply(
    reading: Reading[GroupClaims], now: float, *, shared_by: str | None = None
) -> Reply:
    claims = reading.value
    agents = sorted(claims.agents, key=lambda a: (not a.claiming, a.priority, a.agent_number))
    total, claiming = len(agents), claims.claiming_count
    exten = f" ({escape(claims.exten)})"
    title = escape_clipped(claims.display_name, MAX_HEADER_TEXT - len(exten)) + exten
    summary = f"*{claiming} of {total}* claiming new chats · assignment {ASSIGN_RULES.get(claims.assign_rule, escape(claims.assign_rule))}"
    blocks: list = [header(title), section(summary)]
    if total == 0:
        blocks.append(
            section(":warning: This group has no members: its chats cannot be assigned to anyone.")
        )
    elif claiming == 0:
        blocks.append(
            section(
                ":rotating_light: *Nobody in this group is claiming chats right now.* New chats will wait in the queue."
            )
        )
    by_priority = claims.assign_rule == "priority"  # elsewhere 7moor ignores priorities
    lines = [
        f"{':large_green_circle:' if a.claiming else ':white_circle:'} *{escape(a.name or a.agent_number)}* `{escape(a.agent_number)}`"
        + (f" · priority {a.priority}" if by_priority else "")
        + f" · PC {_tick(a.pc_claim)} · APP {_tick(a.app_claim)}"
        + (f" · {escape(a.masked_phone)}" if a.phone else "")
        for a in agents
    ]
    blocks.extend(
        capped_sections(
            lines,
            max_blocks=MAX_LIST_BLOCKS,
            more=lambda hidden: (
                f"…and {hidden} more member{'s' if hidden != 1 else ''}"
                " (those not claiming are listed last)."
            ),
        )
    )
    note = age_note(reading.age(now), reading.stale, reading.stale_reason, source=SEVENMOOR)
    blocks.append(context(note + (f" Shared by <@{shared_by}>." if shared_by else "")))
    if shared_by is None:
        blocks.extend(share_button(f"who {claims.exten}"))
    text = f"{escape(claims.display_name)}: {claiming} of {total} claiming"
    return Reply(text=text, blocks=blocks, in_channel=shared_by is not None)


def groups_reply(reading: Reading[list[SkillGroup]], now: float, filter_text: str | None) -> Reply:
    groups = sorted(reading.value, key=lambda g: (g.display_name.casefold(), g.exten))
    scope = f" matching “{escape(filter_text)}”" if filter_text else ""
    if not groups:
        return Reply(
            text="No skill groups",
            blocks=[
                section(f"No skill groups{scope}."),
                context(
                    age_note(
                        reading.age(now), reading.stale, reading.stale_reason, source=SEVENMOOR
                    )
                ),
            ],
        )
    lines = [
        f"`{escape(g.exten)}` *{escape(g.display_name)}* · {len(g.members)} member{'s' if len(g.members) != 1 else ''}"
        f" · {ASSIGN_RULES.get(g.assign_rule, escape(g.assign_rule))}"
        f" · memory {MEMORY.get(g.memory_time or 0, f'{g.memory_time} min') if g.is_memory else 'off'}"
        for g in groups
    ]
    blocks: list = [section(f"*{len(groups)} skill group{'s' if len(groups) != 1 else ''}*{scope}")]
    blocks.extend(
        capped_sections(
            lines,
            max_blocks=MAX_LIST_BLOCKS,
            more=lambda hidden: (
                f"…{hidden} more. Narrow the list: `/desk groups <part of a name>`."
            ),
        )
    )
    blocks.append(
        context(
            age_note(reading.age(now), reading.stale, reading.stale_reason, source=SEVENMOOR)
            + " See members with `/desk who <group>`."
        )
    )
    return Reply(text=f"{len(groups)} skill groups", blocks=blocks)


def im_agents_reply(reading: Reading[list[ImAgent]], now: float, wanted: str | None) -> Reply:
    agents = reading.value
    if not agents:
        what = (
            f"No customer-service account “{escape(wanted)}”."
            if wanted
            else "No customer-service accounts."
        )
        return Reply(
            text=what, blocks=[section(what), context("List them all with `/desk agents`.")]
        )
    blocks: list = [
        section(
            f"*{len(agents)} customer-service account{'s' if len(agents) != 1 else ''}* (Tencent IM Desk)"
        )
    ]
    for agent in agents[:MAX_LIST_BLOCKS]:
        default = agent.default_language
        langs = (
            ", ".join(
                f"{escape(lang.code)}{' (default)' if lang.code == default else ''}"
                for lang in agent.languages
            )
            or "none"
        )
        settings = next((lang for lang in agent.languages if lang.code == default), None)
        lines = [
            f"*{escape(agent.nick or agent.user_id)}* `{escape(agent.user_id)}`",
            f"Robot {'on' if agent.chatbot_enabled else 'off'} · {GROUP_CHAT.get(agent.group_chat_mode, f'group chat mode {agent.group_chat_mode}')}",
            f"Languages: {langs}",
        ]
        if settings is not None:
            lines.append(
                f"{WORK_TIME.get(settings.work_time_type, 'working hours type ' + str(settings.work_time_type)).capitalize()}"
                f" · {STRATEGY.get(settings.assignment_strategy, 'strategy ' + str(settings.assignment_strategy))}"
                f" · {SATISFACTION.get(settings.satisfaction_invitation, 'rating mode ' + str(settings.satisfaction_invitation))}"
            )
        blocks.append(section("\n".join(lines)))
    if len(agents) > MAX_LIST_BLOCKS:
        blocks.append(
            section(
                f"…and {len(agents) - MAX_LIST_BLOCKS} more: ask for one with `/desk agents <im-agent-id>`."
            )
        )
    blocks.append(
        context(age_note(reading.age(now), reading.stale, reading.stale_reason, source=TENCENT))
    )
    plural = "s" if len(agents) != 1 else ""
    return Reply(text=f"{len(agents)} customer-service account{plural}", blocks=blocks)


def templates_reply(templates: Sequence[TemplateInfo]) -> Reply:
    if not templates:
        return Reply(
            text="No templates",
            blocks=[section("No message templates yet: add files to `templates/messages/`.")],
        )
    lines = []
    for info in templates:
        variables = " ".join(f"`{v}=…`" for v in info.variables) or "no variables"
        languages = ", ".join(lang or "default" for lang in info.languages)
        lines.append(
            f"*{escape(info.name)}* ({info.kind}, {languages}) — {escape(info.description)}\n      {variables}"
        )
    blocks = [
        section("*Message templates* for `/desk send <session-id> <template> [key=value …]`"),
        *sections(lines),
    ]
    blocks.append(
        context(
            'Add `lang=en` (or zh, …) to choose a language. Values with spaces go in quotes: `name="Li Lei"`.'
        )
    )
    return Reply(text=f"{len(templates)} templates", blocks=blocks)


APPLIED_OUTCOMES = ("ok", "partial")  # outcomes after which the group holds the change


def describe_change(record: ChangeRecord) -> str:
    """'added 8001 (priority 0); removed 8002' from the record's before and after; for a
    change that did not verifiably happen, what was asked for, never as if it happened."""
    if record.outcome not in APPLIED_OUTCOMES:
        what = (
            f"create a group with {len(record.after)} member{'s' if len(record.after) != 1 else ''}"
            if record.action == "create"
            else asked_change(record)
        )
        return f"asked to {what} ({_NOT_APPLIED.get(record.outcome, record.outcome)})"
    if record.action == "create":
        return f"created the group with {len(record.after)} member{'s' if len(record.after) != 1 else ''}"
    change = roster.diff(record.before, record.after)
    parts = [f"added {escape(m.agent_number)} (priority {m.priority})" for m in change.added]
    parts += [f"removed {escape(m.agent_number)}" for m in change.removed]
    parts += [
        f"{escape(m.agent_number)} priority {old} → {m.priority}" for m, old in change.reprioritised
    ]
    verb = "undid" if record.action == "undo" else record.action
    what = "; ".join(parts) or "no member change"
    return f"{verb}: {what}" if record.action in ("swap", "undo", "edit") else what


def asked_change(record: ChangeRecord) -> str:
    """What a change asked for, in the imperative: 'add 9999 with priority 0; remove 8002'."""
    change = roster.diff(record.before, record.after)
    parts = [f"add {escape(m.agent_number)} with priority {m.priority}" for m in change.added]
    parts += [f"remove {escape(m.agent_number)}" for m in change.removed]
    parts += [
        f"change {escape(m.agent_number)}'s priority from {old} to {m.priority}"
        for m, old in change.reprioritised
    ]
    return "; ".join(parts) or "leave the members as they are"


_NOT_APPLIED = {
    "failed": "not done",
    "conflict": "refused: the group had changed",
    "refused": "refused",
    "unverified": "not verified",
}

OUTCOME_ICONS = {
    "ok": ":white_check_mark:",
    "partial": ":warning:",
    "failed": ":x:",
    "conflict": ":no_entry:",
    "refused": ":no_entry:",
    "unverified": ":grey_question:",
}


def slack_date(at: float) -> str:
    """A time each reader sees in their own zone; the fallback (old clients) is in UTC."""
    fallback = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at)}^{{date_short_pretty}} {{time}}|{fallback}>"


def log_reply(records: Sequence[ChangeRecord], group_query: str | None) -> Reply:
    scope = f" for “{escape(group_query)}”" if group_query else ""
    if not records:
        return Reply(text="No changes", blocks=[section(f"No changes recorded{scope} yet.")])
    lines = [
        f"{OUTCOME_ICONS.get(r.outcome, '')} *#{r.id}* {slack_date(r.at)} "
        f"<@{r.user_id}> · *{escape(r.group_name)}* `{escape(r.exten)}` · {describe_change(r)}"
        + (f" · undone by #{r.undone_by}" if r.undone_by else "")
        + (f"\n      _{escape(r.detail)}_" if r.outcome != "ok" else "")
        for r in records
    ]
    return Reply(
        text=f"{len(records)} recent changes",
        blocks=[section(f"*Recent changes*{scope}"), *sections(lines)],
    )
