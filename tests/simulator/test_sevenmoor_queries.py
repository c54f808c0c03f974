"""7moor reads: queueQueue and queueQueueAgentClaimStatus, paging, lookups and answer shapes."""

from __future__ import annotations

from bot.simulator import Simulator
from tests.simulator.conftest import SevenMoor

DOC_QUEUE_EXAMPLE = {
    "success": True,
    "data": {
        "count": 2,
        "list": [
            {
                "displayName": "阿瓦达哇多23",
                "exten": "10018590",
                "assignRule": "priority",
                "isMemory": True,
                "memoryTime": "120",
                "updateTime": "2022-01-04 16:17:27",
                "updateAgent": "",
                "assignMembers": [
                    {"agentNumber": "23234", "agentName": "yanxiaoqi", "priority": "0"}
                ],
            },
            {
                "displayName": "阿瓦达哇多23",
                "exten": "10018587",
                "assignRule": "priority",
                "isMemory": True,
                "memoryTime": "120",
                "updateTime": "2021-12-27 11:23:50",
                "updateAgent": "",
                "assignMembers": [{"agentNumber": "23235", "agentName": "23235", "priority": "0"}],
            },
        ],
    },
    "message": "200 ok!",
}

DOC_CLAIM_EXAMPLE = {
    "success": True,
    "data": {
        "count": 1,
        "list": [
            {
                "displayName": "30003",
                "exten": "10019345",
                "assignRule": "random",
                "assignMembers": [
                    {
                        "agentNumber": "30003",
                        "agentName": "测试外呼选号",
                        "pcAutoClaim": True,
                        "mobileAutoClaim": True,
                        "priority": "0",
                        "phone": "15711356914",
                    }
                ],
            }
        ],
    },
    "message": "200 ok!",
}


def test_documents_query_example_comes_back_verbatim(moor: SevenMoor) -> None:
    assert moor.ok("queueQueue", {"displayName": "阿瓦达哇多23"}) == DOC_QUEUE_EXAMPLE


def test_documents_claim_example_comes_back_verbatim(moor: SevenMoor) -> None:
    body = {"displayName": "30003", "exten": "10019345", "page": 1, "pageSize": 10}
    assert moor.ok("queueQueueAgentClaimStatus", body) == DOC_CLAIM_EXAMPLE


def test_list_answers_have_no_code_field(moor: SevenMoor) -> None:
    for endpoint in ("queueQueue", "queueQueueAgentClaimStatus"):
        answer = moor.ok(endpoint, {})
        assert "code" not in answer
        assert answer["success"] is True
        assert answer["message"] == "200 ok!"


def test_default_page_is_the_first_ten_and_count_is_the_total(
    sim: Simulator, moor: SevenMoor
) -> None:
    answer = moor.ok("queueQueue", {})
    total = len(sim.state.groups)
    assert total > 10
    assert answer["data"]["count"] == total
    assert len(answer["data"]["list"]) == 10
    assert [row["exten"] for row in answer["data"]["list"]] == list(sim.state.groups)[:10]


def test_paging_walks_every_group_once(sim: Simulator, moor: SevenMoor) -> None:
    seen: list[str] = []
    for page in range(1, 10):
        answer = moor.ok("queueQueue", {"page": page, "pageSize": 5})
        assert answer["data"]["count"] == len(sim.state.groups)
        rows = answer["data"]["list"]
        if not rows:
            break
        seen += [row["exten"] for row in rows]
    assert seen == list(sim.state.groups)


def test_page_past_the_end_is_empty_with_the_count(sim: Simulator, moor: SevenMoor) -> None:
    answer = moor.ok("queueQueue", {"page": 99})
    assert answer["data"] == {"count": len(sim.state.groups), "list": []}


def test_bad_paging_values_fall_back_to_defaults(moor: SevenMoor) -> None:
    answer = moor.ok("queueQueue", {"page": "abc", "pageSize": 0})
    assert len(answer["data"]["list"]) == 10


def test_exten_ignores_every_other_parameter(moor: SevenMoor) -> None:
    body = {"exten": "10019349", "displayName": "阿瓦达哇多23", "page": 7, "pageSize": 1}
    answer = moor.ok("queueQueue", body)
    assert answer["data"]["count"] == 1
    assert [row["displayName"] for row in answer["data"]["list"]] == ["Night Shift"]


def test_exten_may_be_a_number(moor: SevenMoor) -> None:
    answer = moor.ok("queueQueue", {"exten": 10019349})
    assert answer["data"]["list"][0]["exten"] == "10019349"


def test_wrong_exten_gives_an_empty_result_not_an_error(moor: SevenMoor) -> None:
    for endpoint in ("queueQueue", "queueQueueAgentClaimStatus"):
        answer = moor.ok(endpoint, {"exten": "99999999", "displayName": "Night Shift"})
        assert answer == {"success": True, "data": {"count": 0, "list": []}, "message": "200 ok!"}


