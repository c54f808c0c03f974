"""Slack says "slow down": HTTP 429 with Retry-After, from the Web API and from response_urls.

slack_sdk retries only connection errors unless told otherwise, and Bolt's `respond()` takes
no retry handlers; `bot.app` gives both a handler that waits what Retry-After says on the
desk's clock (the fake clock here: the wait is checked, not slept) and then posts again, at
most twice. Each test checks what the person sees, what reached Slack and how long the bot
waited; a rate limit never changes what happened at the vendor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App

from bot.app import MAX_RETRY_AFTER
from bot.clock import FakeClock
from bot.desk import Desk
from bot.simulator import Simulator
from tests.app.conftest import Ask, visible_text
from tests.app.fault_support import (
    click_body,
    logs_without_secrets,
    response_url_name,
    send_button,
)
from tests.app.test_members_modal import open_form, submit_confirm, submit_edit
from tests.app.test_send import FOLLOW_UP_TEXT, delivered_texts
from tests.change_helpers import NIGHT_SHIFT, members_of
from tests.conftest import AUDIT_CHANNEL
from tests.slack_fakes import (
    ADMIN_USER_ID,
    FakeSlackWebApi,
    dispatch,
    slash_command_body,
)

__all__ = ["logs_without_secrets", "send_button"]  # fixtures
pytestmark = pytest.mark.usefixtures("logs_without_secrets", "rate_limits_are_the_only_refusals")

ADMIN = ADMIN_USER_ID


@pytest.fixture
def rate_limits_are_the_only_refusals(slack_api: FakeSlackWebApi) -> Iterator[None]:
    """The 429s these tests inject are no fault of the app; any other refusal still is.

    Tears down before tests/app/conftest.py's check that Slack refused nothing.
    """
    yield
    refused = [(p.name, p.status) for p in slack_api.response_posts() if not p.delivered]
    assert all(status == 429 for _, status in refused), refused
    slack_api.clear()


def statuses(slack_api: FakeSlackWebApi, method: str) -> list[int]:
    return [request.status for request in slack_api.requests(method)]


def post_statuses(slack_api: FakeSlackWebApi, name: str) -> list[int]:
    return [post.status for post in slack_api.response_posts(name)]


# ---- the Web API ---------------------------------------------------------------------------


def test_an_audit_post_slack_rate_limits_is_posted_once_after_retry_after(
    ask: Ask, slack_api: FakeSlackWebApi, simulator: Simulator, clock: FakeClock
) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=1)
    before = clock.time()

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert answer.text.startswith(":white_check_mark: *Done*")
    assert statuses(slack_api, "chat.postMessage") == [429, 200]
    [post] = slack_api.messages(AUDIT_CHANNEL)
    assert "add on *Night Shift*" in post["blocks"][0]["text"]["text"]
    assert clock.time() - before == 1.0  # exactly what Retry-After asked
    assert members_of(simulator, NIGHT_SHIFT)[-1] == ("8021", 0)


def test_an_audit_post_still_rate_limited_after_two_retries_is_given_up_not_the_change(
    ask: Ask,
    slack_api: FakeSlackWebApi,
    desk: Desk,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack_api.rate_limit("chat.postMessage", times=3, retry_after=1)
    before = clock.time()

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert answer.text.startswith(":white_check_mark: *Done*")
    assert statuses(slack_api, "chat.postMessage") == [429, 429, 429]
    assert slack_api.messages(AUDIT_CHANNEL) == []
    assert clock.time() - before == 2.0
    assert desk.state.recent_changes()[0].outcome == "ok"
    assert f"audit post for change 1 to {AUDIT_CHANNEL} failed: ratelimited" in caplog.text


def test_a_retry_after_longer_than_a_person_should_wait_is_not_waited_for(
    ask: Ask, slack_api: FakeSlackWebApi, clock: FakeClock
) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=int(MAX_RETRY_AFTER) + 1)
    before = clock.time()

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert answer.text.startswith(":white_check_mark: *Done*")
    assert statuses(slack_api, "chat.postMessage") == [429]
    assert clock.time() == before


@pytest.mark.parametrize("method", ["views.open", "views.update"])
def test_a_form_slack_rate_limits_opens_after_retry_after(
    ask: Ask, slack_api: FakeSlackWebApi, clock: FakeClock, method: str
) -> None:
    slack_api.rate_limit(method, times=1, retry_after=1)
    before = clock.time()

    answer = ask(f"members {NIGHT_SHIFT}", user_id=ADMIN)

    assert "Editing *Night Shift* in a form." in answer.text
    assert statuses(slack_api, method) == [429, 200]
    [opened] = [r for r in slack_api.requests("views.open") if r.status == 200]
    form = slack_api.view(opened.response["view"]["id"])
    assert form["submit"]["text"] == "Review changes"
    assert "*Night Shift* `10019349`" in visible_text({"blocks": form["blocks"]})
    assert clock.time() - before == 1.0


# ---- response_urls -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("help", "`/desk who <group>`"), ("who 10019346", "*4 of 4* claiming new chats")],
    ids=["answered-at-once", "looked-up"],
)
def test_an_answer_rate_limited_at_its_response_url_arrives_after_retry_after(
    app: App,
    slack_api: FakeSlackWebApi,
    clock: FakeClock,
    text: str,
    shown: str,
    answers_follow_the_ack: None,  # an answer in the ack meets no response_url limit
) -> None:
    name = response_url_name("limited")
    slack_api.rate_limit_response_url(name, times=1, retry_after=1)
    before = clock.time()

    body = slash_command_body(text, response_url=slack_api.response_url(name))
    assert dispatch(app, body).status == 200

    [reply] = slack_api.wait_for_responses(name)
    assert shown in visible_text(reply)
    assert post_statuses(slack_api, name) == [429, 200]
    assert clock.time() - before == 1.0


def test_a_send_outcome_rate_limited_at_its_response_url_arrives_and_the_message_goes_once(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, send_button: dict[str, Any]
) -> None:
    name = response_url_name("limited-click")
    slack_api.rate_limit_response_url(name, times=2, retry_after=1)

    assert dispatch(app, click_body(slack_api, send_button, name)).status == 200

    [outcome] = slack_api.wait_for_responses(name)
    assert visible_text(outcome).startswith(":white_check_mark: Sent follow_up to session")
    assert post_statuses(slack_api, name) == [429, 429, 200]
    assert len(simulator.calls("send_msg")) == 1
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_a_modal_outcome_rate_limited_at_the_response_url_still_reaches_the_chat(
    app: App, ask: Ask, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    form = open_form(ask, slack_api)
    review: dict[str, Any] = submit_edit(app, form, "8003 0\n8011 0\n8019 0\n8021 0")
    slack_api.rate_limit_response_url(form.response_url_name, times=1, retry_after=1)

    submit_confirm(app, form, review["view"])
    slack_api.wait_for("views.update", count=2)  # the outcome is posted before it is shown

    assert members_of(simulator, NIGHT_SHIFT)[-1] == ("8021", 0)
    assert post_statuses(slack_api, form.response_url_name) == [429, 200]
    outcome = slack_api.responses(form.response_url_name)[-1]
    assert visible_text(outcome).startswith(":white_check_mark: *Done*")
