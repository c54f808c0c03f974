from __future__ import annotations

from slack_bolt import App

from handlers.actions.changes import handle_undo_change
from handlers.actions.messages import (
    CANCEL_SEND_ACTION_ID,
    SEND_MESSAGE_ACTION_ID,
    handle_cancel_send,
    handle_send_message,
)
from handlers.actions.reads import handle_share_answer
from handlers.render.changes import UNDO_ACTION_ID
from handlers.render.reads import SHARE_ACTION_ID


def register(app: App) -> None:
    app.action(SHARE_ACTION_ID)(handle_share_answer)
    app.action(UNDO_ACTION_ID)(handle_undo_change)
    app.action(SEND_MESSAGE_ACTION_ID)(handle_send_message)
    app.action(CANCEL_SEND_ACTION_ID)(handle_cancel_send)
