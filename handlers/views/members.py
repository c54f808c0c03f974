"""`/desk members <group>`: edit the list in a modal, see the diff, confirm, verified write."""

from __future__ import annotations

from logging import Logger
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement

from bot.changes import ChangeConflictWithState, GroupVersion
from bot.desk import Desk
from bot.errors import DeskError
from handlers.render import Reply, context, escape, section, sections
from handlers.render.changes import (
    change_reply,
    conflict_reply,
    diff_lines,
    member_lines,
)
from handlers.views.common import (
    decode_members,
    encode_members,
    member_text,
    metadata,
    modal,
    notice_modal,
    parse_member_lines,
    reply_to_channel,
)

if TYPE_CHECKING:
    from handlers.commands.registry import Invocation

MEMBERS_EDIT_CALLBACK_ID = "members_edit_id"
MEMBERS_CONFIRM_CALLBACK_ID = "members_confirm_id"
MEMBERS_BLOCK_ID = "members_block_id"
MEMBERS_INPUT_ID = "members_input_id"
TITLE = "Group members"


def open_members_modal(call: Invocation, query: str) -> Reply:
    call.desk.require_admin(call.user_id)
    # The trigger_id dies after 3 s: open a loading view now, fill it when the vendor answers.
    opened = call.client.views_open(
        trigger_id=call.trigger_id,
        view=notice_modal(TITLE, ":hourglass_flowing_sand: Reading the group from 7moor…"),
    )
    view_id = opened["view"]["id"]
    try:
        group, version = call.desk.group_for_edit(call.user_id, query)
    except DeskError as error:
        call.client.views_update(
            view_id=view_id,
            view=notice_modal(TITLE, f":warning: {escape(error.sentence)}\n{error.next_step}"),
        )
        raise
    blocks = [
        section(
            f"*{escape(group.display_name)}* `{escape(group.exten)}` — one agent per line: `number priority`. Delete a line to remove someone; add a line to add someone."
        ),
        InputBlock(
            block_id=MEMBERS_BLOCK_ID,
            label="Members",
            optional=True,
            element=PlainTextInputElement(
                action_id=MEMBERS_INPUT_ID, multiline=True, initial_value=member_text(group.members)
            ),
        ),
        context(
            f"Last updated {escape(group.update_time or 'unknown')}. If someone changes it before you confirm, nothing is written and you see the new list."
        ),
    ]
    state = {
        "v": version.token(),
        "b": encode_members(group.members),
        "n": group.display_name,
        "r": call.response_url,
    }
    call.client.views_update(
        view_id=view_id,
        view=modal(
            TITLE,
            blocks,
            callback_id=MEMBERS_EDIT_CALLBACK_ID,
            submit="Review changes",
            metadata=state,
        ),
    )
    return Reply(
        text="Opened",
        blocks=[section(f":pencil: Editing *{escape(group.display_name)}* in a form.")],
    )


def handle_members_submission(ack: Ack, view: dict[str, Any]) -> None:
    """First submit: validate the text, then show the diff to confirm (nothing written yet)."""
    state = metadata(view)
    text = view["state"]["values"][MEMBERS_BLOCK_ID][MEMBERS_INPUT_ID].get("value") or ""
    desired, problems = parse_member_lines(text)
    if problems:
        ack(
            response_action="errors",
            errors={MEMBERS_BLOCK_ID: "; ".join(p.sentence for p in problems[:5])[:150]},
        )
        return
    before = decode_members(state["b"])
    lines = diff_lines(before, desired)
    if not lines:
        ack(
            response_action="errors",
            errors={MEMBERS_BLOCK_ID: "Nothing changed: edit the list, or Cancel."},
        )
        return
    blocks = [
        section(f"*{escape(state['n'])}*: confirm these changes"),
        *sections(lines),
        context(
            f"Afterwards the group has {len(desired)} member(s). deskbot re-reads the group first and writes nothing if it changed meanwhile."
        ),
    ]
    ack(
        response_action="update",
        view=modal(
            "Confirm changes",
            blocks,
            callback_id=MEMBERS_CONFIRM_CALLBACK_ID,
            submit="Confirm",
            metadata={**state, "d": encode_members(desired)},
        ),
    )


def handle_members_confirmation(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    desk: Desk,
    logger: Logger,
) -> None:
    """Confirm: re-read, refuse on conflict, write, verify; the outcome goes to modal and chat."""
    ack(
        response_action="update",
        view=notice_modal(TITLE, ":hourglass_flowing_sand: Saving and checking with 7moor…"),
    )
    state = metadata(view)
    actor = body["user"]["id"]
    try:
        result = desk.edit_members(
            actor, GroupVersion.from_token(state["v"]), decode_members(state["d"])
        )
    except ChangeConflictWithState as error:
        reply = conflict_reply(error)
        text = f":no_entry: {escape(error.sentence)}\n" + "\n".join(
            member_lines(error.current.members)
        )
    except DeskError as error:
        reply = Reply(
            text=error.sentence,
            blocks=[section(f":warning: {escape(error.sentence)}\n{error.next_step}")],
        )
        text = reply.blocks[0].text.text
    else:
        reply = change_reply(result, actor=actor)
        text = "\n".join(
            block.text.text
            for block in reply.blocks
            if getattr(block, "text", None) is not None and hasattr(block.text, "text")
        )
    client.views_update(view_id=view["id"], view=notice_modal(TITLE, text[:2900]))
    try:
        reply_to_channel(state.get("r", ""), reply)
    except Exception:
        logger.exception("could not post the members outcome to the channel")
