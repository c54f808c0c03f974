from __future__ import annotations

from slack_bolt import App

from handlers.views.create import CREATE_GROUP_CALLBACK_ID, handle_create_submission
from handlers.views.members import (
    MEMBERS_CONFIRM_CALLBACK_ID,
    MEMBERS_EDIT_CALLBACK_ID,
    handle_members_confirmation,
    handle_members_submission,
)


def register(app: App) -> None:
    app.view(MEMBERS_EDIT_CALLBACK_ID)(handle_members_submission)
    app.view(MEMBERS_CONFIRM_CALLBACK_ID)(handle_members_confirmation)
    app.view(CREATE_GROUP_CALLBACK_ID)(handle_create_submission)
