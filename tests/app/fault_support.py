"""What the fault and hostile-input tests share: vendor time at a smaller scale, a scan of every
log line for secrets, and the clicks and deliveries several of them make.

Vendor latency is real time (the simulator's server thread sleeps) and so are the clients'
timeouts (sockets), so a test cannot move them with the fake clock. `TimeScaledTransport`
runs the same real HTTP with every client timeout multiplied by `SCALE`, and the simulator's
latency is set in the same scale (`vendor_seconds(5)`): "a 5 s answer against a 10 s read
timeout" keeps its meaning and costs an eighth of a second. Backoff and budget waits use the
fake clock as everywhere else.

`logs_without_secrets` captures every logger at DEBUG while a test runs and, after it, fails
the test if a configured secret (Slack bot, signing and app tokens, the 7moor API secret,
the Tencent secret key) reached any log record, or if any of those or a generated signature
(every 7moor `sig`, every Tencent `usersig` the simulator received) survives in the log as
`deskbot run` writes it (through `bot.logs.RedactSecrets`). Use it as an autouse fixture:
`pytestmark = pytest.mark.usefixtures("logs_without_secrets")`.

And the few steps several of those tests take: an admin's button (`admin_button`, the
`send_button` of a fresh preview), a click on it (`click_body`), a request delivered twice
(`deliver_twice`).
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from slack_bolt import App, BoltResponse

from bot.clock import FakeClock
from bot.desk import Desk
from bot.logs import RedactSecrets, secrets_of
from bot.settings import Settings
from bot.simulator import ACTIVE_SESSION_ID, Simulator
from handlers.render.messages import SEND_MESSAGE_ACTION_ID
from tests.app.conftest import Ask, buttons_of
from tests.app.test_send import FOLLOW_UP
from tests.slack_fakes import (
    ADMIN_USER_ID,
    APP_TOKEN,
    FakeSlackWebApi,
    block_action_body,
    dispatch,
    signed_headers,
)

SCALE = 0.025  # one vendor second is 25 ms: the 10 s read timeout becomes 0.25 s
SCANNED_LOGGERS = (
    "",
    "bot",
    "handlers",
    "deskbot",
    "slack_bolt",
    "slack_sdk",
    "httpx",
    "httpcore",
    "urllib3",
    "waitress",
    "websocket",
    "tests",
)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # as configure_logging writes
_names = itertools.count(1)


def vendor_seconds(seconds: float) -> float:
    """Real seconds standing for `seconds` of vendor time under `TimeScaledTransport`."""
    return seconds * SCALE


class TimeScaledTransport(httpx.BaseTransport):
    """Real HTTP, with the connect, read, write and pool timeouts the client set times SCALE."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        request.extensions = {
            **request.extensions,
            "timeout": {k: None if v is None else v * SCALE for k, v in timeouts.items()},
        }
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def scaled_desk(settings: Settings, clock: FakeClock) -> Desk:
    """The facade of the `desk` fixture, its vendor clients on `TimeScaledTransport`."""
    return Desk.from_settings(settings, clock=clock, transport=TimeScaledTransport())


class LogScan(logging.Handler):
    """Every record, as raised and as `deskbot run` would write it (redacted, formatted)."""

    def __init__(self, redactor: RedactSecrets) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self._redactor = redactor
        self.raw: list[str] = []
        self.written: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        raw = record.getMessage()
        if record.exc_info:
            raw += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.raw.append(raw)
        copy = logging.makeLogRecord(record.__dict__)  # other handlers keep the original
        self._redactor.filter(copy)
        self.written.append(self.format(copy))


def leaked(texts: list[str], secrets: set[str]) -> list[tuple[str, str]]:
    """(secret, line) for each secret found in a line, also in URL-encoded form."""
    forms = {form: secret for secret in secrets for form in (secret, quote(secret, safe=""))}
    return [(forms[form], text) for text in texts for form in forms if form in text]


def generated_signatures(simulator: Simulator) -> set[str]:
    """Every 7moor sig and Tencent UserSig the bot sent during the test."""
    return {
        value
        for call in simulator.calls()
        for key in ("sig", "usersig")
        if (value := call.query.get(key))
    }


@pytest.fixture
def logs_without_secrets(
    caplog: pytest.LogCaptureFixture, settings: Settings, simulator: Simulator
) -> Iterator[LogScan]:
    configured = {*secrets_of(settings), APP_TOKEN}
    for name in SCANNED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    scan = LogScan(RedactSecrets(configured))
    root = logging.getLogger()
    root.addHandler(scan)
    try:
        yield scan
    finally:
        root.removeHandler(scan)
    assert scan.raw, "nothing was logged: the scan would prove nothing"
    assert leaked(scan.raw, configured) == []
    assert leaked(scan.written, configured | generated_signatures(simulator)) == []


def response_url_name(kind: str) -> str:
    """A response_url name no other request of the test uses."""
    return f"{kind}-{next(_names)}"


def admin_button(ask: Ask, text: str, action_id: str) -> dict[str, Any]:
    """The `action_id` button of the answer to an admin's `/desk text`."""
    reply = ask(text, user_id=ADMIN_USER_ID).reply
    [found] = [b for b in buttons_of(reply) if b["action_id"] == action_id]
    return found


@pytest.fixture
def send_button(ask: Ask) -> dict[str, Any]:
    """The Send button of an admin's pending preview of FOLLOW_UP to the active session."""
    return admin_button(ask, f"send {ACTIVE_SESSION_ID} {FOLLOW_UP}", SEND_MESSAGE_ACTION_ID)


def click_body(slack_api: FakeSlackWebApi, pressed: dict[str, Any], name: str) -> str:
    """An admin's click on `pressed` (a button of an ephemeral answer), answered at `name`."""
    return block_action_body(
        pressed["action_id"],
        pressed["value"],
        user_id=ADMIN_USER_ID,
        is_ephemeral=True,
        response_url=slack_api.response_url(name),
    )


def deliver_twice(app: App, body: str) -> tuple[BoltResponse, BoltResponse]:
    """One signed request, then Slack's redelivery of it (`X-Slack-Retry-Num: 1`)."""
    first = dispatch(app, body, signed_headers(body))
    again = dispatch(app, body, signed_headers(body, retry_num=1))
    return first, again


def eventually(condition: Callable[[], Any], *, seconds: float = 5.0) -> None:
    """Wait for a server thread that is still finishing (a vendor answering after a timeout)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.005)
