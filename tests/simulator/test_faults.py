"""Fault switches: latency, outages, 5xx, garbage, forced over-limit, scopes and `times`."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.simulator import FaultError, Faults, FaultSwitches, Simulator
from tests.simulator.conftest import SevenMoor, Tencent

LATENCY = 0.2


def test_latency_is_real_time_and_scoped_to_its_endpoint(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.set(endpoint="queueQueue", latency=LATENCY)
    started = time.perf_counter()
    assert moor.post("queueQueue", {}).status_code == 200
    assert time.perf_counter() - started >= LATENCY
    started = time.perf_counter()
    assert moor.post("queueQueueAgentClaimStatus", {}).status_code == 200
    assert time.perf_counter() - started < LATENCY


def test_latency_beyond_the_client_timeout_still_performs_the_write(
    sim: Simulator, moor: SevenMoor
) -> None:
    """The realistic trap: the client gives up, the vendor still changes the group."""
    sim.faults.set(endpoint="updateQueueAssignMembers", latency=LATENCY)
    body = {"exten": "10019353", "assignMembers": [{"agentNumber": "8000"}]}
    with pytest.raises(httpx.ReadTimeout):
        moor.post("updateQueueAssignMembers", body, timeout=LATENCY / 4)
    deadline = time.monotonic() + 5
    while not sim.calls("updateQueueAssignMembers") and time.monotonic() < deadline:
        time.sleep(0.01)  # the server thread finishes its (real) latency, not the sim clock
    [call] = sim.calls("updateQueueAssignMembers")
    assert call.code == 200
    assert sim.state.groups["10019353"].member_numbers() == ["8000"]


def test_outage_reset_drops_the_connection(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.outage = "reset"
    with pytest.raises(httpx.TransportError):
        moor.post("queueQueue", {})
    [call] = sim.calls("queueQueue")
    assert (call.status, call.code, call.accepted) == (0, None, False)
    sim.faults.outage = None
    assert moor.post("queueQueue", {}).status_code == 200  # the client reconnects


def test_outage_503_answers_html(sim: Simulator, tencent: Tencent) -> None:
    sim.faults.outage = "503"
    response = tencent.post("get_session_state", {"SessionId": "x"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize("status", [500, 502, 504])
def test_http_5xx(sim: Simulator, moor: SevenMoor, status: int) -> None:
    sim.faults.http_5xx = status
    response = moor.post("queueQueue", {})
    assert response.status_code == status
    assert str(status) in response.text
    assert sim.calls("queueQueue")[0].status == status


def test_garbage_is_http_200_that_is_not_json(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.garbage = True
    response = moor.post("queueQueue", {})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_forced_over_limit_for_7moor_both_styles(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.over_limit = True
    response = moor.post("queueQueue", {})
    assert (response.status_code, response.json()["code"]) == (429, 429)
    sim.faults.sevenmoor_over_limit_http_200 = True
    response = moor.post("queueQueue", {})
    assert (response.status_code, response.json()["code"]) == (200, 429)
    assert sim.over_limit_answers("queueQueue") == 2
    assert sim.peak_per_minute("queueQueue") == 0


def test_forced_over_limit_still_checks_auth_first(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.over_limit = True
    assert moor.post("queueQueue", {}, secret="wrong").json()["code"] == 403


def test_forced_over_limit_for_tencent(sim: Simulator, tencent: Tencent) -> None:
    sim.faults.set(endpoint="send_msg", over_limit=True)
    answer = tencent.call("send_msg", {})
    assert (answer["ActionStatus"], answer["ErrorCode"]) == ("FAIL", 60007)
    assert sim.over_limit_answers() == 1


def test_internal_error_is_the_vendors_own_answer(
    sim: Simulator, moor: SevenMoor, tencent: Tencent
) -> None:
    sim.faults.internal_error = True
    answer = moor.ok("queueQueue", {})
    assert (answer["code"], answer["success"]) == (500, False)
    assert tencent.call("get_session_state", {"SessionId": "x"})["ErrorCode"] == 141002
    sim.faults.sevenmoor_error_http_status = True
    assert moor.post("queueQueue", {}).status_code == 500


def test_times_limits_a_fault_to_that_many_requests(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.set(endpoint="queueQueue", outage="503", times=2)
    statuses = [moor.post("queueQueue", {}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert sim.faults.to_json() == {"endpoints": {}}


def test_endpoint_scope_overrides_the_global_scope() -> None:
    faults = Faults()
    faults.latency = 1.0
    faults.set(endpoint="send_msg", latency=0.5, garbage=True)
    assert faults.effective("send_msg") == FaultSwitches(latency=0.5, garbage=True)
    assert faults.effective("queueQueue") == FaultSwitches(latency=1.0)
    assert faults.latency == 1.0
    faults.set(endpoint="send_msg", latency=None)
    assert faults.effective("send_msg") == FaultSwitches(latency=1.0, garbage=True)
    faults.clear("send_msg")
    assert faults.effective("send_msg") == FaultSwitches(latency=1.0)
    faults.clear()
    assert faults.effective("send_msg") == FaultSwitches()


@pytest.mark.parametrize(
    "switches",
    [
        {"latency": -1},
        {"latency": "slow"},
        {"outage": "down"},
        {"http_5xx": 404},
        {"garbage": "yes"},
        {"tencent_limit_per_second": 0},
        {"nonsense": True},
    ],
)
def test_bad_switches_are_refused(switches: dict[str, object]) -> None:
    faults = Faults()
    with pytest.raises(FaultError):
        faults.set(**switches)
    assert faults.to_json() == {"endpoints": {}}


def test_json_form_round_trips() -> None:
    faults = Faults()
    payload = {
        "latency": 0.2,
        "sevenmoor_error_http_status": True,
        "endpoints": {"queueQueue": {"outage": "reset", "times": 1}, "send_msg": {"garbage": True}},
    }
    faults.apply_json(payload)
    assert faults.to_json() == payload
    faults.apply_json({"latency": None, "endpoints": {"send_msg": {"garbage": None}}})
    assert faults.to_json() == {
        "sevenmoor_error_http_status": True,
        "endpoints": {"queueQueue": {"outage": "reset", "times": 1}},
    }
    faults.apply_json({"clear": True, "http_5xx": 502})
    assert faults.to_json() == {"http_5xx": 502, "endpoints": {}}


def test_bad_json_form_changes_nothing() -> None:
    faults = Faults()
    faults.latency = 0.1
    with pytest.raises(FaultError):
        faults.apply_json({"clear": True, "endpoints": {"send_msg": {"outage": "sometimes"}}})
    with pytest.raises(FaultError):
        faults.apply_json({"clear": True, "garbage": True, "times": 0})
    assert faults.to_json() == {"latency": 0.1, "endpoints": {}}
