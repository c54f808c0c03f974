"""Customer messages: preview, then send exactly once.

A preview fixes everything the customer will receive (the vendor MsgBody) and one MsgRandom,
and stores them; nothing reaches the vendor before Send. Send claims the preview atomically,
so a double click or a redelivered action sends one message, and any retry reuses the same
MsgRandom. When the outcome is unknowable (the answer was lost), it is said so, never re-sent.

How one claimed Send ends (`SendResult.status`, also the stored outcome):

    sent        the vendor said OK
    retryable   surely not delivered: could not connect, budget or rate limit, or the vendor's
                internal error (141002, "please retry"); the preview stays pending, same MsgRandom
    unknown     the request left but no usable answer came back (timeout, dropped connection,
                gateway 5xx, garbage): maybe delivered, so never sent again
    failed      the vendor refused it (ended session, permissions, …): nothing was sent

A click on a preview an earlier click already decided answers `repeat=True` without calling
the vendor. Only the supervisor who made a preview may send or cancel it (checked by `Desk`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.clock import Clock
from bot.errors import (
    BudgetExhausted,
    ConnectFailed,
    DeskError,
    RateLimited,
    RequestError,
    VendorError,
    VendorFailure,
    VendorUnreachable,
)
from bot.messages import MessageTemplates
from bot.models import MessageTarget, RenderedMessage
from bot.state import PendingSend, SendClaim, SendOutcome, StateStore
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
    languages: tuple[str, ...] = ()  # every language the template is written in
    requested_language: str | None = None  # lang=, or the IM agent's default language


@dataclass(frozen=True, slots=True)
class SendAttempt:
    """One claimed send and how it ended, for the audit. Never the customer's text."""

    preview_id: str
    user_id: str  # who previewed and pressed Send (only the previewer may send)
    target: str  # MessageTarget.describe()
    template: str
    language: str | None
    msg_random: int
    outcome: str  # "sent" | "failed" | "retryable" | "unknown"
    sentence: str


@dataclass(frozen=True, slots=True)
class SendResult:
    preview_id: str
    status: str  # "sent" | "failed" | "retryable" | "already_sent" | "in_progress" | "cancelled" | "unknown" | "expired" | "not_found"
    sentence: str
    next_step: str = ""
    # True when an earlier click already decided this preview's fate: the answer must not
    # replace the outcome that click showed.
    repeat: bool = False
    # The vendor call this click made (None when it made none).
    attempt: SendAttempt | None = None

    @property
    def delivered(self) -> bool:
        return self.status in ("sent", "already_sent")


