"""Redis going away does not take the bot down, and it recovers when Redis is back.

The test owns its redis-server (`private_redis`) and kills it for real (SIGKILL); the
back-off before Redis is tried again is measured with the fake clock.
"""

from __future__ import annotations

import logging

import pytest

from bot.budget import BudgetUnshared
from bot.clock import FakeClock
from bot.desk import CLAIMS_TTL
from bot.models import MessageTarget, NewGroup
from bot.shared import MAX_BACKOFF, SharedStateUnavailable
from bot.simulator import ACTIVE_SESSION_ID, Simulator
from tests.facade.conftest import CLAIMS, UPDATE
from tests.redis.conftest import Instances
from tests.redis.server import RedisServer
from tests.slack_fakes import ADMIN_USER_ID

pytestmark = pytest.mark.redis

NIGHT_SHIFT = "10019349"
SESSION = MessageTarget(session_id=ACTIVE_SESSION_ID)
VALUES = {"customer_name": "Li Lei", "topic": "your refund"}


def test_without_redis_reads_go_on_changes_and_sends_stop_then_it_recovers(
    instance: Instances,
    private_redis: RedisServer,
    simulator: Simulator,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.shared")
    desk = instance(private_redis.url)
    seen = desk.claims(NIGHT_SHIFT)
    preview = desk.preview_message(ADMIN_USER_ID, SESSION, "follow_up", VALUES)

    private_redis.kill()

    assert desk.claims(NIGHT_SHIFT) == seen  # still fresh here: answered from this process
    clock.advance(CLAIMS_TTL)
    stale = desk.claims(NIGHT_SHIFT)  # expired: no budget to share, so the last good answer
    assert stale.stale and stale.value == seen.value
    assert "(Redis) is unreachable" in stale.stale_reason
    with pytest.raises(BudgetUnshared):  # nothing to fall back on: said so, not a crash
        desk.im_agents()

    with pytest.raises(SharedStateUnavailable, match="nothing was changed"):
        desk.add_member(ADMIN_USER_ID, NIGHT_SHIFT, "8000")
    with pytest.raises(SharedStateUnavailable, match="Nothing was changed or sent"):
        desk.send_preview(ADMIN_USER_ID, preview.id)
    with pytest.raises(SharedStateUnavailable, match="Nothing was sent"):
        desk.preview_message(ADMIN_USER_ID, SESSION, "follow_up", VALUES)
    with pytest.raises(BudgetUnshared, match="nothing was changed"):  # it would go unrecorded
        desk.create_group(ADMIN_USER_ID, NewGroup("Campaign"))
    assert simulator.calls(UPDATE) == [] and simulator.calls("send_msg") == []
    assert simulator.calls("addQueue") == []
    assert len(simulator.calls(CLAIMS)) == 1

    warnings = [
        r for r in caplog.records if r.name == "bot.shared" and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert private_redis.url.removeprefix("redis://") in warnings[0].getMessage()

    private_redis.start()  # an empty Redis: it kept nothing on disk
    clock.advance(MAX_BACKOFF)  # the next use probes it

    assert desk.add_member(ADMIN_USER_ID, NIGHT_SHIFT, "8000").verified
    again = desk.preview_message(ADMIN_USER_ID, SESSION, "follow_up", VALUES)
    assert desk.send_preview(ADMIN_USER_ID, again.id).status == "sent"
    fresh = desk.claims(NIGHT_SHIFT)
    assert not fresh.stale and "8000" in {agent.agent_number for agent in fresh.value.agents}
    recovered = [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(recovered) == 1
    assert [
        r for r in caplog.records if r.name == "bot.shared" and r.levelno >= logging.WARNING
    ] == warnings
