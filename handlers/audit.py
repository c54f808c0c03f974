"""The audit channel: one post per change, so a team sees every rotation as it happens."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.state import ChangeRecord
from handlers.render.changes import audit_post

logger = logging.getLogger(__name__)


class AuditPoster:
    def __init__(self, client: WebClient, channel: str | None) -> None:
        self._client = client
        self._channel = channel

    def __call__(self, record: ChangeRecord) -> None:
        if not self._channel:
            return
        payload = audit_post(record)
        try:
            self._client.chat_postMessage(channel=self._channel, **payload)
        except SlackApiError as error:
            logger.warning(
                "audit post for change %s to %s failed: %s",
                record.id,
                self._channel,
                error.response.get("error"),
            )
