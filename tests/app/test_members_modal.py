"""`/desk members <group>`: loading view, form, validation, diff, confirm, verified write.

The modal is driven the way Slack drives it: the command opens a view through the fake Web
API, and submissions of that very view (its ID, its private_metadata) come back as signed
`view_submission` requests whose HTTP answers carry the `response_action`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import App

from bot.desk import Desk
from bot.simulator import Simulator
from handlers.render.changes import UNDO_ACTION_ID
from handlers.views.members import (
    MEMBERS_BLOCK_ID,
    MEMBERS_CONFIRM_CALLBACK_ID,
    MEMBERS_EDIT_CALLBACK_ID,
    MEMBERS_INPUT_ID,
)
from tests.app.conftest import Ask, Click, answers_to, buttons_of, visible_text
from tests.change_helpers import (
    NIGHT_SHIFT,
    READ,
    UNKNOWN_AGENT,
    WRITE,
    members_of,
    when_called,
)
from tests.conftest import SUPERVISOR_USER_ID
from tests.slack_fakes import (
    ADMIN_USER_ID,
    FakeSlackWebApi,
    dispatch,
    new_trigger_id,
    slash_command_body,
    text_input_values,
    view_submission_body,
)

ADMIN = ADMIN_USER_ID
NIGHT_SHIFT_LIST = [("8003", 0), ("8011", 0), ("8019", 0)]
NIGHT_SHIFT_FORM = "8003 0  # 刘洋\n8011 0  # 孙强\n8019 0  # 罗兰"


@dataclass
class Form:
    """The members modal as the app opened it, plus the response_url of its command."""

    view: dict[str, Any]
    response_url_name: str

    @property
    def id(self) -> str:
        return str(self.view["id"])


def view_text(view: dict[str, Any]) -> str:
    return visible_text({"blocks": view["blocks"]})


def open_form(ask: Ask, slack_api: FakeSlackWebApi, query: str = NIGHT_SHIFT) -> Form:
    answer = ask(f"members {query}", user_id=ADMIN)
    assert "Editing *Night Shift* in a form." in answer.text
    [opened] = slack_api.requests("views.open")
    return Form(slack_api.view(opened.response["view"]["id"]), answer.response_url_name)


def submit_edit(app: App, form: Form, text: str | None, *, user_id: str = ADMIN) -> dict[str, Any]:
    """Press "Review changes" with `text` typed into the form; the app's HTTP answer."""
    body = view_submission_body(
        MEMBERS_EDIT_CALLBACK_ID,
        text_input_values({MEMBERS_BLOCK_ID: {MEMBERS_INPUT_ID: text}}),
        form.view["private_metadata"],
        view_id=form.id,
        view_hash=form.view["hash"],
        blocks=form.view["blocks"],
        user_id=user_id,
    )
    response = dispatch(app, body)
    assert response.status == 200
    return json.loads(response.body)


def submit_confirm(
    app: App, form: Form, confirm_view: dict[str, Any], *, user_id: str = ADMIN
) -> dict[str, Any]:
    """Press "Confirm" on the view the edit submission answered with (same view ID)."""
    body = view_submission_body(
        MEMBERS_CONFIRM_CALLBACK_ID,
        {},
        confirm_view["private_metadata"],
        view_id=form.id,
        user_id=user_id,
    )
    response = dispatch(app, body)
    assert response.status == 200
    return json.loads(response.body)


def confirm_outcome(
    app: App, slack_api: FakeSlackWebApi, form: Form, text: str, *, user_id: str = ADMIN
) -> tuple[str, dict[str, Any]]:
    """Review then confirm `text`; (the modal's final text, the post to the channel)."""
    review = submit_edit(app, form, text)
    assert review["response_action"] == "update", review
    working = submit_confirm(app, form, review["view"], user_id=user_id)
    assert working["response_action"] == "update"
    assert "Saving and checking with 7moor" in view_text(working["view"])
    slack_api.wait_for("views.update", count=2)  # the form, then the outcome
    [post] = slack_api.wait_for_responses(form.response_url_name)  # "Editing…" was the ack
    return view_text(slack_api.view(form.id)), post


# ---- opening: loading view first, then the form ---------------------------------------------


