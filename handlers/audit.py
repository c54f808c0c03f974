"""The audit channel: one post per change and per customer message, so a team sees every
rotation and every message the bot sent as it happens."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sending import SendAttempt
from bot.state import ChangeRecord
from handlers.render.changes import audit_post
from handlers.render.messages import send_audit_post

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


class SendAuditPoster:
    """One post per customer message sent (or tried): who, where, template, outcome; no text."""

    def __init__(self, client: WebClient, channel: str | None) -> None:
        self._client = client
        self._channel = channel

    def __call__(self, attempt: SendAttempt) -> None:
        if not self._channel:
            return
        try:
            self._client.chat_postMessage(channel=self._channel, **send_audit_post(attempt))
        except SlackApiError as error:
            logger.warning(
                "audit post for send %s to %s failed: %s",
                attempt.preview_id,
                self._channel,
                error.response.get("error"),
            )
