from __future__ import annotations

from slack_bolt import App

from handlers.commands import read, send, write  # noqa: F401  (registers; help follows this order)
from handlers.commands.desk import handle_desk_command


def register(app: App) -> None:
    app.command("/desk")(handle_desk_command)
