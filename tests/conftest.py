"""Suite-wide fixtures: a fake clock, the simulator, the facade and the real app wired to fakes.

Everything talks real HTTP on loopback: the facade to the built-in simulator, the app's
WebClient to the fake Slack Web API. Time moves only when a test moves `clock`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import limits.storage.memory
import limits.storage.redis
import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.app import create_app
from bot.clock import FakeClock
from bot.desk import Desk
from bot.settings import Settings
from bot.simulator import Simulator, vendor_settings
from tests.redis.server import RedisServer, running_redis
from tests.slack_fakes import ADMIN_USER_ID, BOT_TOKEN, SIGNING_SECRET, FakeSlackWebApi
from tests.slack_fakes.fixtures import slack_api, slack_client, socket_mode_server

__all__ = ["slack_api", "slack_client", "socket_mode_server"]

SUPERVISOR_USER_ID = "U0SUPER01"  # can read, cannot write
MAPPED_AGENT = "8010"  # DESK_AGENT_MAP: the admin is agent 8010
AUDIT_CHANNEL = "C0AUDIT01"


class _LimitsTime:
    """Stands in for the `time` module inside limits' memory storage, reading our clock."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    def time(self) -> float:
        return self._clock.time()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """One fake clock for the facade, the budget (limits' storages) and the simulator."""
    fake = FakeClock(start=time.time())
    monkeypatch.setattr(limits.storage.memory, "time", _LimitsTime(fake))
    monkeypatch.setattr(limits.storage.redis, "time", _LimitsTime(fake))
    return fake


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session; skipped without the binary (see tests/redis/server.py)."""
    with running_redis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test (tests run one at a time)."""
    client = redis_server.client()
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_server.url


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may kill and start again."""
    with running_redis() as server:
        yield server


@pytest.fixture
def simulator(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(clock=clock) as sim:
        yield sim


def make_settings(
    simulator_url: str, slack_url: str, state_path: Path, **overrides: object
) -> Settings:
    sevenmoor, tencent = vendor_settings(simulator_url)
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack_url,
        "sevenmoor": sevenmoor,
        "tencent": tencent,
        "admins": frozenset({ADMIN_USER_ID}),
        "audit_channel": AUDIT_CHANNEL,
        "agent_map": {ADMIN_USER_ID: MAPPED_AGENT},
        "state_path": state_path,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(simulator: Simulator, slack_api: FakeSlackWebApi, tmp_path: Path) -> Settings:
    return make_settings(simulator.url, slack_api.url, tmp_path / "state.sqlite3")


@pytest.fixture
def desk(settings: Settings, clock: FakeClock) -> Iterator[Desk]:
    facade = Desk.from_settings(settings, clock=clock)
    yield facade
    facade.close()


@pytest.fixture
def app(settings: Settings, desk: Desk, slack_client: WebClient) -> App:
    return create_app(settings, desk=desk, client=slack_client)