_SEND_AGAIN = "Preview it again with `/desk send` if it should still go out."
_CLAIM_ANSWERS: dict[SendClaim, tuple[str, str, str]] = {
    SendClaim.SENT: (
        "already_sent",
        "This message was already sent.",
        "It was not sent a second time.",
    ),
    SendClaim.IN_PROGRESS: (
        "in_progress",
        "This message is being sent right now, from an earlier click.",
        "It is sent only once; the outcome will replace the preview.",
    ),
    SendClaim.FAILED: (
        "failed",
        "This message could not be sent earlier, and nothing was sent now either.",
        _SEND_AGAIN,
    ),
    SendClaim.CANCELLED: (
        "cancelled",
        "This preview was cancelled, so nothing was sent.",
        _SEND_AGAIN,
    ),
    SendClaim.UNKNOWN: (
        "unknown",
        "An earlier attempt to send this message got no answer, so it may or may not have "
        "arrived; it was not sent again.",
        "Check the chat in the Desk workbench before sending anything again.",
    ),
    SendClaim.EXPIRED: (
        "expired",
        "This preview has expired and its text was discarded, so nothing was sent.",
        _SEND_AGAIN,
    ),
    SendClaim.NOT_FOUND: (
        "not_found",
        "deskbot has no record of this preview, so nothing was sent.",
        _SEND_AGAIN,
    ),
}
# Claims refused because an earlier click decided the preview: answers to a repeated click.
_REPEATED: frozenset[SendClaim] = frozenset(
    {
        SendClaim.SENT,
        SendClaim.IN_PROGRESS,
        SendClaim.FAILED,
        SendClaim.CANCELLED,
        SendClaim.UNKNOWN,
    }
)
# Errors after which the vendor surely did not deliver: could not connect, our own budget
# or the vendor's rate limit said no, or the vendor failed internally and asks for a retry.
# The preview stays pending with its MsgRandom, so pressing Send again cannot double it.
_NOT_DELIVERED = (ConnectFailed, BudgetExhausted, RateLimited, VendorFailure)


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
        """Render, build and measure the vendor body, and store it with a fresh MsgRandom.

        Raises `TemplateError` for a template problem and `BadRequest` (93000's sentence)
        when the body is over 12 KB; in both cases nothing is stored and nothing is sent.
        """
        message = self._templates.render(template, values, language=language)
        info = self._templates.info(template, language=language)
        elements = msg_body(message)
        pending = PendingSend.new(
            user_id=actor,
            target=target,
            template=info.name,
            language=self._templates.resolve_language(template, language),
            body_json=json.dumps(elements, ensure_ascii=False),
            clock=self._clock,
        )
        prepared = prepare_send(target, elements, pending.msg_random)  # raises when over 12 KB
        self._state.save_preview(pending)
        return Preview(
            id=pending.id,
            target=target,
            template=info.name,
            language=pending.language,
            message=message,
            size=prepared.size,
            languages=info.languages,
            requested_language=language or None,
        )

    def send(self, *, preview_id: str) -> SendResult:
        """Send a stored preview at most once; every outcome is recorded before returning."""
        claim = self._state.claim_send(preview_id)
        if claim is not SendClaim.CLAIMED:
            status, sentence, next_step = _CLAIM_ANSWERS[claim]
            return SendResult(preview_id, status, sentence, next_step, repeat=claim in _REPEATED)
        pending = self._state.preview(preview_id)
        if pending is None:  # claimed but gone: only a store fault can do this
            return SendResult(preview_id, "not_found", *_CLAIM_ANSWERS[SendClaim.NOT_FOUND][1:])
        outcome: SendOutcome
        try:
            outcome, result = self._deliver(pending)
        except Exception:
            # A fault of deskbot's own mid-send: the request may have left, so never re-send.
            logger.exception("send %s: failed unexpectedly; outcome unknown", preview_id)
            outcome, result = (
                "unknown",
                SendResult(
                    preview_id,
                    "unknown",
                    "Something went wrong on deskbot's side while sending, so the message "
                    "may or may not have arrived; it will not be sent again.",
                    "Check the chat in the Desk workbench before sending anything again.",
                ),
            )
        detail = result.sentence if outcome != "unknown" else f"outcome unknown: {result.sentence}"
        self._state.finish_send(preview_id, outcome=outcome, detail=detail)
        attempt = SendAttempt(
            preview_id=preview_id,
            user_id=pending.user_id,
            target=pending.target.describe(),
            template=pending.template,
            language=pending.language,
            msg_random=pending.msg_random,
            outcome=outcome,
            sentence=result.sentence,
        )
        return replace(result, attempt=attempt)

    def _deliver(self, pending: PendingSend) -> tuple[SendOutcome, SendResult]:
        """Call send_msg once (the client retries only a request that never left)."""
        preview_id = pending.id
        prepared = prepare_send(pending.target, json.loads(pending.body_json), pending.msg_random)
        try:
            self._client.send(prepared)
        except _NOT_DELIVERED as error:
            # The vendor surely did not take it: pressing Send again (same MsgRandom) is safe.
            logger.warning("send %s: not sent, may be retried (%s)", preview_id, _context(error))
            return "retryable", SendResult(
                preview_id,
                "retryable",
                f"{error.sentence} The message was not sent.",
                f"Press Send again {_when(error)}; the preview is kept.",
            )
        except RequestError as error:
            # The request left but no usable answer came back: it may have been delivered,
            # and the vendor's de-duplication window is unconfirmed, so never re-send blindly.
            logger.warning("send %s: outcome unknown (%s)", preview_id, error.context())
            return "unknown", SendResult(
                preview_id,
                "unknown",
                f"{_no_answer(error)} The message may or may not have arrived; "
                "it will not be sent again.",
                "Check the chat in the Desk workbench before sending anything again.",
            )
        except VendorError as error:
            logger.warning("send %s refused: %s", preview_id, error.context())
            next_step = error.next_step
            if not next_step.startswith("Nothing was sent"):
                next_step = f"Nothing was sent. {next_step}".strip()
            return "failed", SendResult(preview_id, "failed", error.sentence, next_step)
        return "sent", SendResult(
            preview_id, "sent", f"Sent {pending.template} to {pending.target.describe()}."
        )

    def cancel(self, *, preview_id: str) -> bool:
        return self._state.cancel_preview(preview_id)

    def owner(self, preview_id: str) -> str | None:
        pending = self._state.preview(preview_id)
        return pending.user_id if pending else None


def _context(error: DeskError) -> str:
    return error.context() if isinstance(error, VendorError) else str(error)


def _when(error: DeskError) -> str:
    """When pressing Send again makes sense, from the error's retry_after if it has one."""
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        return f"in about {max(1, round(retry_after))} s"
    return "in a minute"


def _no_answer(error: RequestError) -> str:
    """What went wrong, in words: a dropped connection is not "could not reach"."""
    if isinstance(error, VendorUnreachable) and error.code is None:
        return f"The connection to {error.vendor} broke before it answered."
    return error.sentence


__all__ = ["DeskError", "MessageSender", "Preview", "SendAttempt", "SendResult"]
