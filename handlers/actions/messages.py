"""Send and Cancel on a message preview. Send delivers at most once, whatever the clicks."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.desk import Desk
from bot.errors import DeskError
from handlers.commands.desk import apology
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
    try:
        result = desk.send_preview(body["user"]["id"], action.get("value", ""))
    except DeskError as error:
        respond(replace_original=False, **error_reply(error.sentence, error.next_step).payload())
        return
    except Exception:
        respond(replace_original=False, **apology(logger, "send").payload())
        return
    # A repeated click must not wipe the outcome the first click showed, and a send that may
    # be tried again keeps the preview (and its Send button) where it is.
    keep_original = result.repeat or result.status == "retryable"
    respond(replace_original=not keep_original, **send_result_reply(result).payload())


def handle_cancel_send(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    desk: Desk,
    logger: Logger,
) -> None:
    ack()
    try:
        cancelled = desk.cancel_preview(body["user"]["id"], action.get("value", ""))
    except DeskError as error:
        respond(replace_original=False, **error_reply(error.sentence, error.next_step).payload())
        return
    except Exception:
        respond(replace_original=False, **apology(logger, "cancel").payload())
        return
    if cancelled:
        respond(
            replace_original=True,
            **Reply(
                text="Cancelled", blocks=[section(":wastebasket: Cancelled. Nothing was sent.")]
            ).payload(),
        )
    else:
        respond(
            replace_original=False,
            **error_reply(
                "Too late to cancel: this preview was already sent or cancelled, "
                "or it is being sent right now."
            ).payload(),
        )
