"""Slack messages and modals as a terminal shows them: what a supervisor would read."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import datetime
from typing import Any

EMOJI = {
    ":white_check_mark:": "✅",
    ":heavy_minus_sign:": "➖",
    ":warning:": "⚠️ ",
    ":x:": "❌",
    ":no_entry:": "⛔",
    ":rotating_light:": "🚨",
    ":large_green_circle:": "🟢",
    ":white_circle:": "⚪",
    ":mag:": "🔍",
    ":hourglass:": "⌛",
    ":hourglass_flowing_sand:": "⏳",
    ":eyes:": "👀",
    ":pencil:": "📝",
    ":wastebasket:": "🗑 ",
    ":information_source:": "ℹ️ ",
    ":heavy_plus_sign:": "➕",
    ":arrows_counterclockwise:": "🔄",
    ":twisted_rightwards_arrows:": "🔀",
    ":grey_question:": "❔",
}
_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
WIDTH = 96


def show_text(markdown: str, people: dict[str, str]) -> str:
    """Slack mrkdwn → what the reader sees (Slack shows &lt; as <; mentions as @name)."""
    text = _DATE.sub(lambda m: datetime.fromtimestamp(int(m[1])).strftime("%b %d %H:%M"), markdown)
    text = _USER.sub(lambda m: "@" + people.get(m[1], m[1]), text)
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})", text)
    for code, glyph in EMOJI.items():
        text = text.replace(code, glyph)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_blocks(blocks: list[dict[str, Any]], people: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines += [f"▌ {show_text(block['text']['text'], people)}"]
        elif kind == "section":
            text = block.get("text", {}).get("text", "")
            for line in show_text(text, people).splitlines() or [""]:
                lines += textwrap.wrap(line, WIDTH, subsequent_indent="    ") or [""]
            if (accessory := block.get("accessory")) and accessory.get("type") == "image":
                lines.append(f"    [image: {accessory['image_url']}]")
        elif kind == "context":
            text = " ".join(e.get("text", "") for e in block.get("elements", []))
            lines += [f"  · {line}" for line in textwrap.wrap(show_text(text, people), WIDTH - 4)]
        elif kind == "actions":
            lines.append(
                "  " + "  ".join(f"[ {e['text']['text']} ]" for e in block.get("elements", []))
            )
        elif kind == "input":
            element = block.get("element", {})
            lines.append(f"  {block['label']['text']}:")
            value = element.get("initial_value") or (element.get("initial_option") or {}).get(
                "text", {}
            ).get("text", "")
            lines += [f"    | {line}" for line in (value.splitlines() or ["(empty)"])]
        elif kind == "divider":
            lines.append("  " + "─" * 40)
    return lines


def render_message(payload: dict[str, Any], people: dict[str, str]) -> str:
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    visibility = "in channel" if payload.get("response_type") == "in_channel" else "only you"
    body = render_blocks(blocks, people) if blocks else [show_text(payload.get("text", ""), people)]
    return _box(f"deskbot ({visibility})", body)


def render_modal(view: dict[str, Any], people: dict[str, str]) -> str:
    title = view.get("title", {}).get("text", "")
    body = render_blocks(view.get("blocks", []), people)
    if submit := (view.get("submit") or {}).get("text"):
        body.append(f"  [ {submit} ]  [ {(view.get('close') or {}).get('text', 'Cancel')} ]")
    return _box(f"modal: {title}", body)


def _box(title: str, lines: list[str]) -> str:
    top = f"┌─ {title} " + "─" * max(0, WIDTH - len(title) - 3)
    return "\n".join(
        [top, *(f"│ {line}" for line in lines if line is not None), "└" + "─" * (WIDTH + 1)]
    )