def test_the_loading_view_opens_with_the_trigger_before_the_vendor_is_read(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_first_read: list[tuple[int, int]] = []
    when_called(
        monkeypatch,
        simulator,
        READ,
        lambda: at_first_read.append(
            (len(slack_api.requests("views.open")), len(slack_api.requests("views.update")))
        ),
    )
    trigger_id = new_trigger_id()
    body = slash_command_body(
        f"members {NIGHT_SHIFT}",
        trigger_id=trigger_id,
        response_url=slack_api.response_url("members"),
    )

    assert answers_to(slack_api, dispatch(app, body), "members")

    assert at_first_read == [(1, 0)]  # the modal was open, not yet filled, when 7moor was asked
    [opened] = slack_api.requests("views.open")
    assert opened.params["trigger_id"] == trigger_id
    assert "Reading the group from 7moor" in view_text(opened.params["view"])
    [update] = slack_api.requests("views.update")
    assert update.params["view_id"] == opened.response["view"]["id"]


def test_the_form_holds_the_current_members_with_names_as_comments(
    ask: Ask, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)

    assert form.view["callback_id"] == MEMBERS_EDIT_CALLBACK_ID
    [field] = [b for b in form.view["blocks"] if b.get("block_id") == MEMBERS_BLOCK_ID]
    assert field["element"]["initial_value"] == NIGHT_SHIFT_FORM
    assert "*Night Shift* `10019349`" in view_text(form.view)
    assert form.view["submit"]["text"] == "Review changes"


def test_an_unknown_group_shows_in_the_modal_and_the_channel(
    ask: Ask, slack_api: FakeSlackWebApi
) -> None:
    answer = ask("members Nowhere", user_id=ADMIN)

    assert "No skill group matches “Nowhere”." in answer.text
    [opened] = slack_api.requests("views.open")
    assert "No skill group matches" in view_text(slack_api.view(opened.response["view"]["id"]))


def test_an_expired_trigger_is_explained_not_apologised_for(
    ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    slack_api.fail("views.open", "expired_trigger_id")

    answer = ask(f"members {NIGHT_SHIFT}", user_id=ADMIN)

    assert "Slack did not let deskbot open the form" in answer.text
    assert "Type the command again." in answer.text
    assert simulator.calls(READ) == []


# ---- validation: errors keyed by the input block ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("8003 0\n80.11 0\n8019 0", "line 2: “80.11 0” is not an agent number and a priority"),
        ("8003 0\n8011 0\n8003 1", "line 3: agent 8003 is listed twice"),
        ("8003 -1\n8011 0", "line 1: priority “-1” is not a whole number from 0 to 999"),
        ("8003 1000\n8011 0", "line 1: priority “1000” is not a whole number from 0 to 999"),
        (NIGHT_SHIFT_FORM, "Nothing changed: edit the list, or Cancel."),
        ("8019 0\n8011\n8003 0", "Nothing changed: edit the list, or Cancel."),
    ],
)
def test_a_bad_list_comes_back_as_an_error_on_the_field(
    app: App, ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi, typed: str, error: str
) -> None:
    form = open_form(ask, slack_api)

    answer = submit_edit(app, form, typed)

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [MEMBERS_BLOCK_ID]
    assert error in answer["errors"][MEMBERS_BLOCK_ID]
    assert simulator.calls(WRITE) == []


def test_the_confirm_view_lists_added_removed_and_reprioritised(
    app: App, ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)

    answer = submit_edit(app, form, "8003 2\n8019 0\n8021 1")

    assert answer["response_action"] == "update"
    view = answer["view"]
    assert view["callback_id"] == MEMBERS_CONFIRM_CALLBACK_ID
    assert view["submit"]["text"] == "Confirm"
    text = view_text(view)
    assert ":heavy_plus_sign: add `8021` with priority 1" in text
    assert ":heavy_minus_sign: remove *孙强* `8011`" in text
    assert ":arrows_counterclockwise: `8003` priority 0 → 2" in text
    assert "Afterwards the group has 3 member(s)." in text
    assert simulator.calls(WRITE) == []  # nothing is written before Confirm


def test_emptying_a_group_is_allowed_with_a_warning(
    app: App, ask: Ask, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)

    answer = submit_edit(app, form, "")

    assert "Nobody will be left in this group" in view_text(answer["view"])


# ---- confirm: write, verify, show, post with Undo ------------------------------------------


def test_confirm_writes_verifies_and_posts_the_result_with_undo(
    app: App, ask: Ask, click: Click, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)

    modal, post = confirm_outcome(app, slack_api, form, "8003 2\n8019 0\n8021 1")

    assert members_of(simulator, NIGHT_SHIFT) == [("8003", 2), ("8019", 0), ("8021", 1)]
    assert modal.startswith(":white_check_mark: *Done* — *Night Shift* `10019349`: edit:")
    assert "Verified" in modal and "Undo button" in modal
    assert "• *Alice Wong* `8021` · priority 1" in modal
    assert post["replace_original"] is False
    [undo] = buttons_of(post)
    assert undo["action_id"] == UNDO_ACTION_ID
    assert visible_text(post).startswith(":white_check_mark: *Done*")

    click(undo, user_id=ADMIN)
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