def test_display_name_matches_substrings(moor: SevenMoor) -> None:
    answer = moor.ok("queueQueue", {"displayName": "Night"})
    names = [row["displayName"] for row in answer["data"]["list"]]
    assert names == ["Night Shift", "Night Shift Backup"]
    assert moor.ok("queueQueue", {"displayName": "阿瓦达哇多"})["data"]["count"] == 3


def test_priority_is_a_string_in_answers(moor: SevenMoor) -> None:
    answer = moor.ok("queueQueue", {"exten": "10019351"})
    members = answer["data"]["list"][0]["assignMembers"]
    assert [m["priority"] for m in members] == ["5", "3", "1"]
    claims = moor.ok("queueQueueAgentClaimStatus", {"exten": "10019351"})
    assert [m["priority"] for m in claims["data"]["list"][0]["assignMembers"]] == ["5", "3", "1"]


def test_group_fields_have_the_documented_types(moor: SevenMoor) -> None:
    for row in moor.ok("queueQueue", {"pageSize": 100})["data"]["list"]:
        assert set(row) == {
            "displayName",
            "exten",
            "assignRule",
            "isMemory",
            "memoryTime",
            "updateTime",
            "updateAgent",
            "assignMembers",
        }
        assert isinstance(row["isMemory"], bool)
        assert isinstance(row["memoryTime"], str)
        assert isinstance(row["updateAgent"], str)
        assert row["assignRule"] in ("random", "queue", "least", "priority")


def test_claim_status_members_carry_claims_and_phone(moor: SevenMoor) -> None:
    answer = moor.ok("queueQueueAgentClaimStatus", {"exten": "10019346"})
    row = answer["data"]["list"][0]
    assert set(row) == {"displayName", "exten", "assignRule", "assignMembers"}
    first = row["assignMembers"][0]
    assert first == {
        "agentNumber": "8000",
        "agentName": "张伟",
        "pcAutoClaim": True,
        "mobileAutoClaim": True,
        "priority": "0",
        "phone": "13812345670",
    }


def test_claim_status_follows_the_world(sim: Simulator, moor: SevenMoor) -> None:
    sim.state.set_claim("8000", pc=False, app=False)
    member = moor.ok("queueQueueAgentClaimStatus", {"exten": "10019346"})["data"]["list"][0][
        "assignMembers"
    ][0]
    assert (member["pcAutoClaim"], member["mobileAutoClaim"]) == (False, False)


def test_nobody_claims_in_night_shift(moor: SevenMoor) -> None:
    members = moor.ok("queueQueueAgentClaimStatus", {"displayName": "Night Shift"})["data"]["list"][
        0
    ]["assignMembers"]
    assert members
    assert not any(m["pcAutoClaim"] or m["mobileAutoClaim"] for m in members)


def test_claim_status_pages_by_display_name(moor: SevenMoor) -> None:
    answer = moor.ok("queueQueueAgentClaimStatus", {"displayName": "阿瓦达哇多23", "pageSize": 1})
    assert answer["data"]["count"] == 2
    assert [row["exten"] for row in answer["data"]["list"]] == ["10018590"]
    answer = moor.ok(
        "queueQueueAgentClaimStatus", {"displayName": "阿瓦达哇多23", "page": 2, "pageSize": 1}
    )
    assert [row["exten"] for row in answer["data"]["list"]] == ["10018587"]


def test_group_members_are_never_paged(moor: SevenMoor) -> None:
    row = moor.ok("queueQueue", {"exten": "10019354"})["data"]["list"][0]
    assert len(row["assignMembers"]) > 10


def test_malformed_body_is_a_body_code_400(moor: SevenMoor) -> None:
    for content in (b"", b"{not json", b"[1, 2]"):
        response = moor.post("queueQueue", content=content)
        assert response.status_code == 200
        assert response.json()["code"] == 400
        assert response.json()["success"] is False


def test_malformed_body_uses_http_400_when_switched(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.sevenmoor_error_http_status = True
    response = moor.post("queueQueue", content=b"{")
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_only_post_is_allowed(moor: SevenMoor) -> None:
    response = moor.post("queueQueue", {}, method="GET")
    assert response.status_code == 405
    assert response.json()["success"] is False


def test_unknown_endpoint_is_404(moor: SevenMoor) -> None:
    response = moor.post("deleteQueue", {})
    assert response.status_code == 404


def test_calls_are_recorded_with_sim_time_and_body(sim: Simulator, moor: SevenMoor) -> None:
    moor.ok("queueQueue", {"exten": "10019349"})
    moor.clock.advance(5)
    moor.post("queueQueue", {}, secret="wrong")
    first, second = sim.calls("queueQueue")
    assert (first.vendor, first.endpoint, first.status, first.code) == (
        "7moor",
        "queueQueue",
        200,
        200,
    )
    assert first.body == {"exten": "10019349"}
    assert first.accepted and not first.over_limit
    assert second.time == first.time + 5
    assert (second.code, second.accepted) == (403, False)
    assert "sig" in first.query
    assert sim.calls("addQueue") == []
    assert len(sim.calls()) == 2
