"""Block Kit for every answer deskbot gives. Vendor data is escaped here, always.

slack_sdk's block models validate Slack's limits when they are serialised; the helpers below
keep texts inside those limits first (3000 per section, 50 blocks per message), so a long list
is split into several sections rather than refused by Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_VALUE = 2000


def escape(text: object) -> str:
    """Slack's three control characters, so vendor data can never ping or link anyone."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_clipped(text: object, limit: int) -> str:
    """`escape(text)` in at most `limit` characters, never cutting an entity in half."""
    pieces: list[str] = []
    size = 0
    raw = str(text)
    for index, character in enumerate(raw):
        piece = escape(character)
        last = index == len(raw) - 1
        if size + len(piece) > (limit if last else limit - 1):
            pieces.append("…")
            break
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces)


@dataclass
class Reply:
    """One message to the person: fallback text plus blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    in_channel: bool = False

    def payload(self) -> dict[str, Any]:
        blocks = self.blocks[:MAX_BLOCKS]
        if len(self.blocks) > MAX_BLOCKS:
            blocks[-1] = context(
                f"…and more than Slack shows in one message ({len(self.blocks)} parts)."
            )
        return {
            "text": self.text[:MAX_SECTION_TEXT],
            "blocks": [block.to_dict() for block in blocks],
            "response_type": "in_channel" if self.in_channel else "ephemeral",
        }


def section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_clip(markdown, MAX_SECTION_TEXT)))


def sections(lines: Iterable[str], *, limit: int = MAX_SECTION_TEXT) -> list[Block]:
    """Pack lines into as few sections as fit, never splitting a line."""
    return [section("\n".join(chunk)) for chunk in _pack(lines, limit)]


def capped_sections(
    lines: Sequence[str], *, max_blocks: int, more: Callable[[int], str]
) -> list[Block]:
    """`sections(lines)`, but at most `max_blocks` blocks: when the lines do not fit, the last
    block says how many were left out (`more(count)`), so a long list never breaks Slack's
    50-block limit and never ends without saying so."""
    chunks = _pack(lines, MAX_SECTION_TEXT)
    if len(chunks) <= max_blocks:
        return [section("\n".join(chunk)) for chunk in chunks]
    kept = chunks[: max_blocks - 1]
    hidden = len(lines) - sum(len(chunk) for chunk in kept)
    return [*(section("\n".join(chunk)) for chunk in kept), section(more(hidden))]


def _pack(lines: Iterable[str], limit: int) -> list[list[str]]:
    chunks: list[list[str]] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = _clip(line, limit)
        if chunk and size + len(line) + 1 > limit:
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        chunks.append(chunk)
    return chunks


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=_clip(text, MAX_HEADER_TEXT))


def context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=_clip(markdown, MAX_SECTION_TEXT))])


def divider() -> DividerBlock:
    return DividerBlock()


def buttons(*elements: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(elements), block_id=block_id)


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=_clip(text, 75), action_id=action_id, value=value[:MAX_BUTTON_VALUE], style=style
    )


def error_reply(sentence: str, next_step: str = "") -> Reply:
    """The sentence may quote what a person typed, so it is escaped; next steps are ours."""
    lines = [f":warning: {escape(sentence)}"]
    if next_step:
        lines.append(next_step)
    return Reply(text=escape(sentence), blocks=[section("\n".join(lines))])


def age_note(age_seconds: float, stale: bool, reason: str = "", *, source: str = "") -> str:
    """'as of 40 s ago' for cached data; a warning when it is stale. `source` names where
    the data comes from ("7moor"), since supervisors know the product, not "the vendor"."""
    age = _duration(age_seconds)
    if stale:
        why = f" {reason}" if reason else ""
        return f":hourglass: Showing the last answer, from {age} ago.{why}"
    if age_seconds < 2:
        return f"Live from {source or 'the vendor'}."
    return f"As of {age} ago (cached)."


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join_names(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
