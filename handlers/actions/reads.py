"""Share in channel: post a fresh copy of an ephemeral answer for everyone to see."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.desk import Desk
from bot.errors import DeskError
from handlers.commands.desk import apology
from handlers.render import error_reply
from handlers.render.reads import claims_reply


def handle_share_answer(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    desk: Desk,
    logger: Logger,
) -> None:
    ack()
    command, _, exten = action.get("value", "").partition(" ")
    try:
        if command != "who":
            raise DeskError("That answer cannot be shared any more.", "Run the command again.")
        reply = claims_reply(desk.claims(exten), desk.clock.time(), shared_by=body["user"]["id"])
    except DeskError as error:
        respond(replace_original=False, **error_reply(error.sentence, error.next_step).payload())
        return
    except Exception:
        respond(replace_original=False, **apology(logger, "Share in channel").payload())
        return
    respond(replace_original=False, **reply.payload())
