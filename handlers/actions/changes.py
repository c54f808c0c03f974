"""Undo: restore the exact list before a change, with the same conflict check as any write."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.changes import ChangeConflictWithState
from bot.desk import Desk
from bot.errors import DeskError
from handlers.commands.desk import apology
from handlers.render import error_reply
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
    try:
        if not value.isdigit():
            raise DeskError("That Undo button is broken.", "Use `/desk log` to find the change.")
        reply = change_reply(desk.undo(actor, int(value)), actor=actor)
    except ChangeConflictWithState as error:
        reply = conflict_reply(error)
    except DeskError as error:
        reply = error_reply(error.sentence, error.next_step)
    except Exception:
        reply = apology(logger, f"undo of change {value}")
    respond(replace_original=False, **reply.payload())
