"""Slack's Block Kit size limits, enforced by the fake the way Slack enforces them.

Slack rejects a message or modal that breaks a limit (`invalid_blocks` for messages,
`invalid_arguments` for views) instead of truncating it, and the rejection only shows up
at run time, in front of a supervisor. The fake applies the same limits so a test that
renders 51 blocks or a 25-character modal title fails in CI, with Slack's own
`json-pointer` style message telling which field is too big.

Limits come from /work/shared/api-docs/NOTES.md section C plus a few long-standing Block
Kit rules (ids ≤ 255, header ≤ 150, option value ≤ 150, actions ≤ 25 elements,
context ≤ 10 elements, unique `block_id`s, `submit` required when a modal has inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

MESSAGE_MAX_BLOCKS: Final = 50
MODAL_MAX_BLOCKS: Final = 100
SECTION_TEXT_MAX: Final = 3000
SECTION_FIELDS_MAX: Final = 10
SECTION_FIELD_TEXT_MAX: Final = 2000
HEADER_TEXT_MAX: Final = 150
CONTEXT_ELEMENTS_MAX: Final = 10
ACTIONS_ELEMENTS_MAX: Final = 25
INPUT_LABEL_MAX: Final = 2000
BUTTON_TEXT_MAX: Final = 75
BUTTON_VALUE_MAX: Final = 2000
SELECT_OPTIONS_MAX: Final = 100
OPTION_TEXT_MAX: Final = 75
OPTION_VALUE_MAX: Final = 150
MODAL_TITLE_MAX: Final = 24
MODAL_BUTTON_TEXT_MAX: Final = 24
PRIVATE_METADATA_MAX: Final = 3000
ID_MAX: Final = 255

_OPTION_LIST_TYPES: Final = frozenset(
    {"static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"}
)


def message_problems(blocks: Any, *, pointer: str = "/blocks") -> list[str]:
    """Everything Slack would reject in a message's `blocks` (empty list: acceptable)."""
    problems: list[str] = []
    _check_blocks(blocks, MESSAGE_MAX_BLOCKS, pointer, problems)
    return problems


def modal_problems(view: Any, *, pointer: str = "/view") -> list[str]:
    """Everything Slack would reject in a `views.open/update/push` view payload."""
    problems: list[str] = []
    if not isinstance(view, Mapping):
        return [f"must be an object [json-pointer:{pointer}]"]
    if view.get("type") != "modal":
        problems.append(f"must be 'modal' [json-pointer:{pointer}/type]")
    title = view.get("title")
    if not isinstance(title, Mapping) or not title.get("text"):
        problems.append(f"missing required field: title [json-pointer:{pointer}/title]")
    else:
        _check_length(title.get("text"), MODAL_TITLE_MAX, f"{pointer}/title/text", problems)
    for button in ("submit", "close"):
        label = view.get(button)
        if isinstance(label, Mapping):
            _check_length(
                label.get("text"), MODAL_BUTTON_TEXT_MAX, f"{pointer}/{button}/text", problems
            )
    blocks = view.get("blocks", [])
    _check_blocks(blocks, MODAL_MAX_BLOCKS, f"{pointer}/blocks", problems)
    has_input = isinstance(blocks, list) and any(
        isinstance(block, Mapping) and block.get("type") == "input" for block in blocks
    )
    if has_input and not isinstance(view.get("submit"), Mapping):
        problems.append(
            f"must provide submit when the view contains an input block [json-pointer:{pointer}/submit]"
        )
    _check_length(
        view.get("private_metadata"),
        PRIVATE_METADATA_MAX,
        f"{pointer}/private_metadata",
        problems,
    )
    _check_length(view.get("callback_id"), ID_MAX, f"{pointer}/callback_id", problems)
    _check_length(view.get("external_id"), ID_MAX, f"{pointer}/external_id", problems)
    return problems


def _check_length(value: Any, limit: int, pointer: str, problems: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}]")


def _check_count(items: Any, limit: int, pointer: str, problems: list[str]) -> None:
    if isinstance(items, list) and len(items) > limit:
        problems.append(f"must be less than {limit + 1} items [json-pointer:{pointer}]")


def _text_of(text_object: Any) -> Any:
    return text_object.get("text") if isinstance(text_object, Mapping) else None


