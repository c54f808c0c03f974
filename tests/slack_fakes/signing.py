"""Slack-shaped, genuinely signed requests for dispatching through a real Bolt app.

Why not call listeners directly: a scenario test should pass through everything Slack's
request passes through in production — signature and timestamp checks, Bolt's payload
parsing, listener matching, `ack()` — so the builders here produce bodies byte-for-byte
in Slack's format and `signed_headers` signs them with `SignatureVerifier`, the same code
Bolt verifies with.

HTTP mode::

    body = slash_command_body("who 1", response_url=fake.response_url("who"))
    response = dispatch(app, body)                 # signs with SIGNING_SECRET
    assert response.status == 200

Socket Mode envelopes carry the same data unencoded, hence the `*_payload` twins::

    server.send_envelope("slash_commands", slash_command_payload("who 1"))
    server.send_envelope("interactive", block_action_payload("undo", "change-42"))

Text reaches an app Slack-escaped (`&amp; &lt; &gt;`); the builders send `text` exactly as
given, so wrap it in `slack_escape(...)` when the test is about what users typed.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, ParamSpec
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from tests.slack_fakes.defaults import (
    ADMIN_USER_ID,
    ADMIN_USER_NAME,
    API_APP_ID,
    BOT_ID,
    CHANNEL_ID,
    CHANNEL_NAME,
    SIGNING_SECRET,
    TEAM_DOMAIN,
    TEAM_ID,
    UNROUTABLE_RESPONSE_URL,
    VERIFICATION_TOKEN,
)

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
_P = ParamSpec("_P")
_trigger_serial = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's `digits.digits.hex` shape (the fake makes them single-use)."""
    serial = next(_trigger_serial)
    return f"{int(time.time() * 1000)}.{serial:010d}.{secrets.token_hex(16)}"


def slack_escape(text: str) -> str:
    """Escape `&`, `<`, `>` the way Slack does before delivering command text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def slash_command_payload(
    text: str = "",
    *,
    command: str = "/desk",
    user_id: str = ADMIN_USER_ID,
    user_name: str = ADMIN_USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> dict[str, str]:
    """The fields of a slash command, in Slack's order, all strings (as Slack sends them)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url or UNROUTABLE_RESPONSE_URL,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def block_action_payload(
    action_id: str,
    value: str | None = None,
    *,
    block_id: str = "desk_actions",
    action_type: str = "button",
    text: str | None = None,
    selected_option: Mapping[str, Any] | None = None,
    user_id: str = ADMIN_USER_ID,
    user_name: str = ADMIN_USER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    message: Mapping[str, Any] | None = None,
    message_ts: str | None = None,
    is_ephemeral: bool = False,
    view: Mapping[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    state_values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for one clicked/selected element.

    Clicked in a message (default): the container names the message, `response_url` is
    set, and `message` is synthesized unless the message is ephemeral (Slack sends no
    copy of an ephemeral message). Clicked in a modal (`view=` a view, e.g. from
    `fake.view(view_id)`): the container names the view and there is no response_url.
    Select menus carry `selected_option`; pass it, or a `value` to build one.
    """
    action_ts = f"{time.time():.6f}"
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": text or action_id, "emoji": True}
        if value is not None:
            action["value"] = value
    elif selected_option is not None or value is not None:
        action["selected_option"] = dict(
            selected_option
            or {
                "text": {"type": "plain_text", "text": text or value, "emoji": True},
                "value": value,
            }
        )

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": dict(state_values or {})},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "")}
        payload["view"] = dict(view)
        return payload

    ts = message_ts or (message or {}).get("ts") or f"{int(time.time())}.000100"
    payload["container"] = {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel_id,
        "is_ephemeral": is_ephemeral,
    }
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["response_url"] = response_url or UNROUTABLE_RESPONSE_URL
    if message is not None:
        payload["message"] = {"ts": ts, **message}
    elif not is_ephemeral:
        payload["message"] = {
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "text": "",
            "blocks": [],
        }
    return payload


def text_input_values(values: Mapping[str, Mapping[str, str | None]]) -> dict[str, Any]:
    """`{block_id: {action_id: "typed"}}` -> Slack's `view.state.values` for text inputs."""
    return {
        block_id: {
            action_id: {"type": "plain_text_input", "value": typed}
            for action_id, typed in actions.items()
        }
        for block_id, actions in values.items()
    }


def view_submission_payload(
    callback_id: str,
    state_values: Mapping[str, Any] | None = None,
    private_metadata: str = "",
    *,
    user_id: str = ADMIN_USER_ID,
    user_name: str = ADMIN_USER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    view_id: str = "V0FAKEVIEW",
    view_hash: str = "1700000000.fakehash",
    title: str = "Desk",
    blocks: list[Mapping[str, Any]] | None = None,
    external_id: str = "",
    trigger_id: str | None = None,
    response_urls: list[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A `view_submission` payload; `state_values` is Slack's `{block: {action: {...}}}`.

    Pass `view_id`/`view_hash`/`blocks` from `fake.view(...)` to submit a modal the app
    really opened, so a following `views.update(hash=...)` is checked against it.
    """
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": list(blocks or []),
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": dict(state_values or {})},
            "hash": view_hash,
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": external_id,
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": list(response_urls or []),
        "is_enterprise_install": False,
        "enterprise": None,
    }


def _form_fields(build: Callable[_P, dict[str, str]]) -> Callable[_P, str]:
    """HTTP twin of a slash command builder: Slack POSTs those fields form-encoded."""

    def encode(*args: _P.args, **kwargs: _P.kwargs) -> str:
        return urlencode(build(*args, **kwargs))

    return encode


def _form_payload(build: Callable[_P, dict[str, Any]]) -> Callable[_P, str]:
    """HTTP twin of an interactivity builder: Slack POSTs `payload=<JSON>` form-encoded."""

    def encode(*args: _P.args, **kwargs: _P.kwargs) -> str:
        return urlencode({"payload": json.dumps(build(*args, **kwargs))})

    return encode


slash_command_body = _form_fields(slash_command_payload)
"""A slash command form-encoded exactly as Slack POSTs it; same arguments as the payload."""

block_action_body = _form_payload(block_action_payload)
"""A block action as Slack POSTs it (`payload=<JSON>`); same arguments as the payload."""

view_submission_body = _form_payload(view_submission_payload)
"""A view submission as Slack POSTs it (`payload=<JSON>`); same arguments as the payload."""


def signed_headers(
    body: str,
    secret: str = SIGNING_SECRET,
    *,
    timestamp: int | None = None,
    content_type: str = FORM_CONTENT_TYPE,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """Slack's request headers for `body`: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`.

    `timestamp` defaults to now; pass an old one to exercise the 5-minute replay window.
    `retry_num` adds the headers Slack sends when it delivers the same request again
    (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`); the body and its signature are unchanged.
    """
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature or "",
    }
    if retry_num is not None:
        headers["x-slack-retry-num"] = str(retry_num)
        headers["x-slack-retry-reason"] = retry_reason
    return headers


def dispatch(
    app: App,
    body: str,
    headers: Mapping[str, str] | None = None,
    *,
    secret: str = SIGNING_SECRET,
) -> BoltResponse:
    """Run `body` through `app` as an HTTP request; signs it with `secret` if no headers.

    Returns once the listener acked (Bolt runs the rest of the listener on a worker
    thread), so assert on its Slack calls with `fake.wait_for(...)`.
    """
    request_headers = dict(headers) if headers is not None else signed_headers(body, secret)
    return app.dispatch(BoltRequest(body=body, headers=request_headers))
