"""Socket Mode end to end: the production app behind Bolt's SocketModeHandler, Slack played by
a loopback WebSocket server that delivers real envelopes and records the acks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.app import create_app
from bot.desk import Desk
from bot.settings import Settings
from handlers.commands.desk import LOOKING_UP
from tests.app.conftest import visible_text
from tests.slack_fakes import (
    FakeSlackWebApi,
    FakeSocketModeServer,
    slash_command_payload,
    socket_mode_handler,
)


@pytest.fixture
def socket_app(settings: Settings, desk: Desk, slack_client: WebClient) -> App:
    return create_app(settings, socket_mode=True, desk=desk, client=slack_client)


@pytest.fixture
def connected(
    socket_app: App, socket_mode_server: FakeSocketModeServer
) -> Iterator[SocketModeHandler]:
    with socket_mode_handler(socket_app, socket_mode_server) as handler:
        socket_mode_server.wait_for_connections(1)
        yield handler


def test_help_over_socket_mode(
    connected: SocketModeHandler,
    socket_mode_server: FakeSocketModeServer,
    slack_api: FakeSlackWebApi,
) -> None:
    payload = slash_command_payload("help", response_url=slack_api.response_url("help"))

    envelope_id = socket_mode_server.send_envelope("slash_commands", payload)

    ack = socket_mode_server.wait_for_ack(envelope_id)
    assert ack["envelope_id"] == envelope_id
    reply = ack["payload"]  # the answer is the ack itself
    assert "`/desk who <group>`" in visible_text(reply)
    assert reply["response_type"] == "ephemeral"
    assert slack_api.response_posts() == []


def test_who_over_socket_mode(
    connected: SocketModeHandler,
    socket_mode_server: FakeSocketModeServer,
    slack_api: FakeSlackWebApi,
    answers_follow_the_ack: None,
) -> None:
    payload = slash_command_payload("who 10019346", response_url=slack_api.response_url("who"))

    envelope_id = socket_mode_server.send_envelope("slash_commands", payload)

    ack = socket_mode_server.wait_for_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id, "payload": {"text": LOOKING_UP}}
    [reply] = slack_api.wait_for_responses("who")
    text = visible_text(reply)
    assert "售前咨询 (10019346)" in text
    assert "*4 of 4* claiming new chats" in text
    assert reply["replace_original"] is True  # replaces the "looking that up" message


def test_socket_mode_needs_no_signing_secret(
    settings: Settings,
    desk: Desk,
    slack_client: WebClient,
    socket_mode_server: FakeSocketModeServer,
    slack_api: FakeSlackWebApi,
) -> None:
    app = create_app(
        replace(settings, slack_signing_secret=None),
        socket_mode=True,
        desk=desk,
        client=slack_client,
    )
    with socket_mode_handler(app, socket_mode_server):
        payload = slash_command_payload("groups Night", response_url=slack_api.response_url("g"))
        envelope_id = socket_mode_server.send_envelope("slash_commands", payload)
        reply = socket_mode_server.wait_for_ack(envelope_id)["payload"]

    assert "*2 skill groups* matching “Night”" in visible_text(reply)
