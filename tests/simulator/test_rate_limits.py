"""Rate limits on the simulator's clock: 7moor per minute, Tencent IM Desk per second."""

from __future__ import annotations

import pytest

from bot.simulator import Simulator
from bot.simulator.limits import SlidingWindowLimiter
from tests.simulator.conftest import SevenMoor, Tencent


def test_21st_call_in_a_minute_is_http_429_with_body_code_429(
    sim: Simulator, moor: SevenMoor
) -> None:
    for _ in range(20):
        assert moor.post("queueQueue", {}).status_code == 200
    refused = moor.post("queueQueue", {})
    assert refused.status_code == 429
    assert refused.json()["code"] == 429
    assert refused.json()["success"] is False
    assert sim.over_limit_answers("queueQueue") == 1
    assert sim.peak_per_minute("queueQueue") == 20


def test_over_limit_as_http_200_when_switched(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.sevenmoor_over_limit_http_200 = True
    for _ in range(20):
        moor.ok("updateQueueAssignMembers", {"exten": "10019353", "assignMembers": []})
    refused = moor.post("updateQueueAssignMembers", {"exten": "10019353", "assignMembers": []})
    assert refused.status_code == 200
    assert refused.json()["code"] == 429
    assert refused.json()["success"] is False
    assert "frequent" in refused.json()["message"]


def test_accepted_again_once_the_clock_moves_60_seconds(sim: Simulator, moor: SevenMoor) -> None:
    for _ in range(20):
        moor.post("addQueue", {"displayName": "x"})
    moor.clock.advance(59.9)
    assert moor.post("addQueue", {"displayName": "x"}).status_code == 429
    moor.clock.advance(0.1)
    assert moor.post("addQueue", {"displayName": "x"}).json()["code"] == 200


def test_refused_calls_do_not_count(sim: Simulator, moor: SevenMoor) -> None:
    for _ in range(30):
        moor.post("queueQueue", {})
    assert sim.over_limit_answers("queueQueue") == 10
    moor.clock.advance(60)
    statuses = [moor.post("queueQueue", {}).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]


def test_window_slides(sim: Simulator, moor: SevenMoor) -> None:
    for _ in range(10):
        moor.post("queueQueue", {})
    moor.clock.advance(30)
    for _ in range(10):
        moor.post("queueQueue", {})
    assert moor.post("queueQueue", {}).status_code == 429
    moor.clock.advance(30)  # the first ten leave the window
    assert [moor.post("queueQueue", {}).status_code for _ in range(11)] == [200] * 10 + [429]
    assert sim.peak_per_minute("queueQueue") == 20


def test_each_endpoint_has_its_own_window(moor: SevenMoor) -> None:
    for _ in range(20):
        moor.post("queueQueue", {})
    assert moor.post("queueQueue", {}).status_code == 429
    assert moor.post("queueQueueAgentClaimStatus", {}).status_code == 200


def test_claim_status_allows_100_a_minute(sim: Simulator, moor: SevenMoor) -> None:
    statuses = [moor.post("queueQueueAgentClaimStatus", {}).status_code for _ in range(101)]
    assert statuses == [200] * 100 + [429]
    assert sim.peak_per_minute("queueQueueAgentClaimStatus") == 100


def test_tencent_default_limit_is_200_per_second(sim: Simulator, tencent: Tencent) -> None:
    codes = [
        tencent.call("get_session_state", {"SessionId": "nope"})["ErrorCode"] for _ in range(201)
    ]
    assert codes == [141005] * 200 + [60007]
    assert sim.peak_per_second("get_session_state") == 200
    assert sim.over_limit_answers("get_session_state") == 1


def test_tencent_limit_is_configurable_per_command(sim: Simulator, tencent: Tencent) -> None:
    sim.faults.set(endpoint="send_msg", tencent_limit_per_second=2)
    body = {"SessionId": "nope", "MsgRandom": 1, "MsgBody": []}
    answers = [tencent.call("send_msg", body) for _ in range(3)]
    assert [a["ErrorCode"] for a in answers] == [141004, 141004, 60007]
    assert answers[2]["ActionStatus"] == "FAIL"
    assert tencent.call("get_session_state", {"SessionId": "nope"})["ErrorCode"] == 141005
    tencent.clock.advance(1)
    assert tencent.call("send_msg", body)["ErrorCode"] == 141004


@pytest.mark.parametrize("limit", [1, 5])
def test_limiter_counts_only_accepted_calls(limit: int) -> None:
    limiter = SlidingWindowLimiter()
    allowed = [limiter.try_acquire("k", limit=limit, window=60, now=0) for _ in range(limit + 3)]
    assert allowed == [True] * limit + [False] * 3
    assert limiter.try_acquire("k", limit=limit, window=60, now=60)
    assert limiter.try_acquire("other", limit=limit, window=60, now=0)