def _check_blocks(blocks: Any, max_blocks: int, pointer: str, problems: list[str]) -> None:
    if not isinstance(blocks, list):
        problems.append(f"must be an array [json-pointer:{pointer}]")
        return
    _check_count(blocks, max_blocks, pointer, problems)
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        here = f"{pointer}/{index}"
        if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
            problems.append(f"missing required field: type [json-pointer:{here}]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            _check_length(block_id, ID_MAX, f"{here}/block_id", problems)
            if block_id in seen_block_ids:
                problems.append(f"duplicate block_id {block_id!r} [json-pointer:{here}/block_id]")
            seen_block_ids.add(block_id)
        _check_block(block, here, problems)


def _check_block(block: Mapping[str, Any], here: str, problems: list[str]) -> None:
    kind = block["type"]
    if kind == "section":
        _check_length(_text_of(block.get("text")), SECTION_TEXT_MAX, f"{here}/text/text", problems)
        fields = block.get("fields")
        _check_count(fields, SECTION_FIELDS_MAX, f"{here}/fields", problems)
        if isinstance(fields, list):
            for number, field in enumerate(fields):
                _check_length(
                    _text_of(field),
                    SECTION_FIELD_TEXT_MAX,
                    f"{here}/fields/{number}/text",
                    problems,
                )
        if "accessory" in block:
            _check_element(block["accessory"], f"{here}/accessory", problems)
    elif kind == "header":
        _check_length(_text_of(block.get("text")), HEADER_TEXT_MAX, f"{here}/text/text", problems)
    elif kind == "context":
        _check_count(block.get("elements"), CONTEXT_ELEMENTS_MAX, f"{here}/elements", problems)
    elif kind == "actions":
        elements = block.get("elements")
        _check_count(elements, ACTIONS_ELEMENTS_MAX, f"{here}/elements", problems)
        if isinstance(elements, list):
            seen_action_ids: set[str] = set()
            for number, element in enumerate(elements):
                _check_element(element, f"{here}/elements/{number}", problems)
                action_id = element.get("action_id") if isinstance(element, Mapping) else None
                if isinstance(action_id, str):
                    if action_id in seen_action_ids:
                        problems.append(
                            f"duplicate action_id {action_id!r} "
                            f"[json-pointer:{here}/elements/{number}/action_id]"
                        )
                    seen_action_ids.add(action_id)
    elif kind == "input":
        _check_length(_text_of(block.get("label")), INPUT_LABEL_MAX, f"{here}/label/text", problems)
        _check_length(_text_of(block.get("hint")), INPUT_LABEL_MAX, f"{here}/hint/text", problems)
        if "element" in block:
            _check_element(block["element"], f"{here}/element", problems)


def _check_element(element: Any, here: str, problems: list[str]) -> None:
    if not isinstance(element, Mapping):
        return
    _check_length(element.get("action_id"), ID_MAX, f"{here}/action_id", problems)
    kind = element.get("type")
    if kind == "button":
        _check_length(_text_of(element.get("text")), BUTTON_TEXT_MAX, f"{here}/text/text", problems)
        _check_length(element.get("value"), BUTTON_VALUE_MAX, f"{here}/value", problems)
    elif kind in _OPTION_LIST_TYPES:
        _check_options(element.get("options"), f"{here}/options", problems)
        groups = element.get("option_groups")
        _check_count(groups, SELECT_OPTIONS_MAX, f"{here}/option_groups", problems)
        if isinstance(groups, list):
            for number, group in enumerate(groups):
                if isinstance(group, Mapping):
                    _check_options(
                        group.get("options"), f"{here}/option_groups/{number}/options", problems
                    )


def _check_options(options: Any, here: str, problems: list[str]) -> None:
    _check_count(options, SELECT_OPTIONS_MAX, here, problems)
    if not isinstance(options, list):
        return
    for number, option in enumerate(options):
        if isinstance(option, Mapping):
            _check_length(
                _text_of(option.get("text")),
                OPTION_TEXT_MAX,
                f"{here}/{number}/text/text",
                problems,
            )
            _check_length(option.get("value"), OPTION_VALUE_MAX, f"{here}/{number}/value", problems)
