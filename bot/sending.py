"""Customer messages: preview, then send exactly once.

A preview fixes everything the customer will receive (the vendor MsgBody) and one MsgRandom,
and stores them; nothing reaches the vendor before Send. Send claims the preview atomically,
so a double click or a redelivered action sends one message, and any retry reuses the same
MsgRandom. When the outcome is unknowable (the answer was lost), it is said so, never re-sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.clock import Clock
from bot.errors import ConnectFailed, DeskError, RequestError, VendorError
from bot.messages import MessageTemplates
from bot.models import MessageTarget, RenderedMessage
from bot.state import PendingSend, SendClaim, StateStore
from bot.vendors.tencent import TencentDeskClient, msg_body, prepare_send

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Preview:
    id: str
    target: MessageTarget
    template: str
    language: str | None
    message: RenderedMessage
    size: int  # bytes of the vendor request body (limit 12 KB)


@dataclass(frozen=True, slots=True)
class SendResult:
    preview_id: str
    status: str  # "sent" | "failed" | "retryable" | "already_sent" | "in_progress" | "cancelled" | "unknown" | "expired" | "not_found"
    sentence: str
    next_step: str = ""

    @property
    def delivered(self) -> bool:
        return self.status in ("sent", "already_sent")


_CLAIM_ANSWERS: dict[SendClaim, tuple[str, str, str]] = {
    SendClaim.SENT: ("already_sent", "This message was already sent.", "Nothing was sent twice."),
    SendClaim.IN_PROGRESS: (
        "in_progress",
        "This message is being sent right now.",
        "Nothing was sent twice.",
    ),
    SendClaim.FAILED: (
        "failed",
        "This message failed earlier and was not sent.",
        "Preview it again to retry.",
    ),
    SendClaim.CANCELLED: (
        "cancelled",
        "This preview was cancelled.",
        "Preview it again to send it.",
    ),
    SendClaim.UNKNOWN: (
        "unknown",
        "An earlier attempt to send this message was interrupted; it may or may not have arrived.",
        "Check the chat in the Desk workbench before sending anything again.",
    ),
    SendClaim.EXPIRED: ("expired", "This preview has expired.", "Preview the message again."),
    SendClaim.NOT_FOUND: (
        "not_found",
        "This preview no longer exists.",
        "Preview the message again.",
    ),
}


class MessageSender:
    def __init__(
        self,
        client: TencentDeskClient,
        *,
        templates: MessageTemplates,
        state: StateStore,
        clock: Clock,
    ) -> None:
        self._client = client
        self._templates = templates
        self._state = state
        self._clock = clock

    def preview(
        self,
        *,
        actor: str,
        target: MessageTarget,
        template: str,
        values: Mapping[str, str],
        language: str | None,
    ) -> Preview:
        message = self._templates.render(template, values, language=language)
        elements = msg_body(message)
        pending = PendingSend.new(
            user_id=actor,
            target=target,
            template=template,
            language=self._templates.resolve_language(template, language),
            body_json=json.dumps(elements, ensure_ascii=False),
            clock=self._clock,
        )
        prepared = prepare_send(target, elements, pending.msg_random)  # raises when over 12 KB
        self._state.save_preview(pending)
        return Preview(
            id=pending.id,
            target=target,
            template=template,
            language=pending.language,
            message=message,
            size=prepared.size,
        )

    def send(self, *, preview_id: str) -> SendResult:
        claim = self._state.claim_send(preview_id)
        if claim is not SendClaim.CLAIMED:
            status, sentence, next_step = _CLAIM_ANSWERS[claim]
            return SendResult(preview_id, status, sentence, next_step)
        pending = self._state.preview(preview_id)
        if pending is None:  # claimed but gone: only a store fault can do this
            return SendResult(preview_id, "not_found", *_CLAIM_ANSWERS[SendClaim.NOT_FOUND][1:])
        prepared = prepare_send(pending.target, json.loads(pending.body_json), pending.msg_random)
        try:
            self._client.send(prepared)
        except ConnectFailed as error:
            # The request never left: a retry (same MsgRandom) cannot double the message.
            logger.warning("send %s: not sent (%s)", preview_id, error.context())
            self._state.finish_send(preview_id, outcome="retryable", detail=error.sentence)
            return SendResult(
                preview_id,
                "retryable",
                f"{error.sentence} The message was not sent.",
                "Press Send again in a moment.",
            )
        except RequestError as error:
            # The request left but no usable answer came back: it may have been delivered,
            # and the vendor's de-duplication window is unconfirmed, so never re-send blindly.
            logger.warning("send %s: outcome unknown (%s)", preview_id, error.context())
            self._state.finish_send(
                preview_id, outcome="failed", detail=f"outcome unknown: {error.sentence}"
            )
            return SendResult(
                preview_id,
                "unknown",
                f"{error.sentence} The message may or may not have arrived.",
                "Check the chat in the Desk workbench before sending it again.",
            )
        except VendorError as error:
            logger.warning("send %s refused: %s", preview_id, error.context())
            self._state.finish_send(preview_id, outcome="failed", detail=error.sentence)
            return SendResult(preview_id, "failed", error.sentence, error.next_step)
        self._state.finish_send(preview_id, outcome="sent", detail="delivered")
        return SendResult(preview_id, "sent", f"Sent to {pending.target.describe()}.", "")

    def cancel(self, *, preview_id: str) -> bool:
        return self._state.cancel_preview(preview_id)

    def owner(self, preview_id: str) -> str | None:
        pending = self._state.preview(preview_id)
        return pending.user_id if pending else None


__all__ = ["DeskError", "MessageSender", "Preview", "SendResult"]
