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
from bot.models import ASSIGN_RULES, MEMORY_TIMES, NewGroup
from handlers.render import Reply
from handlers.render.reads import ASSIGN_RULES as RULE_NAMES
from handlers.render.reads import MEMORY
from handlers.views.common import (
    RespondTo,
    finish_change,
    first_delivery,
    metadata,
    modal,
    notice_modal,
    open_view,
    parse_member_lines,
)

if TYPE_CHECKING:
    from handlers.commands.registry import Invocation

CREATE_GROUP_CALLBACK_ID = "create_group_id"
NAME_BLOCK_ID = "name_block_id"
RULE_BLOCK_ID = "rule_block_id"
MEMORY_BLOCK_ID = "memory_block_id"
MEMBERS_BLOCK_ID = "new_members_block_id"
INPUT_ID = "value_id"
MEMORY_OFF = "off"
TITLE = "New skill group"
FIELD_BLOCKS = {
    "display_name": NAME_BLOCK_ID,
    "assign_rule": RULE_BLOCK_ID,
    "memory_time": MEMORY_BLOCK_ID,
}


def create_view(response_url: str) -> dict[str, Any]:
    # Only what 7moor accepts is offered, so a wrong value cannot be silently defaulted.
    rules = [
        Option(value=rule, label=f"{RULE_NAMES.get(rule, rule).capitalize()} ({rule})")
        for rule in ASSIGN_RULES
    ]
    memory = [
        Option(value=MEMORY_OFF, label="Off"),
        *(
            Option(
                value=str(minutes), label=f"Same agent for {MEMORY.get(minutes, f'{minutes} min')}"
            )
            for minutes in MEMORY_TIMES
        ),
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
    open_view(call, create_view(call.response_url))
    return None


def _value(view: dict[str, Any], block_id: str) -> str:
    element = view["state"]["values"][block_id][INPUT_ID]
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    return element.get("value") or ""


def new_group_from(view: dict[str, Any]) -> tuple[NewGroup, dict[str, str]]:
    """The group the form describes, and form errors keyed by input block_id."""
    members, problems = parse_member_lines(_value(view, MEMBERS_BLOCK_ID))
    memory = _value(view, MEMORY_BLOCK_ID)
    group = NewGroup(
        display_name=_value(view, NAME_BLOCK_ID).strip(),
        assign_rule=_value(view, RULE_BLOCK_ID),
        is_memory=memory != MEMORY_OFF,
        memory_time=int(memory) if memory.isdigit() else None,
        members=members,
    )
    errors = {
        FIELD_BLOCKS.get(field, NAME_BLOCK_ID): sentence
        for field, sentence in group.problems().items()
    }
    if problems:
        errors[MEMBERS_BLOCK_ID] = "; ".join(p.sentence for p in problems[:5])[:150]
    return group, errors


def handle_create_submission(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    desk: Desk,
    respond_to: RespondTo,
    logger: Logger,
) -> None:
    group, errors = new_group_from(view)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    if not first_delivery(ack, desk, view, TITLE):
        return
    ack(
        response_action="update",
        view=notice_modal(TITLE, ":hourglass_flowing_sand: Creating the group in 7moor…"),
    )
    finish_change(
        lambda: desk.create_group(body["user"]["id"], group),
        what="creating a group",
        response_url=metadata(view).get("r", ""),
        view_id=view["id"],
        title=TITLE,
        client=client,
        respond_to=respond_to,
        logger=logger,
    )
