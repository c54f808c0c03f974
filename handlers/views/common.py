"""Pieces shared by the modals: metadata, simple views, the member-list text format."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.changes import ChangeConflictWithState, ChangeResult
from bot.desk import Desk
from bot.errors import DeskError
from bot.models import Member
from handlers.failures import answer_safely
from handlers.render import Reply, escape, section
from handlers.render.changes import (
    change_reply,
    change_summary,
    conflict_reply,
    conflict_summary,
)

if TYPE_CHECKING:
    from handlers.commands.registry import Invocation

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
    if not fits_metadata(metadata or {}):
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


def fits_metadata(state: dict[str, Any]) -> bool:
    """Whether `state` fits a modal's private_metadata (3000 characters)."""
    return len(json.dumps(state, separators=(",", ":"))) <= MAX_METADATA


def notice_modal(title: str, markdown: str) -> dict[str, Any]:
    return modal(title, [section(markdown)])


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    return json.loads(raw)


def open_view(call: Invocation, view: dict[str, Any]) -> str:
    """Open a modal with the command's trigger_id (single-use, dead after 3 s); its view ID."""
    try:
        opened = call.client.views_open(trigger_id=call.trigger_id, view=view)
    except SlackApiError as error:
        call.logger.warning("views.open failed: %s", error.response.get("error"))
        raise DeskError(
            "Slack did not let deskbot open the form (it allows only a few seconds after the command).",
            "Type the command again.",
        ) from error
    return str(opened["view"]["id"])


def open_loading_view(call: Invocation, title: str, markdown: str) -> str:
    """Open a "working…" modal at once; fill it with `views.update` when the vendor answers."""
    return open_view(call, notice_modal(title, markdown))


RespondTo = Callable[[str], Respond]  # a response_url → its respond() (bot.app retries 429s)


ALREADY_SUBMITTED = (
    ":information_source: This form was already submitted, and only that first submission "
    "counts. Its outcome is in the conversation where you typed the command, and in `/desk log`."
)


def first_delivery(ack: Ack, desk: Desk, view: dict[str, Any], title: str) -> bool:
    """Claim this submission of `view` before any work; a repeated delivery of it (a proxy
    or a client sending it twice) is acked with a notice and goes no further."""
    try:
        claimed = desk.claim_form(f"{view['id']}:{view.get('hash', '')}")
    except DeskError as error:
        ack(
            response_action="update",
            view=notice_modal(title, f":warning: {escape(error.sentence)}\n{error.next_step}"),
        )
        return False
    if not claimed:
        ack(response_action="update", view=notice_modal(title, ALREADY_SUBMITTED))
    return claimed


def post_outcome(respond_to: RespondTo, response_url: str, reply: Reply, logger: Logger) -> bool:
    """Post a modal's outcome where the command was typed; False (logged) when Slack did not
    take it. A modal has no response_url of its own: the command's was kept in its metadata."""
    if not response_url:
        return False
    try:
        answer = respond_to(response_url)(replace_original=False, **reply.payload())
    except Exception:
        logger.exception("could not post a modal's outcome to the channel")
        return False
    if answer.status_code != 200:
        logger.warning("the channel refused a modal's outcome: HTTP %s", answer.status_code)
        return False
    return True


def finish_change(
    change: Callable[[], ChangeResult],
    *,
    what: str,
    response_url: str,
    view_id: str,
    title: str,
    client: WebClient,
    respond_to: RespondTo,
    logger: Logger,
) -> None:
    """Make a form's change, post its outcome where the command was typed (with Undo), then
    show it in the modal, which says whether the post made it."""
    result: ChangeResult | None = None
    conflict: ChangeConflictWithState | None = None

    def work() -> Reply:
        nonlocal result, conflict
        try:
            result = change()
        except ChangeConflictWithState as error:
            conflict = error
            return conflict_reply(error)
        return change_reply(result, actor=result.record.user_id)

    reply = answer_safely(logger, what, work, writes=True)
    posted = post_outcome(respond_to, response_url, reply, logger)
    if result is not None:
        text = change_summary(result, posted=posted)
    elif conflict is not None:
        text = conflict_summary(conflict)
    else:  # the sentence and next step of the error, or the apology
        text = reply.blocks[0].text.text
    show_outcome(client, view_id, title, text, logger)


def show_outcome(
    client: WebClient, view_id: str, title: str, markdown: str, logger: Logger
) -> None:
    """Replace the modal's "working…" view with the outcome; a closed modal is no error."""
    try:
        client.views_update(view_id=view_id, view=notice_modal(title, markdown[:2900]))
    except SlackApiError as error:  # the person closed the modal meanwhile: the chat has it
        logger.info(
            "could not show the outcome in view %s: %s", view_id, error.response.get("error")
        )


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
                MemberListProblem(
                    number,
                    f"line {number}: “{line}” is not an agent number and a priority, like 8001 0",
                )
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
