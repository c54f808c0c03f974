"""`/desk create`: a modal for a new skill group, validated before 7moor sees it."""

from __future__ import annotations

from logging import Logger
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot.desk import Desk
from bot.errors import DeskError
from bot.models import ASSIGN_RULES, NewGroup
from handlers.render import Reply, escape, section
from handlers.render.changes import change_reply
from handlers.render.reads import ASSIGN_RULES as RULE_NAMES
from handlers.render.reads import MEMORY
from handlers.views.common import (
    metadata,
    modal,
    notice_modal,
    parse_member_lines,
    reply_to_channel,
)

if TYPE_CHECKING:
    from handlers.commands.registry import Invocation

CREATE_GROUP_CALLBACK_ID = "create_group_id"
NAME_BLOCK_ID = "name_block_id"
RULE_BLOCK_ID = "rule_block_id"
MEMORY_BLOCK_ID = "memory_block_id"
MEMBERS_BLOCK_ID = "new_members_block_id"
INPUT_ID = "value_id"
TITLE = "New skill group"
FIELD_BLOCKS = {
    "display_name": NAME_BLOCK_ID,
    "assign_rule": RULE_BLOCK_ID,
    "memory_time": MEMORY_BLOCK_ID,
}


def create_view(response_url: str) -> dict[str, Any]:
    rules = [
        Option(value=rule, label=f"{RULE_NAMES[rule].capitalize()} ({rule})")
        for rule in ASSIGN_RULES
    ]
    memory = [
        Option(value="off", label="Off"),
        *(Option(value=str(m), label=f"Same agent for {label}") for m, label in MEMORY.items()),
    ]
    blocks = [
        InputBlock(
            block_id=NAME_BLOCK_ID,
            label="Name",
            element=PlainTextInputElement(action_id=INPUT_ID, max_length=64),
        ),
        InputBlock(
            block_id=RULE_BLOCK_ID,
            label="Assignment",
            element=StaticSelectElement(action_id=INPUT_ID, options=rules, initial_option=rules[0]),
        ),
        InputBlock(
            block_id=MEMORY_BLOCK_ID,
            label="Remember the customer's agent",
            element=StaticSelectElement(
                action_id=INPUT_ID, options=memory, initial_option=memory[0]
            ),
        ),
        InputBlock(
            block_id=MEMBERS_BLOCK_ID,
            label="Members (one per line: number priority)",
            optional=True,
            element=PlainTextInputElement(
                action_id=INPUT_ID, multiline=True, placeholder="8001 0\n8002 1"
            ),
        ),
    ]
    return modal(
        TITLE,
        blocks,
        callback_id=CREATE_GROUP_CALLBACK_ID,
        submit="Create",
        metadata={"r": response_url},
    )


def open_create_modal(call: Invocation) -> Reply | None:
    call.desk.require_admin(call.user_id)
    call.client.views_open(trigger_id=call.trigger_id, view=create_view(call.response_url))
    return None


def _value(view: dict[str, Any], block_id: str) -> str:
    element = view["state"]["values"][block_id][INPUT_ID]
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    return element.get("value") or ""


def handle_create_submission(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    desk: Desk,
    logger: Logger,
) -> None:
    members, problems = parse_member_lines(_value(view, MEMBERS_BLOCK_ID))
    memory = _value(view, MEMORY_BLOCK_ID)
    group = NewGroup(
        display_name=_value(view, NAME_BLOCK_ID).strip(),
        assign_rule=_value(view, RULE_BLOCK_ID),
        is_memory=memory != "off",
        memory_time=int(memory) if memory.isdigit() else None,
        members=members,
    )
    errors = {FIELD_BLOCKS[field]: sentence for field, sentence in group.problems().items()}
    if problems:
        errors[MEMBERS_BLOCK_ID] = "; ".join(p.sentence for p in problems[:5])[:150]
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(
        response_action="update",
        view=notice_modal(TITLE, ":hourglass_flowing_sand: Creating the group in 7moor…"),
    )
    actor = body["user"]["id"]
    try:
        result = desk.create_group(actor, group)
        reply = change_reply(result, actor=actor)
        text = f":white_check_mark: Created *{escape(group.display_name)}* as `{escape(result.record.exten)}`. {escape(result.record.detail)}"
    except DeskError as error:
        reply = Reply(
            text=error.sentence,
            blocks=[section(f":warning: {escape(error.sentence)}\n{error.next_step}")],
        )
        text = f":warning: {escape(error.sentence)}\n{error.next_step}"
    client.views_update(view_id=view["id"], view=notice_modal(TITLE, text))
    try:
        reply_to_channel(metadata(view).get("r", ""), reply)
    except Exception:
        logger.exception("could not post the create outcome to the channel")
