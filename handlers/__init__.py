"""Slack listeners only: each folder's `register(app)` is its table of ids → functions."""

from __future__ import annotations

from slack_bolt import App

from handlers import actions, commands, views


def register_listeners(app: App) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
