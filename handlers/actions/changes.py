"""Undo: restore the exact list before a change, with the same conflict check as any write."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.changes import ChangeConflictWithState
from bot.desk import Desk
from bot.errors import DeskError
from handlers.failures import answer_safely
from handlers.render import Reply
from handlers.render.changes import change_reply, conflict_reply


def handle_undo_change(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    desk: Desk,
    logger: Logger,
) -> None:
    ack()
    actor = body["user"]["id"]
    value = action.get("value", "")

    def undo() -> Reply:
        if not value.isdigit():
            raise DeskError("That Undo button is broken.", "Use `/desk log` to find the change.")
        try:
            return change_reply(desk.undo(actor, int(value)), actor=actor)
        except ChangeConflictWithState as error:
            return conflict_reply(error)

    reply = answer_safely(logger, f"undo of change {value}", undo, writes=True)
    respond(replace_original=False, **reply.payload())
