"""Member-list changes through the facade, against the simulator over real HTTP.

Every change is a read-modify-write of the whole list (the vendor replaces it and skips
unknown agents silently): these tests check the list the simulator ends up with, what the
bot sent, what it recorded, and that it never calls a change done that it did not verify.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot import roster
from bot.changes import ChangeConflictWithState, ChangeResult
from bot.clock import FakeClock
from bot.desk import Desk, InvalidGroup
from bot.errors import DeskError, PermissionRefused, RequestError
from bot.models import Member, NewGroup
from bot.settings import Settings
from bot.simulator import Simulator
from bot.state import ChangeRecord
from tests.change_helpers import (
    AFTER_SALES,
    CREATE,
    NIGHT_SHIFT,
    READ,
    UNKNOWN_AGENT,
    WRITE,
    fail_reads_after_the_write,
    members_of,
    when_called,
    writes,
)
from tests.conftest import SUPERVISOR_USER_ID, make_settings
from tests.slack_fakes import ADMIN_USER_ID, FakeSlackWebApi

ADMIN = ADMIN_USER_ID
AFTER_SALES_LIST = [("8004", 1), ("8006", 0), ("8008", 2), ("8009", 0)]
NIGHT_SHIFT_LIST = [("8003", 0), ("8011", 0), ("8019", 0)]


@pytest.fixture
def audited(desk: Desk) -> list[ChangeRecord]:
    """Every record the audit hook saw, in order."""
    seen: list[ChangeRecord] = []
    desk.on_change = seen.append
    return seen


def pairs(members: tuple[Member, ...]) -> list[tuple[str, int]]:
    return [(m.agent_number, m.priority) for m in members]


# ---- add / remove / swap: the whole list, everyone else kept exactly ----------------------


def test_add_rewrites_the_whole_list_keeping_everyone_and_their_priorities(
    desk: Desk, simulator: Simulator, audited: list[ChangeRecord]
) -> None:
    result = desk.add_member(ADMIN, "售后服务", "8021", 4)

    expected = [*AFTER_SALES_LIST, ("8021", 4)]
    assert members_of(simulator, AFTER_SALES) == expected
    assert writes(simulator) == [expected]
    assert result.outcome == "ok" and result.verified
    assert result.skipped == () and result.differences == ()
    assert pairs(result.record.before) == AFTER_SALES_LIST
    assert pairs(result.record.after) == expected
    assert audited == [result.record]
    assert desk.state.recent_changes() == [result.record]


def test_remove_keeps_everyone_else_and_their_priorities(desk: Desk, simulator: Simulator) -> None:
    result = desk.remove_member(ADMIN, AFTER_SALES, "8006")

    assert members_of(simulator, AFTER_SALES) == [("8004", 1), ("8008", 2), ("8009", 0)]
    assert result.outcome == "ok"


def test_swap_puts_the_new_agent_in_the_old_place_with_the_old_priority(
    desk: Desk, simulator: Simulator
) -> None:
    result = desk.swap_members(ADMIN, AFTER_SALES, "8008", "8021")

    assert members_of(simulator, AFTER_SALES) == [
        ("8004", 1),
        ("8006", 0),
        ("8021", 2),
        ("8009", 0),
    ]
    assert result.outcome == "ok"
    assert result.record.action == "swap"


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda d: d.add_member(ADMIN, NIGHT_SHIFT, "8003"), "already in this group"),
        (lambda d: d.remove_member(ADMIN, NIGHT_SHIFT, "8021"), "not in this group"),
        (lambda d: d.swap_members(ADMIN, NIGHT_SHIFT, "8021", "8022"), "not in this group"),
    ],
)
def test_a_change_that_makes_no_sense_writes_and_records_nothing(
    desk: Desk, simulator: Simulator, change: Callable[[Desk], ChangeResult], sentence: str
) -> None:
    with pytest.raises(roster.RosterError, match=sentence):
        change(desk)
    assert simulator.calls(WRITE) == []
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST
    assert desk.state.recent_changes() == []


def test_a_write_invalidates_the_cached_group_list(desk: Desk, simulator: Simulator) -> None:
    assert len(desk.find_group(NIGHT_SHIFT).members) == 3  # cached now
    desk.add_member(ADMIN, NIGHT_SHIFT, "8021")
    assert [m.agent_number for m in desk.find_group(NIGHT_SHIFT).members][-1] == "8021"


# ---- the vendor's silent skip -----------------------------------------------------------


def test_an_unknown_agent_is_reported_as_skipped_and_the_change_as_failed(
    desk: Desk, simulator: Simulator
) -> None:
    result = desk.add_member(ADMIN, NIGHT_SHIFT, UNKNOWN_AGENT)

    assert writes(simulator) == [[*NIGHT_SHIFT_LIST, (UNKNOWN_AGENT, 0)]]  # it was sent…
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST  # …and silently dropped
    assert result.outcome == "failed" and not result.verified
    assert result.skipped == (UNKNOWN_AGENT,)
    assert "7moor skipped 9999" in result.record.detail
    assert "unchanged" in result.record.detail
    # The audit keeps what was asked for, so the log can say what did not happen.
    assert pairs(result.record.after) == [*NIGHT_SHIFT_LIST, (UNKNOWN_AGENT, 0)]


def test_a_partly_skipped_edit_is_partial_and_records_the_list_as_it_really_is(
    desk: Desk, simulator: Simulator
) -> None:
    _group, seen = desk.group_for_edit(ADMIN, NIGHT_SHIFT)
    wanted = (*[Member(a, p) for a, p in NIGHT_SHIFT_LIST], Member("9999", 0), Member("8021", 1))

    result = desk.edit_members(ADMIN, seen, wanted)

    assert members_of(simulator, NIGHT_SHIFT) == [*NIGHT_SHIFT_LIST, ("8021", 1)]
    assert result.outcome == "partial" and result.verified
    assert result.skipped == ("9999",)
    assert "7moor skipped 9999" in result.record.detail
    assert pairs(result.record.after) == [*NIGHT_SHIFT_LIST, ("8021", 1)]


def test_a_partial_change_can_be_undone(desk: Desk, simulator: Simulator) -> None:
    """Undo compares with what the change left behind, not with what it asked for."""
    _group, seen = desk.group_for_edit(ADMIN, NIGHT_SHIFT)
    partial = desk.edit_members(
        ADMIN, seen, (*[Member(a, p) for a, p in NIGHT_SHIFT_LIST], Member("9999"), Member("8021"))
    )

    undo = desk.undo(ADMIN, partial.record.id)

    assert undo.outcome == "ok"
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


# ---- no lost update ------------------------------------------------------------------------


def test_an_edit_on_a_group_changed_behind_the_bots_back_writes_nothing(
    desk: Desk, simulator: Simulator, audited: list[ChangeRecord]
) -> None:
    _group, seen = desk.group_for_edit(ADMIN, NIGHT_SHIFT)
    simulator.state.replace_members(NIGHT_SHIFT, [("8003", 0), ("8020", 1)], update_agent="8000")

    with pytest.raises(ChangeConflictWithState) as conflict:
        desk.edit_members(ADMIN, seen, (Member("8003"), Member("8021")))

    assert simulator.calls(WRITE) == []
    assert members_of(simulator, NIGHT_SHIFT) == [("8003", 0), ("8020", 1)]
    assert pairs(conflict.value.current.members) == [("8003", 0), ("8020", 1)]
    assert "changed since you looked" in conflict.value.sentence
    [record] = desk.state.recent_changes()
    assert record.outcome == "conflict"
    assert pairs(record.before) == pairs(record.after) == [("8003", 0), ("8020", 1)]
    assert record.detail == (
        "Refused: the group changed since it was read (its members changed); nothing was written."
    )
    assert audited == [record]


def test_a_new_update_time_alone_counts_as_a_change(desk: Desk, simulator: Simulator) -> None:
    _group, seen = desk.group_for_edit(ADMIN, NIGHT_SHIFT)
    with simulator.state.lock:  # someone saved the group in the console without changing it
        simulator.state.groups[NIGHT_SHIFT].update_time = "2031-01-01 09:00:00"

    with pytest.raises(ChangeConflictWithState, match="updated at 2031-01-01 09:00:00"):
        desk.edit_members(ADMIN, seen, (Member("8003"),))
    assert simulator.calls(WRITE) == []


def test_two_changes_at_once_to_one_group_both_land(desk: Desk, simulator: Simulator) -> None:
    # Slow answers make the two read-modify-writes overlap unless the bot serialises them.
    simulator.faults.set(endpoint=READ, latency=0.02)
    desk.groups()  # both threads then start from the same cached list
    barrier = threading.Barrier(2)

    def add(agent: str) -> ChangeResult:
        barrier.wait()
        return desk.add_member(ADMIN, NIGHT_SHIFT, agent)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(add, ["8021", "8022"]))

    assert [r.outcome for r in results] == ["ok", "ok"]
    final = members_of(simulator, NIGHT_SHIFT)
    assert final[:3] == NIGHT_SHIFT_LIST
    assert sorted(final[3:]) == [("8021", 0), ("8022", 0)]
    first, second = writes(simulator)
    assert set(first) < set(second)  # the second write was computed from the first's result


# ---- vendor failures: never "ok" without a read-back that shows it ----------------------


@pytest.mark.parametrize("fault", [{"internal_error": True}, {"garbage": True}])
def test_a_failed_write_is_failed_and_carries_the_groups_actual_state(
    desk: Desk, simulator: Simulator, fault: dict[str, Any]
) -> None:
    simulator.faults.set(endpoint=WRITE, **fault)

    result = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")

    assert result.outcome == "failed" and not result.verified
    assert result.error is not None
    assert result.after is not None and pairs(result.after.members) == NIGHT_SHIFT_LIST
    assert result.record.detail.startswith(result.error.sentence)
    assert "The group is unchanged." in result.record.detail
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


@pytest.mark.parametrize("fault", [{"http_5xx": 502}, {"outage": "503"}, {"outage": "reset"}])
def test_a_write_that_may_still_be_in_flight_is_unverified_never_failed(
    desk: Desk, simulator: Simulator, fault: dict[str, Any]
) -> None:
    simulator.faults.set(endpoint=WRITE, **fault)

    result = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")

    assert result.outcome == "unverified" and not result.verified
    assert result.error is not None
    assert result.after is not None and pairs(result.after.members) == NIGHT_SHIFT_LIST
    assert result.record.detail == (
        f"{result.error.sentence} The group looks unchanged, but 7moor may still apply the change."
    )


def test_a_write_whose_read_back_fails_is_unverified(
    desk: Desk, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_reads_after_the_write(monkeypatch, simulator)

    result = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")

    assert members_of(simulator, NIGHT_SHIFT) == [*NIGHT_SHIFT_LIST, ("8021", 0)]
    assert result.outcome == "unverified" and not result.verified
    assert result.after is None and result.error is None
    assert "could not read the group back" in result.record.detail
    assert len(simulator.calls(READ)) >= 3  # the read-back was retried before giving up


def test_a_failed_write_and_a_failed_read_back_leave_the_state_unknown(
    desk: Desk, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator.faults.set(endpoint=WRITE, http_5xx=500)
    fail_reads_after_the_write(monkeypatch, simulator)

    result = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")

    assert result.outcome == "unverified"
    assert "its state is unknown" in result.record.detail


def test_a_vendor_down_before_the_write_raises_and_records_nothing(
    desk: Desk, simulator: Simulator
) -> None:
    desk.groups()  # the group list is cached; the fresh re-read before writing is not
    simulator.faults.set(endpoint=READ, outage="reset")

    with pytest.raises(RequestError, match="could not reach 7moor"):
        desk.add_member(ADMIN, NIGHT_SHIFT, "8021")

    assert simulator.calls(WRITE) == []
    assert desk.state.recent_changes() == []


def test_an_audit_hook_that_fails_never_turns_a_done_change_into_an_error(
    desk: Desk, simulator: Simulator
) -> None:
    def broken(_record: ChangeRecord) -> None:
        raise ConnectionError("Slack is down")

    desk.on_change = broken

    result = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")

    assert result.outcome == "ok"
    assert desk.state.recent_changes()[0].outcome == "ok"


# ---- Undo ------------------------------------------------------------------------------------


def test_undo_restores_the_exact_previous_list_priorities_too(
    desk: Desk, simulator: Simulator
) -> None:
    change = desk.swap_members(ADMIN, AFTER_SALES, "8004", "8021")
    assert members_of(simulator, AFTER_SALES)[0] == ("8021", 1)

    undo = desk.undo(ADMIN, change.record.id)

    assert undo.outcome == "ok"
    assert members_of(simulator, AFTER_SALES) == AFTER_SALES_LIST
    assert undo.record.undo_of == change.record.id
    assert desk.state.change(change.record.id).undone_by == undo.record.id  # type: ignore[union-attr]


def test_undo_twice_undoes_once(desk: Desk, simulator: Simulator) -> None:
    change = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")
    first = desk.undo(ADMIN, change.record.id)

    with pytest.raises(DeskError, match=f"already undone \\(by #{first.record.id}\\)"):
        desk.undo(ADMIN, change.record.id)
    assert len(simulator.calls(WRITE)) == 2


def test_two_simultaneous_undos_write_once(desk: Desk, simulator: Simulator) -> None:
    change = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")
    barrier = threading.Barrier(2)

    def undo(_: int) -> str:
        barrier.wait()
        try:
            return desk.undo(ADMIN, change.record.id).outcome
        except DeskError as refused:
            return refused.sentence

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(undo, range(2)))

    assert "ok" in answers
    assert any("already" in answer for answer in answers)
    assert len(simulator.calls(WRITE)) == 2  # the change and exactly one undo
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


def test_undo_is_refused_when_the_group_changed_since(desk: Desk, simulator: Simulator) -> None:
    change = desk.add_member(ADMIN, NIGHT_SHIFT, "8021")
    simulator.state.replace_members(NIGHT_SHIFT, [*NIGHT_SHIFT_LIST, ("8021", 0), ("8022", 0)])

    with pytest.raises(ChangeConflictWithState) as conflict:
        desk.undo(ADMIN, change.record.id)

    assert f"changed after change #{change.record.id}" in conflict.value.sentence
    assert "nothing was written" in conflict.value.sentence
    assert len(simulator.calls(WRITE)) == 1
    assert desk.state.recent_changes()[0].outcome == "conflict"
    # The reservation was released: once the group is back, Undo works.
    simulator.state.replace_members(NIGHT_SHIFT, [*NIGHT_SHIFT_LIST, ("8021", 0)])
    assert desk.undo(ADMIN, change.record.id).outcome == "ok"


def test_undo_of_a_change_that_did_not_happen_is_refused(desk: Desk, simulator: Simulator) -> None:
    failed = desk.add_member(ADMIN, NIGHT_SHIFT, UNKNOWN_AGENT)
    with pytest.raises(DeskError) as refused:
        desk.undo(ADMIN, failed.record.id)
    assert refused.value.sentence == (
        f"Change #{failed.record.id} did not take effect (failed), so there is nothing to undo."
    )
    with pytest.raises(DeskError, match=r"There is no change #4242\."):
        desk.undo(ADMIN, 4242)
    assert len(simulator.calls(WRITE)) == 1


# ---- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda d, who: d.add_member(who, NIGHT_SHIFT, "8021"),
        lambda d, who: d.remove_member(who, NIGHT_SHIFT, "8003"),
        lambda d, who: d.swap_members(who, NIGHT_SHIFT, "8003", "8021"),
        lambda d, who: d.group_for_edit(who, NIGHT_SHIFT),
        lambda d, who: d.create_group(who, NewGroup("Late Shift")),
        lambda d, who: d.undo(who, 1),
    ],
)
def test_a_non_admin_changes_nothing_and_no_vendor_is_asked(
    desk: Desk, simulator: Simulator, change: Callable[[Desk, str], object]
) -> None:
    with pytest.raises(PermissionRefused, match="Only deskbot admins"):
        change(desk, SUPERVISOR_USER_ID)
    assert simulator.calls() == []


def test_without_admins_every_change_is_refused_with_how_to_configure_it(
    simulator: Simulator, slack_api: FakeSlackWebApi, tmp_path: Path, clock: FakeClock
) -> None:
    settings: Settings = make_settings(
        simulator.url, slack_api.url, tmp_path / "state.sqlite3", admins=frozenset()
    )
    desk = Desk.from_settings(settings, clock=clock)
    try:
        with pytest.raises(PermissionRefused) as refused:
            desk.add_member(ADMIN, NIGHT_SHIFT, "8021")
    finally:
        desk.close()
    assert refused.value.sentence.startswith("Changes and sends are switched off")
    assert "DESK_ADMINS" in refused.value.next_step
    assert simulator.calls() == []


# ---- creating a group ---------------------------------------------------------------------


def test_create_makes_exactly_the_group_asked_for(desk: Desk, simulator: Simulator) -> None:
    wanted = NewGroup(
        "Late Shift",
        assign_rule="least",
        is_memory=True,
        memory_time=10080,
        members=(Member("8021", 2), Member("8022", 0)),
    )

    result = desk.create_group(ADMIN, wanted)

    exten = result.record.exten
    created = simulator.state.groups[exten]
    assert (created.display_name, created.assign_rule, created.is_memory, created.memory_time) == (
        "Late Shift",
        "least",
        True,
        "10080",
    )
    assert members_of(simulator, exten) == [("8021", 2), ("8022", 0)]
    assert result.outcome == "ok"
    assert result.record.action == "create" and result.record.before == ()
    assert [call.body["displayName"] for call in simulator.calls(CREATE)] == ["Late Shift"]


def test_create_reports_skipped_members_and_never_calls_a_created_group_failed(
    desk: Desk, simulator: Simulator
) -> None:
    only_unknown = desk.create_group(ADMIN, NewGroup("Ghosts", members=(Member("9999"),)))
    some_unknown = desk.create_group(
        ADMIN, NewGroup("Mixed", members=(Member("9999"), Member("8021", 1)))
    )

    assert members_of(simulator, only_unknown.record.exten) == []
    assert only_unknown.outcome == "partial"
    assert only_unknown.skipped == ("9999",)
    assert "The group was created, but 7moor skipped 9999" in only_unknown.record.detail
    assert members_of(simulator, some_unknown.record.exten) == [("8021", 1)]
    assert some_unknown.outcome == "partial"


def test_create_whose_read_back_fails_is_unverified(
    desk: Desk, simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    when_called(
        monkeypatch, simulator, CREATE, lambda: simulator.faults.set(endpoint=READ, outage="503")
    )

    result = desk.create_group(ADMIN, NewGroup("Late Shift", members=(Member("8021"),)))

    assert result.outcome == "unverified"
    assert f"created the group as {result.record.exten}" in result.record.detail
    assert simulator.state.groups[result.record.exten].display_name == "Late Shift"


def test_an_invalid_new_group_never_reaches_the_vendor(desk: Desk, simulator: Simulator) -> None:
    with pytest.raises(InvalidGroup) as invalid:
        desk.create_group(ADMIN, NewGroup("  ", is_memory=True))
    assert set(invalid.value.problems) == {"display_name", "memory_time"}
    assert simulator.calls(CREATE) == []
