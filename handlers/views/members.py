"""`/desk members <group>`: edit the list in a modal, see the diff, confirm, verified write."""

from __future__ import annotations

from dataclasses import replace
from logging import Logger
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement

from bot.changes import GroupVersion
from bot.desk import Desk
from bot.errors import DeskError
from handlers.render import Reply, context, escape, section, sections
from handlers.render.changes import (
    diff_lines,
    last_changed,
)
from handlers.views.common import (
    RespondTo,
    decode_members,
    encode_members,
    finish_change,
    first_delivery,
    fits_metadata,
    member_text,
    metadata,
    modal,
    notice_modal,
    open_loading_view,
    parse_member_lines,
    show_outcome,
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
    view_id = open_loading_view(
        call, TITLE, ":hourglass_flowing_sand: Reading the group from 7moor…"
    )
    try:
        group, version = call.desk.group_for_edit(call.user_id, query)
    except DeskError as error:
        show_outcome(
            call.client,
            view_id,
            TITLE,
            f":warning: {escape(error.sentence)}\n{error.next_step}",
            call.logger,
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
            f"{last_changed(group)}. If someone changes it before you confirm, nothing is written and you see the new list."
        ),
    ]
    state: dict[str, Any] = {
        "v": version.token(),
        "b": encode_members(group.members),
        "n": group.display_name,
        "r": call.response_url,
    }
    # Names make the confirm view readable ("remove 孙强 8011"); dropped when a list is long.
    names = {m.agent_number: m.name for m in group.members if m.name != m.agent_number}
    if fits_metadata({**state, "a": names}):
        state["a"] = names
    try:
        form = modal(
            TITLE,
            blocks,
            callback_id=MEMBERS_EDIT_CALLBACK_ID,
            submit="Review changes",
            metadata=state,
        )
    except ValueError:
        text = (
            f":warning: *{escape(group.display_name)}* has {len(group.members)} members: "
            "too many to edit in a Slack form."
        )
        text += " Use `/desk add`, `/desk remove` or `/desk swap` instead."
        show_outcome(call.client, view_id, TITLE, text, call.logger)
        return Reply(text="Too many members for a form", blocks=[section(text)])
    call.client.views_update(view_id=view_id, view=form)
    return Reply(
        text=escape(f"Editing {group.display_name} in a form"),
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
    names: dict[str, str] = state.get("a") or {}
    before = tuple(
        replace(m, name=names.get(m.agent_number, "")) for m in decode_members(state["b"])
    )
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
    ]
    if not desired:
        blocks.append(
            section(
                ":warning: Nobody will be left in this group: its chats cannot be assigned to anyone."
            )
        )
    blocks.append(
        context(
            f"Afterwards the group has {len(desired)} member(s). deskbot re-reads the group first and writes nothing if it changed meanwhile."
        )
    )
    # The confirm view needs what to write and what it was written over, not the old list.
    confirm_state = {"v": state["v"], "n": state["n"], "r": state.get("r", "")}
    ack(
        response_action="update",
        view=modal(
            "Confirm changes",
            blocks,
            callback_id=MEMBERS_CONFIRM_CALLBACK_ID,
            submit="Confirm",
            metadata={**confirm_state, "d": encode_members(desired)},
        ),
    )


def handle_members_confirmation(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    desk: Desk,
    respond_to: RespondTo,
    logger: Logger,
) -> None:
    """Confirm: re-read, refuse on conflict, write, verify; the outcome goes to modal and chat."""
    if not first_delivery(ack, desk, view, TITLE):
        return
    ack(
        response_action="update",
        view=notice_modal(TITLE, ":hourglass_flowing_sand: Saving and checking with 7moor…"),
    )
    state = metadata(view)
    finish_change(
        lambda: desk.edit_members(
            body["user"]["id"], GroupVersion.from_token(state["v"]), decode_members(state["d"])
        ),
        what="saving a member list",
        response_url=state.get("r", ""),
        view_id=view["id"],
        title=TITLE,
        client=client,
        respond_to=respond_to,
        logger=logger,
    )
