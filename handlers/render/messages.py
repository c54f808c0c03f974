"""The preview of a customer message, what became of it, and its line in the audit channel.

The preview shows the text exactly as the customer will read it: in `plain_text` (no mrkdwn,
no emoji codes turned into pictures, nothing to escape), split over as many sections as
Slack's 3000-character limit needs. A card is shown as a card: title, description, link and
the picture as an image accessory.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ImageElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.models import CardMessage, TextMessage
from bot.sending import Preview, SendAttempt, SendResult
from bot.vendors.tencent import MAX_BODY_BYTES
from handlers.render import (
    MAX_SECTION_TEXT,
    Reply,
    button,
    buttons,
    context,
    error_reply,
    escape,
    section,
)

SEND_MESSAGE_ACTION_ID = "send_message_id"
CANCEL_SEND_ACTION_ID = "cancel_send_id"
MAX_IMAGE_URL = 3000  # Slack refuses a longer image_url

_OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    "sent": (":outbox_tray:", "sent"),
    "failed": (":x:", "not sent"),
    "retryable": (":hourglass:", "not sent yet, can be retried"),
    "unknown": (":grey_question:", "outcome unknown"),
}


def exact_text(text: str, *, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """`text` in pieces of at most `limit` characters that join back to exactly `text`.

    Pieces end after a line break where possible, else after a space.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n") + 1 or window.rfind(" ") + 1 or limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def preview_blocks(preview: Preview, *, picture_failed: bool = False) -> list[Block]:
    message = preview.message
    if isinstance(message, TextMessage):
        return [
            SectionBlock(text=PlainTextObject(text=piece, emoji=False))
            for piece in exact_text(message.text)
        ]
    assert isinstance(message, CardMessage)
    if picture_failed:
        return [
            context("A card message:"),
            card_block(message, show_picture=False),
            context(
                f":warning: Slack could not show the card's picture ({escape(message.pic)}). "
                "Check that address: the customer's card may show no picture either."
            ),
        ]
    return [context("A card message:"), card_block(message)]


def card_block(card: CardMessage, *, show_picture: bool = True) -> SectionBlock:
    """Title, description and link, with the picture beside them, as the Desk shows a card."""
    lines = [f"*{escape(card.header)}*"]
    if card.desc:
        lines.append(escape(card.desc))
    if card.url:
        # `|` would end the link target early; %7C is the same address.
        lines.append(f"<{escape(card.url).replace('|', '%7C')}|{escape(card.url)}>")
    block = SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:MAX_SECTION_TEXT]))
    if show_picture and card.pic and len(card.pic) <= MAX_IMAGE_URL:
        block.accessory = ImageElement(image_url=card.pic, alt_text=card.header[:2000])
    return block


def preview_reply(preview: Preview, *, picture_failed: bool = False) -> Reply:
    language = f" ({escape(preview.language)})" if preview.language else ""
    blocks: list[Block] = [
        section(
            f":eyes: *Preview* — `{escape(preview.template)}`{language} to "
            f"{escape(preview.target.describe())}. The customer will see exactly this:"
        ),
        *_language_note(preview),
        *preview_blocks(preview, picture_failed=picture_failed),
        buttons(
            button("Send", SEND_MESSAGE_ACTION_ID, preview.id, style="primary"),
            button("Cancel", CANCEL_SEND_ACTION_ID, preview.id),
        ),
        context(
            f"Nothing is sent until you press Send. {preview.size:,} of {MAX_BODY_BYTES:,} bytes."
            + _other_languages(preview)
        ),
    ]
    return Reply(text=f"Preview of {preview.template}", blocks=blocks)


def _language_note(preview: Preview) -> list[Block]:
    """Say so when the text is not in the language asked for (lang=, or the account's)."""
    wanted, chosen = preview.requested_language, preview.language
    if not wanted or (chosen and _same_language(wanted, chosen)):
        return []
    written = f"the {escape(chosen)} text" if chosen else "its default text"
    return [
        context(
            f":warning: `{escape(preview.template)}` has no {escape(wanted)} text, "
            f"so this is {written}."
        )
    ]


def _same_language(one: str, other: str) -> bool:
    return one.strip().replace("_", "-").casefold() == other.strip().replace("_", "-").casefold()


def _other_languages(preview: Preview) -> str:
    others = [lang for lang in preview.languages if lang != preview.language]
    if not others:
        return ""
    options = ", ".join(f"`lang={escape(lang)}`" for lang in others)
    return f" For a customer who reads another language, add {options}."


def send_result_reply(result: SendResult) -> Reply:
    if result.status == "sent":
        return Reply(
            text=result.sentence, blocks=[section(f":white_check_mark: {escape(result.sentence)}")]
        )
    if result.status in ("already_sent", "in_progress", "cancelled"):
        return Reply(
            text=result.sentence,
            blocks=[
                section(
                    f":information_source: {escape(result.sentence)} {escape(result.next_step)}"
                )
            ],
        )
    if result.status == "unknown":
        return Reply(
            text=result.sentence,
            blocks=[
                section(f":grey_question: {escape(result.sentence)}\n{escape(result.next_step)}")
            ],
        )
    return error_reply(result.sentence, result.next_step)


def send_audit_post(attempt: SendAttempt) -> dict[str, Any]:
    """One audit-channel line per send: who, where, which template, outcome. Never the text."""
    icon, outcome = _OUTCOME_WORDS.get(attempt.outcome, ("", attempt.outcome))
    language = f" ({escape(attempt.language)})" if attempt.language else ""
    text = (
        f"{icon} *{outcome}* · <@{attempt.user_id}> · message `{escape(attempt.template)}`"
        f"{language} to {escape(attempt.target)}"
        + ("" if attempt.outcome == "sent" else f": {escape(attempt.sentence)}")
        + f" (MsgRandom {attempt.msg_random})"
    )
    fallback = escape(f"{outcome}: message {attempt.template} to {attempt.target}")
    return {"text": fallback[:MAX_SECTION_TEXT], "blocks": [section(text).to_dict()]}
