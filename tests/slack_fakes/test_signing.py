"""The payload builders produce Slack's wire format and verifiable signatures."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from tests.slack_fakes import (
    ADMIN_USER_ID,
    CHANNEL_ID,
    SIGNING_SECRET,
    UNROUTABLE_RESPONSE_URL,
    block_action_body,
    block_action_payload,
    new_trigger_id,
    signed_headers,
    slack_escape,
    slash_command_body,
    text_input_values,
    view_submission_body,
)


def _form(body: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


def _payload(body: str) -> dict[str, Any]:
    assert list(parse_qs(body)) == ["payload"]
    return json.loads(_form(body)["payload"])


def test_slash_command_body_is_form_encoded_in_slacks_field_order() -> None:
    body = slash_command_body(
        'who "Night shift"', response_url="http://127.0.0.1:1/response/x", trigger_id="1.2.abc"
    )

    assert body.startswith("token=") and "&command=%2Fdesk&text=who+%22Night+shift%22&" in body
    fields = _form(body)
    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert (fields["user_id"], fields["channel_id"], fields["text"]) == (
        ADMIN_USER_ID,
        CHANNEL_ID,
        'who "Night shift"',
    )
    assert fields["response_url"] == "http://127.0.0.1:1/response/x"


def test_unset_response_url_points_nowhere_and_trigger_ids_are_unique() -> None:
    first, second = _form(slash_command_body("help")), _form(slash_command_body("help"))

    assert first["response_url"] == UNROUTABLE_RESPONSE_URL
    assert first["trigger_id"] != second["trigger_id"]
    assert new_trigger_id().count(".") == 2


def test_signed_headers_verify_with_slacks_verifier() -> None:
    body = slash_command_body("groups")
    headers = signed_headers(body, SIGNING_SECRET)

    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)


def test_old_timestamps_are_signed_but_outside_the_replay_window() -> None:
    body = slash_command_body("groups")
    headers = signed_headers(body, timestamp=int(time.time()) - 301)

    assert headers["x-slack-signature"].startswith("v0=")
    assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)


def test_a_redelivery_carries_slacks_retry_headers_and_the_same_signature() -> None:
    body = slash_command_body("groups")
    stamp = int(time.time())

    first = signed_headers(body, timestamp=stamp)
    again = signed_headers(body, timestamp=stamp, retry_num=1)

    assert "x-slack-retry-num" not in first
    assert (again["x-slack-retry-num"], again["x-slack-retry-reason"]) == ("1", "http_timeout")
    assert again["x-slack-signature"] == first["x-slack-signature"]
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, again)


def test_block_action_from_a_message_carries_container_and_response_url() -> None:
    payload = _payload(block_action_body("undo", "change-42", response_url="http://r/1"))

    assert payload["type"] == "block_actions"
    assert payload["actions"] == [
        {
            "type": "button",
            "action_id": "undo",
            "block_id": "desk_actions",
            "action_ts": payload["actions"][0]["action_ts"],
            "text": {"type": "plain_text", "text": "undo", "emoji": True},
            "value": "change-42",
        }
    ]
    assert payload["container"]["type"] == "message"
    assert payload["response_url"] == "http://r/1"
    assert "message" in payload


def test_block_action_variants_ephemeral_modal_and_select() -> None:
    ephemeral = block_action_payload("send", "preview-1", is_ephemeral=True)
    in_modal = block_action_payload("pick", "8001", action_type="static_select", view={"id": "V1"})

    assert "message" not in ephemeral and ephemeral["container"]["is_ephemeral"] is True
    assert in_modal["container"] == {"type": "view", "view_id": "V1"}
    assert "response_url" not in in_modal
    assert in_modal["actions"][0]["selected_option"]["value"] == "8001"


def test_view_submission_carries_state_and_metadata() -> None:
    values = text_input_values({"name_block": {"name": "Night shift"}})
    payload = _payload(view_submission_body("create_group", values, "origin=C0DESK001"))

    view = payload["view"]
    assert payload["type"] == "view_submission"
    assert view["callback_id"] == "create_group"
    assert view["private_metadata"] == "origin=C0DESK001"
    assert view["state"]["values"]["name_block"]["name"] == {
        "type": "plain_text_input",
        "value": "Night shift",
    }


def test_slack_escape_matches_what_slack_delivers() -> None:
    assert slack_escape("send S1 greet name=A&B <x>") == "send S1 greet name=A&amp;B &lt;x&gt;"
