"""Send and Cancel on a message preview. Send delivers at most once, whatever the clicks."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.desk import Desk
from handlers.failures import answer_safely
from handlers.render import Reply, error_reply, section
from handlers.render.messages import (
    CANCEL_SEND_ACTION_ID,
    SEND_MESSAGE_ACTION_ID,
    send_result_reply,
)

__all__ = [
    "CANCEL_SEND_ACTION_ID",
    "SEND_MESSAGE_ACTION_ID",
    "handle_cancel_send",
    "handle_send_message",
]


def handle_send_message(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    desk: Desk,
    logger: Logger,
) -> None:
    ack()
    replace = False  # errors are answered beside the preview, which keeps its buttons

    def send() -> Reply:
        nonlocal replace
        result = desk.send_preview(body["user"]["id"], action.get("value", ""))
        # A repeated click must not wipe the outcome the first click showed, and a send that
        # may be tried again keeps the preview (and its Send button) where it is.
        replace = not (result.repeat or result.status == "retryable")
        return send_result_reply(result)

    reply = answer_safely(logger, "send", send, writes=True)
    respond(replace_original=replace, **reply.payload())


def handle_cancel_send(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    desk: Desk,
    logger: Logger,
) -> None:
    ack()
    replace = False

    def cancel() -> Reply:
        nonlocal replace
        if not desk.cancel_preview(body["user"]["id"], action.get("value", "")):
            return error_reply(
                "Too late to cancel: this preview was already sent or cancelled, "
                "or it is being sent right now."
            )
        replace = True
        return Reply(
            text="Cancelled", blocks=[section(":wastebasket: Cancelled. Nothing was sent.")]
        )

    reply = answer_safely(logger, "cancel", cancel)
    respond(replace_original=replace, **reply.payload())