def test_an_unknown_agent_in_the_form_is_reported_as_skipped(
    app: App, ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)

    modal, post = confirm_outcome(
        app, slack_api, form, f"{NIGHT_SHIFT_FORM}\n{UNKNOWN_AGENT} 0\n8021 0"
    )

    assert members_of(simulator, NIGHT_SHIFT) == [*NIGHT_SHIFT_LIST, ("8021", 0)]
    for text in (modal, visible_text(post)):
        assert "*Done, but not exactly as asked*" in text
        assert "added 8021 (priority 0)" in text
        assert "7moor skipped 9999: no agent has that number" in text
    assert [b["action_id"] for b in buttons_of(post)] == [UNDO_ACTION_ID]


@pytest.mark.parametrize("console_edit", ["members", "update_time"])
def test_a_group_changed_before_confirm_writes_nothing_and_shows_the_new_list(
    app: App,
    ask: Ask,
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    desk: Desk,
    console_edit: str,
) -> None:
    form = open_form(ask, slack_api)
    review = submit_edit(app, form, f"{NIGHT_SHIFT_FORM}\n8021 0")
    if console_edit == "members":
        simulator.state.replace_members(
            NIGHT_SHIFT, [("8003", 0), ("8020", 3)], update_agent="8000"
        )
    else:
        with simulator.state.lock:
            simulator.state.groups[NIGHT_SHIFT].update_time = "2031-01-01 09:00:00"

    submit_confirm(app, form, review["view"])
    slack_api.wait_for("views.update", count=2)
    [post] = slack_api.wait_for_responses(form.response_url_name)

    assert simulator.calls(WRITE) == []
    modal = view_text(slack_api.view(form.id))
    for text in (modal, visible_text(post)):
        assert "“Night Shift” changed since you looked" in text
        assert "so nothing was written" in text
    assert f"To start again from this list: `/desk members {NIGHT_SHIFT}`." in modal
    if console_edit == "members":
        assert "`8020` · priority 3" in modal and "`8011`" not in modal
    else:
        assert "updated at 2031-01-01 09:00:00" in modal
    assert buttons_of(post) == []
    [change] = desk.state.recent_changes()
    assert change.outcome == "conflict" and change.action == "edit"


def test_a_failed_write_in_the_modal_is_never_done(
    app: App, ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)
    simulator.faults.set(endpoint=WRITE, http_5xx=503)

    modal, post = confirm_outcome(app, slack_api, form, f"{NIGHT_SHIFT_FORM}\n8021 0")

    for text in (modal, visible_text(post)):  # a gateway error: it may still land
        assert text.startswith(":grey_question: *Sent to 7moor, but not verified*")
        assert "*Done*" not in text
    assert "7moor answered with a server error (HTTP 503)" in modal
    assert "7moor may still apply the change" in modal
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST
    assert buttons_of(post) == []


def test_a_closed_modal_does_not_lose_the_result(
    app: App, ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)
    review = submit_edit(app, form, f"{NIGHT_SHIFT_FORM}\n8021 0")
    slack_api.fail("views.update", "not_found")  # the supervisor closed the modal meanwhile

    submit_confirm(app, form, review["view"])
    [post] = slack_api.wait_for_responses(form.response_url_name)

    assert visible_text(post).startswith(":white_check_mark: *Done*")
    assert [b["action_id"] for b in buttons_of(post)] == [UNDO_ACTION_ID]
    assert members_of(simulator, NIGHT_SHIFT)[-1] == ("8021", 0)


def test_a_confirm_submitted_by_a_non_admin_writes_nothing(
    app: App, ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    form = open_form(ask, slack_api)
    review = submit_edit(app, form, f"{NIGHT_SHIFT_FORM}\n8021 0")

    submit_confirm(app, form, review["view"], user_id=SUPERVISOR_USER_ID)
    slack_api.wait_for("views.update", count=2)

    assert "Only deskbot admins" in view_text(slack_api.view(form.id))
    assert simulator.calls(WRITE) == []


def test_members_without_a_group_asks_which(ask: Ask, slack_api: FakeSlackWebApi) -> None:
    answer = ask("members", user_id=ADMIN)

    assert "Which group?" in answer.text
    assert "`/desk members &lt;group&gt;`" in answer.text
    assert slack_api.requests("views.open") == []
