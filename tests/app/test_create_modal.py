"""`/desk create`: a form that can only describe groups 7moor accepts, then a verified create."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt import App

from bot.desk import Desk
from bot.models import ASSIGN_RULES
from bot.simulator import Simulator
from handlers.views.create import (
    CREATE_GROUP_CALLBACK_ID,
    INPUT_ID,
    MEMBERS_BLOCK_ID,
    MEMORY_BLOCK_ID,
    NAME_BLOCK_ID,
    RULE_BLOCK_ID,
)
from tests.app.conftest import buttons_of, visible_text
from tests.change_helpers import CREATE, members_of
from tests.slack_fakes import (
    ADMIN_USER_ID,
    FakeSlackWebApi,
    dispatch,
    slash_command_body,
    view_submission_body,
)

ADMIN = ADMIN_USER_ID


def open_create(app: App, slack_api: FakeSlackWebApi) -> tuple[dict[str, Any], str]:
    """`/desk create` as an admin: the opened view, and the response_url name for its outcome.

    The command answers nothing in the channel until the group exists.
    """
    body = slash_command_body(
        "create", user_id=ADMIN, response_url=slack_api.response_url("create")
    )
    assert dispatch(app, body).status == 200
    [opened] = slack_api.wait_for("views.open")
    return slack_api.view(opened.response["view"]["id"]), "create"


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [found] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return found


def selected(option_value: str, label: str = "") -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": label or option_value},
            "value": option_value,
        },
    }


def submit(
    app: App,
    view: dict[str, Any],
    *,
    name: str | None,
    rule: str = "random",
    memory: str = "off",
    members: str | None = None,
) -> dict[str, Any]:
    values = {
        NAME_BLOCK_ID: {INPUT_ID: {"type": "plain_text_input", "value": name}},
        RULE_BLOCK_ID: {INPUT_ID: selected(rule)},
        MEMORY_BLOCK_ID: {INPUT_ID: selected(memory)},
        MEMBERS_BLOCK_ID: {INPUT_ID: {"type": "plain_text_input", "value": members}},
    }
    body = view_submission_body(
        CREATE_GROUP_CALLBACK_ID,
        values,
        view["private_metadata"],
        view_id=view["id"],
        user_id=ADMIN,
    )
    response = dispatch(app, body)
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


def test_the_form_offers_only_what_7moor_accepts(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    view, _ = open_create(app, slack_api)

    assert view["callback_id"] == CREATE_GROUP_CALLBACK_ID
    memory = block(view, MEMORY_BLOCK_ID)["element"]
    assert [o["value"] for o in memory["options"]] == ["off", "120", "1440", "10080", "43200"]
    assert [o["text"]["text"] for o in memory["options"]] == [
        "Off",
        "Same agent for 2 h",
        "Same agent for 1 day",
        "Same agent for 1 week",
        "Same agent for 30 days",
    ]
    assert memory["initial_option"]["value"] == "off"
    rules = block(view, RULE_BLOCK_ID)["element"]
    assert [o["value"] for o in rules["options"]] == list(ASSIGN_RULES)
    assert list(ASSIGN_RULES) == ["random", "queue", "least", "priority"]
    assert block(view, NAME_BLOCK_ID)["element"]["max_length"] == 64
    assert block(view, MEMBERS_BLOCK_ID)["optional"] is True
    assert simulator.calls() == []  # opening the form asks no vendor


@pytest.mark.parametrize(
    ("name", "members", "errors"),
    [
        (None, None, {NAME_BLOCK_ID: "Give the group a name."}),
        ("   ", None, {NAME_BLOCK_ID: "Give the group a name."}),
        (
            "Late Shift",
            "8021 1\n8021 2",
            {MEMBERS_BLOCK_ID: "line 2: agent 8021 is listed twice"},
        ),
        (
            "",
            "8021 x",
            {
                NAME_BLOCK_ID: "Give the group a name.",
                MEMBERS_BLOCK_ID: "line 1: priority “x” is not a whole number from 0 to 999",
            },
        ),
    ],
)
def test_field_errors_come_back_on_their_fields_and_nothing_is_created(
    app: App,
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    name: str | None,
    members: str | None,
    errors: dict[str, str],
) -> None:
    view, _ = open_create(app, slack_api)

    answer = submit(app, view, name=name, members=members)

    assert answer == {"response_action": "errors", "errors": errors}
    assert simulator.calls(CREATE) == []


def test_create_makes_exactly_that_group_and_reports_skipped_members(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi, desk: Desk
) -> None:
    view, response_url = open_create(app, slack_api)

    working = submit(
        app,
        view,
        name="Late Shift & <Co>",
        rule="least",
        memory="1440",
        members="8021 2  # Alice\n9999 0\n8022",
    )

    assert working["response_action"] == "update"
    assert "Creating the group in 7moor" in visible_text({"blocks": working["view"]["blocks"]})
    [post] = slack_api.wait_for_responses(response_url)
    slack_api.wait_for("views.update")
    [record] = desk.state.recent_changes()
    created = simulator.state.groups[record.exten]
    assert (created.display_name, created.assign_rule, created.is_memory, created.memory_time) == (
        "Late Shift & <Co>",
        "least",
        True,
        "1440",
    )
    assert members_of(simulator, record.exten) == [("8021", 2), ("8022", 0)]
    [sent] = [call.body for call in simulator.calls(CREATE)]
    assert sent["assignMembers"] == [
        {"agentNumber": "8021", "priority": 2},
        {"agentNumber": "9999", "priority": 0},
        {"agentNumber": "8022", "priority": 0},
    ]
    assert record.outcome == "partial" and record.action == "create"

    modal = visible_text({"blocks": slack_api.view(view["id"])["blocks"]})
    for text in (modal, visible_text(post)):
        assert "*Done, but not exactly as asked* — *Late Shift &amp; &lt;Co&gt;*" in text
        assert "created the group with 2 members" in text
        assert "7moor skipped 9999: no agent has that number" in text
        assert "<Co>" not in text
    assert buttons_of(post) == []  # a created group is not undone from Slack


def test_a_clean_create_is_done_and_memory_off_sends_no_duration(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi, desk: Desk
) -> None:
    view, response_url = open_create(app, slack_api)

    submit(app, view, name="Weekend Chat", rule="priority", members="")
    [post] = slack_api.wait_for_responses(response_url)

    [record] = desk.state.recent_changes()
    created = simulator.state.groups[record.exten]
    assert (created.assign_rule, created.is_memory, created.memory_time) == ("priority", False, "")
    assert "memoryTime" not in simulator.calls(CREATE)[0].body
    assert visible_text(post).startswith(":white_check_mark: *Done* — *Weekend Chat*")
    assert record.outcome == "ok"


def test_a_vendor_refusal_is_explained_and_nothing_is_recorded(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi, desk: Desk
) -> None:
    view, response_url = open_create(app, slack_api)
    simulator.faults.set(endpoint=CREATE, internal_error=True)

    submit(app, view, name="Late Shift")
    [post] = slack_api.wait_for_responses(response_url)
    slack_api.wait_for("views.update")

    assert "7moor had an internal error." in visible_text(post)
    assert "7moor had an internal error." in visible_text(
        {"blocks": slack_api.view(view["id"])["blocks"]}
    )
    assert desk.state.recent_changes() == []
    assert all(g.display_name != "Late Shift" for g in simulator.state.groups.values())
