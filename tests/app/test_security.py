"""Only Slack may talk to the bot: every request must carry a fresh, valid signature."""

from __future__ import annotations

import time

from slack_bolt import App

from tests.slack_fakes import (
    FakeSlackWebApi,
    block_action_body,
    dispatch,
    signed_headers,
    slash_command_body,
)


def test_a_genuinely_signed_command_is_answered(app: App, slack_api: FakeSlackWebApi) -> None:
    body = slash_command_body("help", response_url=slack_api.response_url("ok"))

    response = dispatch(app, body)
    assert response.status == 200
    assert "Every subcommand with one line each" in (response.body or "")


def test_a_bad_signature_is_refused(app: App, slack_api: FakeSlackWebApi) -> None:
    body = slash_command_body("who 10019346", response_url=slack_api.response_url("forged"))

    response = dispatch(app, body, secret="not-the-signing-secret")

    assert response.status == 401
    assert slack_api.response_posts("forged") == []


def test_a_signature_over_another_body_is_refused(app: App, slack_api: FakeSlackWebApi) -> None:
    signed = slash_command_body("help", response_url=slack_api.response_url("swapped"))
    tampered = slash_command_body("who 10019346", response_url=slack_api.response_url("swapped"))

    assert dispatch(app, tampered, signed_headers(signed)).status == 401


def test_a_replayed_request_older_than_five_minutes_is_refused(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    body = slash_command_body("who 10019346", response_url=slack_api.response_url("replay"))
    stale = signed_headers(body, timestamp=int(time.time()) - 5 * 60 - 30)

    assert dispatch(app, body, stale).status == 401


def test_a_request_without_signature_headers_is_refused(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    body = slash_command_body("who 10019346", response_url=slack_api.response_url("bare"))

    response = dispatch(app, body, {"content-type": "application/x-www-form-urlencoded"})

    assert response.status == 401


def test_a_forged_button_click_is_refused(app: App, slack_api: FakeSlackWebApi) -> None:
    body = block_action_body(
        "share_answer_id", "who 10019346", response_url=slack_api.response_url("click")
    )

    assert dispatch(app, body, secret="not-the-signing-secret").status == 401
    assert slack_api.response_posts("click") == []
