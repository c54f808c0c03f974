"""The seed world: what demos and tests rely on is there, and it is the same every run."""

from __future__ import annotations

import re

from bot.clock import FakeClock
from bot.simulator import ACTIVE_SESSION_ID, ENDED_SESSION_ID, World
from bot.simulator.seed import build_world
from bot.simulator.world import ASSIGN_RULES, MEMORY_TIMES


def _world() -> World:
    return build_world(FakeClock())


def test_documents_records_are_present() -> None:
    world = _world()
    assert world.groups["10018590"].display_name == "阿瓦达哇多23"
    assert world.groups["10018587"].display_name == "阿瓦达哇多23"
    assert world.groups["10019345"].display_name == "30003"
    assert world.agents["30003"].phone == "15711356914"
    assert world.agents["23234"].name == "yanxiaoqi"
    assert "@customer_service_account" in world.im_agents
    assert world.sessions[ACTIVE_SESSION_ID].state == "Agent"
    assert ACTIVE_SESSION_ID == "fd8a2e30-54de-4e40-bcaf-02718409c5cf"


def test_groups_cover_every_case_a_test_needs() -> None:
    groups = list(_world().groups.values())
    names = [group.display_name for group in groups]
    assert len(groups) >= 14
    assert "<!channel> VIP & Co" in names
    assert {"Night Shift", "After-sales Team"} <= set(names)
    assert any(re.search(r"[\u4e00-\u9fff]", name) for name in names)
    assert any(not group.members for group in groups)
    assert any(len(group.members) > 10 for group in groups)
    assert {group.assign_rule for group in groups} == set(ASSIGN_RULES)
    assert {group.is_memory for group in groups} == {True, False}
    for group in groups:
        if group.is_memory:
            assert group.memory_time in MEMORY_TIMES
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", group.update_time)


def test_agents_cover_every_claim_combination() -> None:
    world = _world()
    assert len(world.agents) >= 30
    combos = {(agent.pc_claim, agent.app_claim) for agent in world.agents.values()}
    assert combos == {(True, True), (True, False), (False, True), (False, False)}
    for agent in world.agents.values():
        assert re.fullmatch(r"1\d{10}", agent.phone)
    assert "9999" not in world.agents and "7777" not in world.agents
    for group in world.groups.values():
        assert all(number in world.agents for number in group.member_numbers())


def test_a_group_where_nobody_claims() -> None:
    world = _world()
    night = world.groups["10019349"]
    assert night.members
    assert not any(
        world.agents[n].pc_claim or world.agents[n].app_claim for n in night.member_numbers()
    )


def test_sessions_active_and_ended() -> None:
    sessions = _world().sessions
    assert sessions[ENDED_SESSION_ID].ended
    assert sum(1 for s in sessions.values() if not s.ended) >= 3
    assert sum(1 for s in sessions.values() if s.ended) >= 1


def test_seed_is_deterministic_and_worlds_do_not_share_state() -> None:
    first, second = _world(), _world()
    assert first.groups == second.groups
    assert first.agents == second.agents
    assert first.im_agents == second.im_agents
    first.groups["10019346"].members.clear()
    first.im_agents["@customer_service_account"].document["ChatbotDisabled"] = 1
    assert second.groups["10019346"].members
    assert _world().im_agents["@customer_service_account"].document["ChatbotDisabled"] == 0
