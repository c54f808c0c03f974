"""The /_simulator control surface and `reset`, as a benchmark in another process uses them."""

from __future__ import annotations

import httpx

from bot.simulator import ACTIVE_SESSION_ID, Simulator
from tests.simulator.conftest import SevenMoor, Tencent


def test_post_faults_merges_and_get_shows_them(sim: Simulator, http: httpx.Client) -> None:
    answer = http.post("/_simulator/faults", json={"latency": 0.01})
    assert answer.status_code == 200
    http.post("/_simulator/faults", json={"endpoints": {"queueQueue": {"outage": "503"}}})
    expected = {"latency": 0.01, "endpoints": {"queueQueue": {"outage": "503"}}}
    assert http.get("/_simulator/faults").json() == expected
    assert sim.faults.to_json() == expected
    assert sim.faults.effective("queueQueue").outage == "503"


def test_faults_set_over_http_take_effect(http: httpx.Client, moor: SevenMoor) -> None:
    http.post("/_simulator/faults", json={"endpoints": {"queueQueue": {"http_5xx": 502}}})
    assert moor.post("queueQueue", {}).status_code == 502
    http.post("/_simulator/faults", json={"clear": True})
    assert moor.post("queueQueue", {}).status_code == 200


def test_bad_faults_are_a_400_and_change_nothing(sim: Simulator, http: httpx.Client) -> None:
    sim.faults.garbage = True
    for content in (b"{not json", b'{"outage": "later"}', b'{"typo": 1}', b"[1]"):
        answer = http.post("/_simulator/faults", content=content)
        assert answer.status_code == 400
        assert answer.json()["ok"] is False
    assert sim.faults.to_json() == {"garbage": True, "endpoints": {}}


def test_stats_report_accepted_peaks_and_over_limit(
    http: httpx.Client, moor: SevenMoor, tencent: Tencent
) -> None:
    for _ in range(22):
        moor.post("queueQueue", {})
    tencent.call(
        "send_msg",
        {
            "SessionId": ACTIVE_SESSION_ID,
            "MsgRandom": 1,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}],
        },
    )
    stats = http.get("/_simulator/stats").json()
    assert stats["endpoints"]["queueQueue"] == {
        "received": 22,
        "accepted": 20,
        "over_limit": 2,
        "peak_per_minute": 20,
        "peak_per_second": 20,
    }
    assert stats["endpoints"]["send_msg"]["accepted"] == 1
    assert stats["over_limit"] == 2
    assert stats["sent_messages"] == 1
    assert "/_simulator/stats" not in stats["endpoints"]


def test_reset_restores_the_seed_and_clears_everything(
    sim: Simulator, http: httpx.Client, moor: SevenMoor, tencent: Tencent
) -> None:
    world = sim.state
    exten = moor.ok("addQueue", {"displayName": "temporary"})["data"]["exten"]
    moor.ok("updateQueueAssignMembers", {"exten": "10019346", "assignMembers": []})
    sim.state.set_claim("30003", pc=False)
    sim.state.end_session(ACTIVE_SESSION_ID)
    for _ in range(20):
        moor.post("queueQueue", {})
    sim.faults.latency = 0.01
    assert http.post("/_simulator/reset").json() == {"ok": True}

    assert sim.state is world  # references held by tests stay valid
    assert exten not in sim.state.groups
    assert sim.state.groups["10019346"].member_numbers() == ["8000", "8001", "8002", "8005"]
    assert sim.state.agents["30003"].pc_claim is True
    assert sim.state.sessions[ACTIVE_SESSION_ID].state == "Agent"
    assert sim.calls() == []
    assert sim.peak_per_minute("queueQueue") == 0
    assert sim.faults.to_json() == {"endpoints": {}}
    assert moor.post("queueQueue", {}).status_code == 200  # the rate window is empty again


def test_reset_method_is_the_same(sim: Simulator, moor: SevenMoor) -> None:
    moor.ok("addQueue", {"displayName": "temporary"})
    groups = len(sim.state.groups)
    sim.reset()
    assert len(sim.state.groups) == groups - 1
    assert sim.sent_messages() == []


def test_control_paths_are_not_vendor_calls(sim: Simulator, http: httpx.Client) -> None:
    sim.faults.outage = "reset"
    assert http.get("/_simulator/stats").status_code == 200
    assert http.get("/_simulator/nothing").status_code == 404
    assert http.get("/_simulator/reset").status_code == 405
    assert sim.calls() == []


def test_unknown_paths_are_404(http: httpx.Client) -> None:
    assert http.post("/v3/whatever").status_code == 404
    assert http.get("/").status_code == 404
