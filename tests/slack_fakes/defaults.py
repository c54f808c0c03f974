"""Identities shared by the Slack fakes, so a test never has to invent a token twice.

Every fake and every payload builder defaults to these values, which means a test that
builds `FakeSlackWebApi()`, signs a `slash_command_body("who 1")` and creates an app with
`SIGNING_SECRET` and `BOT_TOKEN` gets a consistent workspace without passing anything.
The ids follow Slack's shapes (`T…` team, `U…` user, `B…` bot, `A…` app, `C…` channel)
because Bolt and the app parse them, but they are obviously fake.
"""

from __future__ import annotations

from typing import Final

BOT_TOKEN: Final = "xoxb-0000000001-0000000002-deskbotfaketoken0000001"
"""The only bot token `FakeSlackWebApi` accepts by default."""

APP_TOKEN: Final = "xapp-1-A0DESKBOT-0000000003-deskbotfakeapptoken000000000000000001"
"""The only app-level token (Socket Mode) `FakeSlackWebApi` accepts by default."""

SIGNING_SECRET: Final = "deskbot-fake-signing-secret-0000000000"
"""Signing secret used by `signed_headers` unless told otherwise."""

VERIFICATION_TOKEN: Final = "deskbotFakeVerificationTkn"
"""The deprecated `token` field Slack still puts in every payload."""

TEAM_ID: Final = "T0DESK001"
TEAM_DOMAIN: Final = "deskbot-test"
TEAM_NAME: Final = "Deskbot Test"
API_APP_ID: Final = "A0DESKBOT"
BOT_USER_ID: Final = "U0DESKBOT"
BOT_ID: Final = "B0DESKBOT"

ADMIN_USER_ID: Final = "U0ADMIN1"
ADMIN_USER_NAME: Final = "desk.admin"
CHANNEL_ID: Final = "C0DESK001"
CHANNEL_NAME: Final = "desk-ops"

UNROUTABLE_RESPONSE_URL: Final = "http://127.0.0.1:9/response/unset"
"""Default `response_url` of built payloads: a loopback port nobody listens on.

A listener that calls `respond()` in a test that did not pass
`response_url=fake.response_url(...)` gets "connection refused" instead of reaching
hooks.slack.com. It still costs about a second (slack_sdk's WebhookClient retries a
refused connection once after a back-off), so pass a fake response_url whenever the
listener responds.
"""
