"""Reading through the facade over real HTTP to the simulator: groups, one group, claims."""

from __future__ import annotations

import pytest

from bot.desk import Desk
from bot.errors import AmbiguousGroup, GroupNotFound
from bot.simulator import GroupMember, Simulator, SkillGroup
from bot.vendors.sevenmoor import PAGE_SIZE
from tests.facade.conftest import CLAIMS, QUEUE, list_reads


def add_campaign_groups(simulator: Simulator, count: int) -> None:
    for n in range(count):
        simulator.state.add_group(
            SkillGroup(
                exten=str(20_000_000 + n),
                display_name=f"Campaign {n:03d}",
                assign_rule="priority",
                is_memory=False,
                memory_time="",
                update_time="2024-11-11 00:00:00",
                update_agent="",
                members=[GroupMember("8000", n % 7), GroupMember("8001", 3)],
            )
        )


def test_groups_returns_every_group_across_pages(desk: Desk, simulator: Simulator) -> None:
    add_campaign_groups(simulator, PAGE_SIZE + 20)  # more than one of our pages
    reading = desk.groups()

    extens = [group.exten for group in reading.value]
    assert len(extens) == len(set(extens)) == len(simulator.state.groups) == 17 + PAGE_SIZE + 20
    assert set(extens) == set(simulator.state.groups)
    assert [call.body["page"] for call in simulator.calls(QUEUE)] == [1, 2]
    assert not reading.stale


def test_priorities_arrive_as_strings_and_leave_as_ints(desk: Desk, simulator: Simulator) -> None:
    groups = {group.exten: group for group in desk.groups().value}

    after_sales = groups["10019347"]  # 售后服务: 8004→1, 8006→0, 8008→2, 8009→0
    assert [(m.agent_number, m.priority) for m in after_sales.members] == [
        ("8004", 1),
        ("8006", 0),
        ("8008", 2),
        ("8009", 0),
    ]
    for group in groups.values():
        world = simulator.state.groups[group.exten]
        assert [type(m.priority) for m in group.members] == [int] * len(world.members)
        assert group.roster() == {m.agent_number: m.priority for m in world.members}
    assert groups["10019347"].memory_time == 1440 and groups["10019349"].memory_time is None


def test_a_filter_matches_names_and_extens(desk: Desk) -> None:
    assert {g.exten for g in desk.groups("night").value} == {"10019349", "10019350"}
    assert [g.display_name for g in desk.groups("10019352").value] == ["VIP客户专线"]


@pytest.mark.parametrize(
    ("query", "exten"),
    [
        ("10019349", "10019349"),  # exact exten
        ("Night Shift", "10019349"),  # exact name, although "Night Shift Backup" contains it
        ("night shift", "10019349"),  # case-insensitive
        ("  Night Shift  ", "10019349"),  # surrounding blanks do not count
        ("After-Sales", "10019348"),  # unique partial, any case
        ("VIP客户", "10019352"),  # unique partial in Chinese
        ("阿瓦达哇多", "10018578"),  # exact name beats the two "阿瓦达哇多23" that contain it
        ("30003", "10019345"),  # a name that looks like an exten
    ],
)
def test_find_group(desk: Desk, query: str, exten: str) -> None:
    assert desk.find_group(query).exten == exten


def test_a_partial_name_matching_several_groups_lists_them(desk: Desk) -> None:
    with pytest.raises(AmbiguousGroup) as raised:
        desk.find_group("backup")  # "Night Shift Backup" and "Weekend Backup"
    assert sorted(raised.value.matches) == [
        ("10019350", "Night Shift Backup"),
        ("10019353", "Weekend Backup"),
    ]


def test_two_groups_with_one_name_are_listed_never_guessed(
    desk: Desk, simulator: Simulator
) -> None:
    with pytest.raises(AmbiguousGroup) as raised:
        desk.claims("阿瓦达哇多23")
    assert sorted(raised.value.matches) == [
        ("10018587", "阿瓦达哇多23"),
        ("10018590", "阿瓦达哇多23"),
    ]
    assert raised.value.sentence == "2 skill groups match “阿瓦达哇多23”."
    assert "exten" in raised.value.next_step
    assert simulator.calls(CLAIMS) == []  # nothing was asked about either


def test_no_match_says_so_and_how_to_look(desk: Desk) -> None:
    with pytest.raises(GroupNotFound) as raised:
        desk.find_group("Moon Base")
    assert "Moon Base" in raised.value.sentence
    assert "/desk groups" in raised.value.next_step


def test_claims_show_every_pc_app_combination_with_masked_phones(
    desk: Desk, simulator: Simulator
) -> None:
    reading = desk.claims("全员值班")  # 15 members, 8000-8014
    claims = reading.value
    world = simulator.state

    assert claims.exten == "10019354" and claims.display_name == "全员值班"
    assert [a.agent_number for a in claims.agents] == [f"80{n:02d}" for n in range(15)]
    for agent in claims.agents:
        known = world.agents[agent.agent_number]
        assert (agent.name, agent.pc_claim, agent.app_claim) == (
            known.name,
            known.pc_claim,
            known.app_claim,
        )
        masked = agent.masked_phone
        assert known.phone not in masked and known.phone[3:-2] not in masked
        assert masked == known.phone[:3] + "*" * (len(known.phone) - 5) + known.phone[-2:]
        assert known.phone not in repr(agent)
    combinations = {(a.pc_claim, a.app_claim) for a in claims.agents}
    assert combinations == {(True, True), (True, False), (False, True), (False, False)}
    assert claims.claiming_count == sum(1 for a in claims.agents if a.pc_claim or a.app_claim)
    assert [call.body for call in simulator.calls(CLAIMS)] == [
        {"exten": "10019354", "page": 1, "pageSize": PAGE_SIZE}
    ]
    assert len(list_reads(simulator)) == 1  # finding the group: one listing


def test_claims_of_a_group_without_members_is_empty_not_an_error(desk: Desk) -> None:
    claims = desk.claims("Weekend Backup").value
    assert claims.exten == "10019353" and claims.agents == () and claims.claiming_count == 0
