"""7moor writes: updateQueueAssignMembers replaces, addQueue defaults, silent skips."""

from __future__ import annotations

from typing import Any

from bot.simulator import Simulator
from tests.simulator.conftest import SevenMoor

OK = {"code": 200, "success": True, "message": "success!"}


def _members(moor: SevenMoor, exten: str) -> list[dict[str, Any]]:
    rows = moor.ok("queueQueue", {"exten": exten})["data"]["list"]
    members: list[dict[str, Any]] = rows[0]["assignMembers"]
    return members


def test_update_replaces_the_whole_list(moor: SevenMoor) -> None:
    body = {"exten": "10019346", "assignMembers": [{"agentNumber": "8010", "priority": 2}]}
    assert moor.ok("updateQueueAssignMembers", body) == OK
    assert _members(moor, "10019346") == [
        {"agentNumber": "8010", "agentName": "徐丽", "priority": "2"}
    ]


def test_update_skips_unknown_agents_silently(moor: SevenMoor) -> None:
    body = {
        "exten": "10019346",
        "assignMembers": [
            {"agentNumber": "9999", "priority": 1},
            {"agentNumber": "8001", "priority": 1},
            {"agentNumber": "7777"},
        ],
    }
    assert moor.ok("updateQueueAssignMembers", body) == OK
    assert [m["agentNumber"] for m in _members(moor, "10019346")] == ["8001"]


def test_update_defaults_bad_priorities_to_zero(moor: SevenMoor) -> None:
    body = {
        "exten": "10019353",
        "assignMembers": [
            {"agentNumber": "8000"},
            {"agentNumber": "8001", "priority": "high"},
            {"agentNumber": "8002", "priority": -4},
            {"agentNumber": "8003", "priority": None},
            {"agentNumber": "8004", " priority": 7},  # the document's own typo: not the field
            {"agentNumber": "8005", "priority": 3},
            {"agentNumber": "8006", "priority": "4"},
        ],
    }
    assert moor.ok("updateQueueAssignMembers", body) == OK
    priorities = {m["agentNumber"]: m["priority"] for m in _members(moor, "10019353")}
    assert priorities == {
        "8000": "0",
        "8001": "0",
        "8002": "0",
        "8003": "0",
        "8004": "0",
        "8005": "3",
        "8006": "4",
    }


def test_update_keeps_the_first_of_repeated_agents(moor: SevenMoor) -> None:
    body = {
        "exten": "10019353",
        "assignMembers": [{"agentNumber": "8000", "priority": 1}, {"agentNumber": "8000"}],
    }
    moor.ok("updateQueueAssignMembers", body)
    assert _members(moor, "10019353") == [
        {"agentNumber": "8000", "agentName": "张伟", "priority": "1"}
    ]


def test_update_with_an_empty_list_empties_the_group(moor: SevenMoor) -> None:
    assert moor.ok("updateQueueAssignMembers", {"exten": "10019346", "assignMembers": []}) == OK
    assert _members(moor, "10019346") == []


def test_update_stamps_update_time_in_beijing_time(sim: Simulator, moor: SevenMoor) -> None:
    moor.clock.advance(3600)  # START + 1 h = 2023-11-15 07:13:20 in Beijing
    moor.ok("updateQueueAssignMembers", {"exten": "10019349", "assignMembers": []})
    row = moor.ok("queueQueue", {"exten": "10019349"})["data"]["list"][0]
    assert row["updateTime"] == "2023-11-15 07:13:20"
    assert row["updateAgent"] == ""


def test_update_of_unknown_exten_is_a_400(moor: SevenMoor) -> None:
    answer = moor.ok("updateQueueAssignMembers", {"exten": "99999999", "assignMembers": []})
    assert answer["code"] == 400
    assert answer["success"] is False
    assert "data" not in answer


def test_update_without_a_member_list_is_a_400_and_changes_nothing(moor: SevenMoor) -> None:
    before = _members(moor, "10019346")
    for body in ({"exten": "10019346"}, {"exten": "10019346", "assignMembers": "8000"}):
        assert moor.ok("updateQueueAssignMembers", body)["code"] == 400
    assert _members(moor, "10019346") == before


