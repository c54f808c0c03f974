"""Bolt's builtin SocketModeHandler, unmodified, against FakeSocketModeServer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from tests.slack_fakes import (
    API_APP_ID,
    APP_TOKEN,
    BOT_TOKEN,
    CHANNEL_ID,
    SIGNING_SECRET,
    FakeSlackWebApi,
    FakeSocketModeServer,
    block_action_payload,
    close_socket_mode_handler,
    slash_command_payload,
    socket_mode_handler,
    text_input_values,
    view_submission_payload,
)


@pytest.fixture
def app(slack_api: FakeSlackWebApi) -> Iterator[App]:
    """A minimal app: `/desk ack <text>` acks with text, anything else acks empty and works after."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="bolt-listener") as executor:
        app = App(
            signing_secret=SIGNING_SECRET,
            client=WebClient(base_url=slack_api.url, token=BOT_TOKEN),
            listener_executor=executor,
        )

        @app.command("/desk")
        def handle_desk_command(
            ack: Ack, respond: Respond, client: WebClient, command: dict[str, Any]
        ) -> None:
            verb, _, rest = command["text"].partition(" ")
            if verb == "ack":
                ack(f"working on {rest}")
            else:
                ack()
            respond(f"done: {command['text']}")
            client.chat_postMessage(channel=command["channel_id"], text="audit")

        @app.action("undo")
        def handle_undo_action(ack: Ack) -> None:
            ack()

        @app.view("create_group")
        def handle_create_group_submission(ack: Ack) -> None:
            ack(response_action="errors", errors={"name_block": "Taken"})

        yield app


def test_slash_command_envelope_is_acked_with_its_envelope_id(
    app: App, slack_api: FakeSlackWebApi, socket_mode_server: FakeSocketModeServer
) -> None:
    handler = SocketModeHandler(app, APP_TOKEN)
    handler.connect()
    try:
        payload = slash_command_payload("ack who 1", response_url=slack_api.response_url("who"))
        envelope_id = socket_mode_server.send_envelope("slash_commands", payload)

        ack = socket_mode_server.wait_for_ack(envelope_id)

        assert ack == {"envelope_id": envelope_id, "payload": {"text": "working on who 1"}}
        assert slack_api.wait_for_responses("who") == [{"text": "done: ack who 1"}]
        [post] = slack_api.wait_for("chat.postMessage")
        assert post.token == BOT_TOKEN and post.params["channel"] == CHANNEL_ID
    finally:
        close_socket_mode_handler(handler, socket_mode_server)

    [connections_open] = slack_api.requests("apps.connections.open")
    assert connections_open.token == APP_TOKEN
    hello, envelope = socket_mode_server.sent()
    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": API_APP_ID}
    assert envelope == {
        "envelope_id": envelope_id,
        "payload": payload,
        "type": "slash_commands",
        "accepts_response_payload": True,
    }


def test_empty_ack_carries_no_payload(
    app: App, slack_api: FakeSlackWebApi, socket_mode_server: FakeSocketModeServer
) -> None:
    with socket_mode_handler(app, socket_mode_server):
        envelope_id = socket_mode_server.send_envelope(
            "slash_commands", slash_command_payload("who 1", response_url=slack_api.response_url())
        )

        assert socket_mode_server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        slack_api.wait_for("chat.postMessage")


def test_interactive_envelopes_reach_action_and_view_listeners(
    app: App, socket_mode_server: FakeSocketModeServer
) -> None:
    with socket_mode_handler(app, socket_mode_server):
        action_id = socket_mode_server.send_envelope(
            "interactive", block_action_payload("undo", "change-42")
        )
        values = text_input_values({"name_block": {"name": "Night shift"}})
        submission_id = socket_mode_server.send_envelope(
            "interactive", view_submission_payload("create_group", values)
        )

        assert socket_mode_server.wait_for_ack(action_id) == {"envelope_id": action_id}
        assert socket_mode_server.wait_for_ack(submission_id)["payload"] == {
            "response_action": "errors",
            "errors": {"name_block": "Taken"},
        }
    accepts = [e["accepts_response_payload"] for e in socket_mode_server.sent()[1:]]
    assert accepts == [False, True]


def test_unhandled_envelope_gets_no_ack(app: App, socket_mode_server: FakeSocketModeServer) -> None:
    with socket_mode_handler(app, socket_mode_server):
        envelope_id = socket_mode_server.send_envelope(
            "slash_commands", slash_command_payload("x", command="/other")
        )

        with pytest.raises(TimeoutError, match=envelope_id):
            socket_mode_server.wait_for_ack(envelope_id, timeout=0.3)


def test_client_answers_server_pings(app: App, socket_mode_server: FakeSocketModeServer) -> None:
    with socket_mode_handler(app, socket_mode_server):
        socket_mode_server.wait_for_connections(1)

        [round_trip] = socket_mode_server.ping_clients()

    assert 0 <= round_trip < 1


def test_disconnect_makes_the_client_reconnect_through_apps_connections_open(
    app: App, slack_api: FakeSlackWebApi, socket_mode_server: FakeSocketModeServer
) -> None:
    with socket_mode_handler(app, socket_mode_server):
        socket_mode_server.send_disconnect("refresh_requested")

        payload = slash_command_payload("ack after refresh", response_url=slack_api.response_url())
        envelope_id = socket_mode_server.send_envelope("slash_commands", payload)

        assert socket_mode_server.wait_for_ack(envelope_id)["payload"] == {
            "text": "working on after refresh"
        }
        assert socket_mode_server.connection_count == 2
        assert socket_mode_server.active_connection_count == 1
    assert len(slack_api.requests("apps.connections.open")) == 2


def test_everything_shuts_down_without_leftover_threads(slack_api: FakeSlackWebApi) -> None:
    before = set(threading.enumerate())
    with (
        ThreadPoolExecutor(max_workers=2) as executor,
        FakeSocketModeServer(web_api=slack_api) as server,
    ):
        app = App(
            signing_secret=SIGNING_SECRET,
            client=WebClient(base_url=slack_api.url, token=BOT_TOKEN),
            listener_executor=executor,
        )
        app.command("/desk")(lambda ack: ack("pong"))
        with socket_mode_handler(app, server):
            envelope_id = server.send_envelope("slash_commands", slash_command_payload("ping"))
            assert server.wait_for_ack(envelope_id)["payload"] == {"text": "pong"}

    leftovers = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftovers == []
    with pytest.raises(RuntimeError, match="not running"):
        server.issue_url()
