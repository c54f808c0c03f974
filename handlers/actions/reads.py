"""Share in channel: post a fresh copy of an ephemeral answer for everyone to see."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.desk import Desk
from bot.errors import DeskError
from handlers.failures import answer_safely
from handlers.render import Reply
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

    def share() -> Reply:
        if command != "who":
            raise DeskError("That answer cannot be shared any more.", "Run the command again.")
        return claims_reply(desk.claims(exten), desk.clock.time(), shared_by=body["user"]["id"])

    respond(replace_original=False, **answer_safely(logger, "Share in channel", share).payload())
