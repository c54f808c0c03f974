"""A minimal real Bolt app, driven by signed HTTP requests, talking to FakeSlackWebApi."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from tests.slack_fakes import (
    ADMIN_USER_ID,
    BOT_TOKEN,
    CHANNEL_ID,
    SIGNING_SECRET,
    TEAM_ID,
    FakeSlackWebApi,
    block_action_body,
    dispatch,
    signed_headers,
    slash_command_body,
    text_input_values,
    view_submission_body,
)

CREATE_GROUP_CALLBACK_ID = "create_group"
NAME_BLOCK_ID = "name_block"
NAME_ACTION_ID = "name"


def build_minimal_app(fake: FakeSlackWebApi, executor: ThreadPoolExecutor) -> App:
    """One /desk command, one button, one modal: the smallest app touching every fake path.

    The token lives on the client only: Bolt logs a warning when given both.
    """
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(base_url=fake.url, token=BOT_TOKEN),
        listener_executor=executor,
    )

    @app.command("/desk")
    def handle_desk_command(
        ack: Ack, respond: Respond, client: WebClient, command: dict[str, Any]
    ) -> None:
        ack()
        if command["text"] == "create":
            client.views_open(
                trigger_id=command["trigger_id"],
                view={
                    "type": "modal",
                    "callback_id": CREATE_GROUP_CALLBACK_ID,
                    "title": {"type": "plain_text", "text": "Create group"},
                    "submit": {"type": "plain_text", "text": "Create"},
                    "blocks": [
                        {
                            "type": "input",
                            "block_id": NAME_BLOCK_ID,
                            "label": {"type": "plain_text", "text": "Name"},
                            "element": {"type": "plain_text_input", "action_id": NAME_ACTION_ID},
                        }
                    ],
                },
            )
            return
        respond(f"you asked: {command['text']}")
        client.chat_postMessage(channel=command["channel_id"], text=f"audit: {command['text']}")

    @app.action("undo")
    def handle_undo_action(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(replace_original=True, text=f"undone {body['actions'][0]['value']}")

    @app.view(CREATE_GROUP_CALLBACK_ID)
    def handle_create_group_submission(ack: Ack, client: WebClient, view: dict[str, Any]) -> None:
        name = view["state"]["values"][NAME_BLOCK_ID][NAME_ACTION_ID]["value"] or ""
        if not name.strip():
            ack(response_action="errors", errors={NAME_BLOCK_ID: "Give the group a name"})
            return
        ack()
        client.chat_postMessage(channel=CHANNEL_ID, text=f"created {name}")

    return app


@pytest.fixture
def app(slack_api: FakeSlackWebApi) -> Iterator[App]:
    """The minimal app; its listener threads are joined before the fake stops."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="bolt-listener") as executor:
        yield build_minimal_app(slack_api, executor)


def test_app_start_up_verified_the_token_with_auth_test(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    [auth_test] = slack_api.requests("auth.test")

    assert auth_test.token == BOT_TOKEN


def test_signed_slash_command_acks_responds_and_posts(app: App, slack_api: FakeSlackWebApi) -> None:
    body = slash_command_body("who 1", response_url=slack_api.response_url("who"))

    response = dispatch(app, body)

    assert (response.status, response.body) == (200, "")
    assert slack_api.wait_for_responses("who") == [{"text": "you asked: who 1"}]
    [post] = slack_api.wait_for("chat.postMessage")
    assert post.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    # Bolt's per-request `client` adds the request's team_id to every call it makes.
    assert post.params == {"channel": CHANNEL_ID, "text": "audit: who 1", "team_id": TEAM_ID}


def test_wrong_signature_is_rejected_before_any_listener_runs(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    body = slash_command_body("who 1", response_url=slack_api.response_url("who"))

    forged = dispatch(app, body, signed_headers(body, "not-the-signing-secret"))
    tampered = dispatch(app, body.replace("who+1", "who+2"), signed_headers(body))
    unsigned = dispatch(app, body, {"content-type": "application/x-www-form-urlencoded"})

    assert [forged.status, tampered.status, unsigned.status] == [401, 401, 401]
    assert slack_api.requests("chat.postMessage") == [] and slack_api.response_posts() == []


def test_timestamp_older_than_five_minutes_is_rejected(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    body = slash_command_body("who 1", response_url=slack_api.response_url())
    six_minutes_ago = int(time.time()) - 6 * 60

    assert dispatch(app, body, signed_headers(body, timestamp=six_minutes_ago)).status == 401
    assert dispatch(app, body, signed_headers(body, timestamp=int(time.time()) - 240)).status == 200


def test_unhandled_command_is_404(app: App) -> None:
    assert dispatch(app, slash_command_body("x", command="/other")).status == 404


def test_block_action_reaches_its_listener(app: App, slack_api: FakeSlackWebApi) -> None:
    body = block_action_body("undo", "change-42", response_url=slack_api.response_url("undo"))

    assert dispatch(app, body).status == 200
    assert slack_api.wait_for_responses("undo") == [
        {"text": "undone change-42", "replace_original": True}
    ]


def test_modal_opened_with_the_commands_trigger_then_submitted(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    command = slash_command_body("create", trigger_id="1700000000.42.feedface")

    assert dispatch(app, command).status == 200
    [views_open] = slack_api.wait_for("views.open")
    assert views_open.params["trigger_id"] == "1700000000.42.feedface"
    [opened] = slack_api.views()

    values = text_input_values({NAME_BLOCK_ID: {NAME_ACTION_ID: "Night shift"}})
    submission = view_submission_body(
        opened["callback_id"], values, view_id=opened["id"], view_hash=opened["hash"]
    )
    response = dispatch(app, submission)

    assert (response.status, response.body) == (200, "")
    [post] = slack_api.wait_for("chat.postMessage")
    assert post.params["text"] == "created Night shift"


def test_view_submission_errors_come_back_in_the_ack(app: App) -> None:
    values = text_input_values({NAME_BLOCK_ID: {NAME_ACTION_ID: "  "}})

    response = dispatch(app, view_submission_body(CREATE_GROUP_CALLBACK_ID, values))

    assert response.status == 200
    assert response.headers["content-type"][0].startswith("application/json")
    assert response.body == (
        '{"response_action": "errors", "errors": {"name_block": "Give the group a name"}}'
    )


def test_listener_sees_the_signed_users_identity(app: App, slack_api: FakeSlackWebApi) -> None:
    body = slash_command_body("who 2", user_id=ADMIN_USER_ID, response_url=slack_api.response_url())

    assert dispatch(app, body).status == 200
    assert slack_api.wait_for_responses() == [{"text": "you asked: who 2"}]
