"""The Block Kit limits the fake enforces: at the limit passes, one over fails, by pointer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.slack_fakes.block_kit import message_problems, modal_problems


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(text: str = "Undo", value: str = "v", action_id: str = "undo") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def _select(options: int, text: str = "opt", value: str = "v") -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "pick",
        "options": [
            {"text": {"type": "plain_text", "text": text}, "value": f"{value}{n}"}
            for n in range(options)
        ],
    }


def _modal(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Members"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [],
    }
    view.update(overrides)
    return view


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "divider"}] * 51, "/blocks"),
        ([_section("x" * 3001)], "/blocks/0/text/text"),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "/blocks/0/fields",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "/blocks/0/fields/0/text",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "/blocks/0/text/text",
        ),
        ([{"type": "actions", "elements": [_button("b" * 76)]}], "/blocks/0/elements/0/text/text"),
        (
            [{"type": "actions", "elements": [_button(value="v" * 2001)]}],
            "/blocks/0/elements/0/value",
        ),
        ([{**_section("s"), "accessory": _select(101)}], "/blocks/0/accessory/options"),
        (
            [{**_section("s"), "accessory": _select(1, text="o" * 76)}],
            "/blocks/0/accessory/options/0/text/text",
        ),
        (
            [{**_section("s"), "accessory": _select(1, value="v" * 150)}],
            "/blocks/0/accessory/options/0/value",
        ),
        ([{"type": "divider", "block_id": "b" * 256}], "/blocks/0/block_id"),
    ],
)
def test_message_limit_breaches_name_the_field(blocks: list[dict[str, Any]], pointer: str) -> None:
    [problem] = message_problems(blocks)

    assert problem.endswith(f"[json-pointer:{pointer}]")


def test_message_at_every_limit_is_accepted() -> None:
    blocks = [
        _section("x" * 3000),
        {"type": "actions", "elements": [_button("b" * 75, "v" * 2000)]},
    ]
    blocks += [{**_section("s"), "accessory": _select(100, text="o" * 75)}]
    blocks += [{"type": "divider"}] * (50 - len(blocks))

    assert message_problems(blocks) == []


def test_duplicate_ids_are_rejected() -> None:
    problems = message_problems(
        [
            {"type": "divider", "block_id": "same"},
            {"type": "actions", "block_id": "same", "elements": [_button(), _button()]},
        ]
    )

    assert any("duplicate block_id 'same'" in p for p in problems)
    assert any("duplicate action_id 'undo'" in p for p in problems)


def test_blocks_must_be_a_list_of_typed_objects() -> None:
    assert message_problems("[]") == ["must be an array [json-pointer:/blocks]"]
    assert message_problems([{"text": "no type"}]) == [
        "missing required field: type [json-pointer:/blocks/0]"
    ]


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"title": {"type": "plain_text", "text": "t" * 25}}, "/view/title/text"),
        ({"submit": {"type": "plain_text", "text": "s" * 25}}, "/view/submit/text"),
        ({"close": {"type": "plain_text", "text": "c" * 25}}, "/view/close/text"),
        ({"private_metadata": "m" * 3001}, "/view/private_metadata"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
        ({"title": None}, "/view/title"),
        ({"type": "home"}, "/view/type"),
    ],
)
def test_modal_limit_breaches_name_the_field(overrides: dict[str, Any], pointer: str) -> None:
    [problem] = modal_problems(_modal(**overrides))

    assert problem.endswith(f"[json-pointer:{pointer}]")


def test_modal_at_every_limit_is_accepted() -> None:
    view = _modal(
        title={"type": "plain_text", "text": "t" * 24},
        submit={"type": "plain_text", "text": "s" * 24},
        private_metadata="m" * 3000,
        blocks=[{"type": "divider"}] * 100,
    )

    assert modal_problems(view) == []


def test_modal_with_inputs_needs_a_submit_button() -> None:
    input_block = {
        "type": "input",
        "block_id": "name",
        "label": {"type": "plain_text", "text": "Name"},
        "element": {"type": "plain_text_input", "action_id": "value"},
    }
    view = _modal(blocks=[input_block])
    del view["submit"]

    assert modal_problems(view) == [
        "must provide submit when the view contains an input block [json-pointer:/view/submit]"
    ]
