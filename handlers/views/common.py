"""Pieces shared by the modals: metadata, simple views, the member-list text format."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from bot.models import Member
from handlers.render import Reply, section

MAX_METADATA = 3000
_LINE = re.compile(r"^(?P<agent>[0-9A-Za-z_-]{1,32})(?:\s+(?P<priority>\S+))?$")


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str | None = None,
    submit: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    encoded = json.dumps(metadata or {}, separators=(",", ":"))
    if len(encoded) > MAX_METADATA:
        raise ValueError("modal state is larger than Slack's private_metadata allows")
    view = View(
        type="modal",
        title=title[:24],
        blocks=blocks,
        callback_id=callback_id,
        submit=submit[:24] if submit else None,
        close="Close" if submit is None else "Cancel",
        private_metadata=encoded,
    )
    return view.to_dict()


def notice_modal(title: str, markdown: str) -> dict[str, Any]:
    return modal(title, [section(markdown)])


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    return json.loads(raw)


def reply_to_channel(response_url: str, reply: Reply) -> None:
    """Post the outcome where the command was typed (response_url: 5 uses in 30 minutes)."""
    if response_url:
        WebhookClient(response_url).send_dict({**reply.payload(), "replace_original": False})


@dataclass(frozen=True)
class MemberListProblem:
    line: int
    sentence: str


def parse_member_lines(text: str) -> tuple[tuple[Member, ...], list[MemberListProblem]]:
    """One agent per line, `NUMBER [PRIORITY]`; anything after `#` is a comment (a name)."""
    members: list[Member] = []
    problems: list[MemberListProblem] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            problems.append(
                MemberListProblem(number, f"line {number}: “{line}” is not `agent-number priority`")
            )
            continue
        agent, priority = match["agent"], match["priority"] or "0"
        if not priority.isdigit() or int(priority) > 999:
            problems.append(
                MemberListProblem(
                    number,
                    f"line {number}: priority “{priority}” is not a whole number from 0 to 999",
                )
            )
            continue
        if agent in seen:
            problems.append(
                MemberListProblem(number, f"line {number}: agent {agent} is listed twice")
            )
            continue
        seen.add(agent)
        members.append(Member(agent_number=agent, priority=int(priority)))
    return tuple(members), problems


def member_text(members: tuple[Member, ...]) -> str:
    return "\n".join(
        f"{m.agent_number} {m.priority}"
        + (f"  # {m.name}" if m.name and m.name != m.agent_number else "")
        for m in members
    )


def encode_members(members: tuple[Member, ...]) -> str:
    return ",".join(f"{m.agent_number}:{m.priority}" for m in members)


def decode_members(text: str) -> tuple[Member, ...]:
    if not text:
        return ()
    pairs = (item.rsplit(":", 1) for item in text.split(","))
    return tuple(Member(agent_number=agent, priority=int(priority)) for agent, priority in pairs)
