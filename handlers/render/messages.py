"""The preview of a customer message, and what became of it."""

from __future__ import annotations

from slack_sdk.models.blocks import ImageElement, MarkdownTextObject, SectionBlock

from bot.models import CardMessage, TextMessage
from bot.sending import Preview, SendResult
from bot.vendors.tencent import MAX_BODY_BYTES
from handlers.render import Reply, button, buttons, context, error_reply, escape, section

SEND_MESSAGE_ACTION_ID = "send_message_id"
CANCEL_SEND_ACTION_ID = "cancel_send_id"


def quoted(text: str) -> str:
    return "\n".join(f">{escape(line)}" if line else ">" for line in text.splitlines() or [""])


def preview_blocks(preview: Preview) -> list:
    message = preview.message
    if isinstance(message, TextMessage):
        return [section(quoted(message.text))]
    assert isinstance(message, CardMessage)
    text = f"*{escape(message.header)}*\n{escape(message.desc)}" + (
        f"\n<{escape(message.url)}|{escape(message.url)}>" if message.url else ""
    )
    card = SectionBlock(text=MarkdownTextObject(text=text[:3000]))
    if message.pic:
        card.accessory = ImageElement(
            image_url=message.pic, alt_text=message.header[:2000] or "card image"
        )
    return [context("Product card:"), card]


def preview_reply(preview: Preview) -> Reply:
    language = f" ({preview.language})" if preview.language else ""
    blocks = [
        section(
            f":eyes: *Preview* — `{escape(preview.template)}`{language} to {escape(preview.target.describe())}. The customer will see exactly this:"
        ),
        *preview_blocks(preview),
        buttons(
            button("Send", SEND_MESSAGE_ACTION_ID, preview.id, style="primary"),
            button("Cancel", CANCEL_SEND_ACTION_ID, preview.id),
        ),
        context(
            f"Nothing is sent until you press Send. {preview.size:,} of {MAX_BODY_BYTES:,} bytes."
        ),
    ]
    return Reply(text=f"Preview of {preview.template}", blocks=blocks)


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
    return error_reply(result.sentence, result.next_step)
