"""Pytest fixtures for the Slack fakes: one fresh fake per test, always shut down.

Enable suite-wide with `pytest_plugins = ["tests.slack_fakes.fixtures"]` in the top-level
tests/conftest.py (pytest only honours `pytest_plugins` there). Each fixture is
function-scoped because the fakes are stateful (recorded calls, used trigger ids,
injected failures) and start in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from tests.slack_fakes.defaults import BOT_TOKEN
from tests.slack_fakes.socket_mode import FakeSocketModeServer
from tests.slack_fakes.web_api import FakeSlackWebApi


@pytest.fixture
def slack_api() -> Iterator[FakeSlackWebApi]:
    """A running `FakeSlackWebApi`; `slack_api.url` is the `SLACK_API_URL` to configure."""
    with FakeSlackWebApi() as fake:
        yield fake


@pytest.fixture
def socket_mode_server(slack_api: FakeSlackWebApi) -> Iterator[FakeSocketModeServer]:
    """A running `FakeSocketModeServer` that `slack_api`'s apps.connections.open points to."""
    with FakeSocketModeServer(web_api=slack_api) as server:
        yield server


@pytest.fixture
def slack_client(slack_api: FakeSlackWebApi) -> WebClient:
    """A `WebClient` with the bot token, talking to `slack_api`."""
    return WebClient(base_url=slack_api.url, token=BOT_TOKEN)