def test_update_error_uses_http_400_when_switched(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.sevenmoor_error_http_status = True
    response = moor.post("updateQueueAssignMembers", {"exten": "nope", "assignMembers": []})
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_change_behind_the_bots_back_is_visible(sim: Simulator, moor: SevenMoor) -> None:
    sim.state.replace_members("10018590", [("8000", 1)], update_agent="8010")
    row = moor.ok("queueQueue", {"exten": "10018590"})["data"]["list"][0]
    assert row["assignMembers"] == [{"agentNumber": "8000", "agentName": "张伟", "priority": "1"}]
    assert row["updateAgent"] == "8010"
    assert row["updateTime"] == "2023-11-15 06:13:20"


def test_add_queue_returns_the_new_exten_and_the_group_exists(
    sim: Simulator, moor: SevenMoor
) -> None:
    body = {
        "assignRule": "priority",
        "displayName": "阿瓦达哇多",
        "isMemory": True,
        "memoryTime": "120",
        "assignMembers": [{"agentNumber": "8000", "priority": 0}],
    }
    answer = moor.ok("addQueue", body)
    exten = answer["data"]["exten"]
    assert answer == {"code": 200, "success": True, "message": "success!", "data": {"exten": exten}}
    assert exten not in ("10018578",) and exten.isdigit()
    row = moor.ok("queueQueue", {"exten": exten})["data"]["list"][0]
    assert row == {
        "displayName": "阿瓦达哇多",
        "exten": exten,
        "assignRule": "priority",
        "isMemory": True,
        "memoryTime": "120",
        "updateTime": "2023-11-15 06:13:20",
        "updateAgent": "",
        "assignMembers": [{"agentNumber": "8000", "agentName": "张伟", "priority": "0"}],
    }
    second = moor.ok("addQueue", {"displayName": "阿瓦达哇多"})["data"]["exten"]
    assert second != exten


def test_add_queue_defaults_wrong_fields(moor: SevenMoor) -> None:
    body = {
        "displayName": "Defaults",
        "assignRule": "fastest",
        "isMemory": "yes please",
        "memoryTime": "60",
        "assignMembers": [{"agentNumber": "9999"}, {"agentNumber": "8001", "priority": -1}],
    }
    exten = moor.ok("addQueue", body)["data"]["exten"]
    row = moor.ok("queueQueue", {"exten": exten})["data"]["list"][0]
    assert row["assignRule"] == "random"
    assert row["isMemory"] is False
    assert row["memoryTime"] == ""
    assert row["assignMembers"] == [{"agentNumber": "8001", "agentName": "王芳", "priority": "0"}]


def test_add_queue_with_memory_but_bad_duration_gets_the_shortest(moor: SevenMoor) -> None:
    exten = moor.ok("addQueue", {"displayName": "M", "isMemory": True, "memoryTime": 61})["data"][
        "exten"
    ]
    row = moor.ok("queueQueue", {"exten": exten})["data"]["list"][0]
    assert (row["isMemory"], row["memoryTime"]) == (True, "120")


def test_add_queue_takes_memory_time_as_a_number(moor: SevenMoor) -> None:
    exten = moor.ok("addQueue", {"displayName": "N", "isMemory": True, "memoryTime": 43200})[
        "data"
    ]["exten"]
    assert moor.ok("queueQueue", {"exten": exten})["data"]["list"][0]["memoryTime"] == "43200"


def test_add_queue_allows_a_duplicate_name(moor: SevenMoor) -> None:
    moor.ok("addQueue", {"displayName": "Night Shift"})
    answer = moor.ok("queueQueue", {"displayName": "Night Shift"})
    assert [row["displayName"] for row in answer["data"]["list"]].count("Night Shift") == 2


def test_add_queue_without_a_name_is_create_queue_error(sim: Simulator, moor: SevenMoor) -> None:
    groups = len(sim.state.groups)
    for body in ({}, {"displayName": ""}, {"displayName": "   "}, {"displayName": 12}):
        assert moor.ok("addQueue", body) == {
            "code": 400,
            "success": False,
            "message": "create Queue error",
        }
    assert len(sim.state.groups) == groups
