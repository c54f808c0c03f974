"""Slack, faked on loopback: what every deskbot test uses instead of slack.com.

Three fakes, all real network servers on 127.0.0.1 with free ports, so the app under test
runs its production wiring and a test only swaps URLs (`SLACK_API_URL`, response_url, the
Socket Mode URL):

`FakeSlackWebApi` (web_api.py)
    The Web API at `fake.url` (`WebClient(base_url=fake.url, token=BOT_TOKEN)`): auth.test,
    chat.postMessage/postEphemeral/update/delete, views.open/update/push, users.info,
    conversations.info, apps.connections.open; anything else is `unknown_method`. Records
    every call (`requests`, `wait_for`), serves response_urls (`response_url(name)`,
    `responses`, `wait_for_responses`), injects failures (`rate_limit` and
    `rate_limit_response_url` → 429 + Retry-After, `fail`, `fail_response_url`) and enforces
    Block Kit limits (block_kit.py).

`FakeSocketModeServer` (socket_mode.py)
    Slack's Socket Mode side for Bolt's `SocketModeHandler`: `hello` on connect,
    `send_envelope(...)`, `wait_for_ack(envelope_id)`, `send_disconnect()`,
    `ping_clients()`. Pass `web_api=fake` so apps.connections.open returns its URL.
    `socket_mode_handler(app, server)` connects Bolt's handler and closes it fast.

Signed requests (signing.py)
    `slash_command_body`, `block_action_body`, `view_submission_body` (form bodies as Slack
    POSTs them; `*_payload` twins for Socket Mode), `signed_headers` (also Slack's
    `X-Slack-Retry-Num` redelivery headers), and `dispatch(app, body)` which signs and runs
    `app.dispatch(BoltRequest(...))`.

Shared identities (tokens, signing secret, team/user/channel ids) live in defaults.py and
are every fake's default. Pytest fixtures wrapping all of this are in fixtures.py; enable
them suite-wide with `pytest_plugins = ["tests.slack_fakes.fixtures"]` in tests/conftest.py.

Minimal scenario::

    def test_help(slack_api, slack_client):
        app = App(signing_secret=SIGNING_SECRET, client=slack_client)   # or create_app(...)
        app.command("/desk")(handle_desk_command)
        body = slash_command_body("help", response_url=slack_api.response_url("help"))
        assert dispatch(app, body).status == 200
        [reply] = slack_api.wait_for_responses("help")
"""

from tests.slack_fakes.defaults import (
    ADMIN_USER_ID,
    API_APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    CHANNEL_ID,
    SIGNING_SECRET,
    TEAM_ID,
    UNROUTABLE_RESPONSE_URL,
)
from tests.slack_fakes.signing import (
    block_action_body,
    block_action_payload,
    dispatch,
    new_trigger_id,
    signed_headers,
    slack_escape,
    slash_command_body,
    slash_command_payload,
    text_input_values,
    view_submission_body,
    view_submission_payload,
)
from tests.slack_fakes.socket_mode import (
    FakeSocketModeServer,
    close_socket_mode_handler,
    socket_mode_handler,
)
from tests.slack_fakes.web_api import (
    FakeSlackWebApi,
    RecordedRequest,
    ResponseUrlPost,
)

__all__ = [
    "ADMIN_USER_ID",
    "API_APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "CHANNEL_ID",
    "SIGNING_SECRET",
    "TEAM_ID",
    "UNROUTABLE_RESPONSE_URL",
    "FakeSlackWebApi",
    "FakeSocketModeServer",
    "RecordedRequest",
    "ResponseUrlPost",
    "block_action_body",
    "block_action_payload",
    "close_socket_mode_handler",
    "dispatch",
    "new_trigger_id",
    "signed_headers",
    "slack_escape",
    "slash_command_body",
    "slash_command_payload",
    "socket_mode_handler",
    "text_input_values",
    "view_submission_body",
    "view_submission_payload",
]
