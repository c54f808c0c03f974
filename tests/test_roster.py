"""Pure pieces of a change: roster edits, diffs, the form's list format, new-group checks.

No I/O here: what add, remove and swap mean for a list, what a person may type into the
members form, and which new groups 7moor must never see.
"""

from __future__ import annotations

import pytest

from bot import roster
from bot.changes import GroupVersion
from bot.models import ASSIGN_RULES, MEMORY_TIMES, Member, NewGroup, SkillGroup
from handlers.views.common import (
    decode_members,
    encode_members,
    member_text,
    parse_member_lines,
)

LIST = (Member("8004", 1, "陈静"), Member("8006", 0), Member("8008", 2), Member("8009", 0))


def group(members: tuple[Member, ...], update_time: str = "2024-05-08 14:03:21") -> SkillGroup:
    return SkillGroup("10019347", "售后服务", "least", True, 1440, update_time, "", members)


# ---- add / remove / swap ---------------------------------------------------------------


def test_add_appends_and_keeps_everyone_else_exactly() -> None:
    after = roster.add(LIST, "8021", 3)
    assert after[:4] == LIST
    assert after[4] == Member("8021", 3)


def test_add_of_someone_already_there_is_refused_with_a_next_step() -> None:
    with pytest.raises(roster.RosterError) as refused:
        roster.add(LIST, "8006", 5)
    assert refused.value.sentence == "Agent 8006 is already in this group."
    assert "/desk members" in refused.value.next_step


def test_remove_takes_out_only_that_agent() -> None:
    assert roster.remove(LIST, "8008") == (LIST[0], LIST[1], LIST[3])


def test_remove_of_someone_absent_is_refused() -> None:
    with pytest.raises(roster.RosterError, match="Agent 8021 is not in this group"):
        roster.remove(LIST, "8021")


def test_swap_puts_the_new_agent_in_the_old_place_with_the_old_priority() -> None:
    after = roster.swap(LIST, "8008", "8021")
    assert [(m.agent_number, m.priority) for m in after] == [
        ("8004", 1),
        ("8006", 0),
        ("8021", 2),
        ("8009", 0),
    ]


@pytest.mark.parametrize(
    ("old", "new", "sentence"),
    [
        ("8021", "8022", "Agent 8021 is not in this group."),
        ("8004", "8006", "Agent 8006 is already in this group."),
        ("8004", "8004", "That would swap agent 8004 with itself."),
    ],
)
def test_swap_refuses_what_makes_no_sense(old: str, new: str, sentence: str) -> None:
    with pytest.raises(roster.RosterError) as refused:
        roster.swap(LIST, old, new)
    assert refused.value.sentence == sentence


def test_same_ignores_order_and_names_but_not_priorities() -> None:
    assert roster.same(LIST, tuple(reversed([Member(m.agent_number, m.priority) for m in LIST])))
    assert not roster.same(LIST, roster.swap(LIST, "8009", "8010"))
    assert not roster.same(LIST, (*LIST[:3], Member("8009", 1)))


def test_diff_names_added_removed_and_reprioritised() -> None:
    after = (Member("8004", 3), Member("8006", 0), Member("8021", 1))
    change = roster.diff(LIST, after)
    assert change.added == (Member("8021", 1),)
    assert [m.agent_number for m in change.removed] == ["8008", "8009"]
    assert change.reprioritised == ((Member("8004", 3), 1),)
    assert roster.diff(LIST, LIST).empty


# ---- the members form's text ---------------------------------------------------------------


def test_member_text_round_trips_through_the_parser_with_names_as_comments() -> None:
    text = member_text(LIST)
    assert text.splitlines()[0] == "8004 1  # 陈静"
    members, problems = parse_member_lines(text)
    assert problems == []
    assert [(m.agent_number, m.priority) for m in members] == [
        (m.agent_number, m.priority) for m in LIST
    ]


def test_parse_accepts_blank_lines_comments_and_a_missing_priority() -> None:
    members, problems = parse_member_lines("\n  8001   \n# just a note\n8002 7 # Bob\n")
    assert problems == []
    assert members == (Member("8001", 0), Member("8002", 7))


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("8001 1 2", "line 1: “8001 1 2” is not an agent number and a priority, like 8001 0"),
        ("80.01", "line 1: “80.01” is not an agent number and a priority, like 8001 0"),
        ("8001 -1", "line 1: priority “-1” is not a whole number from 0 to 999"),
        ("8001 x", "line 1: priority “x” is not a whole number from 0 to 999"),
        ("8001 1000", "line 1: priority “1000” is not a whole number from 0 to 999"),
        ("8001\n8002\n8001 3", "line 3: agent 8001 is listed twice"),
    ],
)
def test_parse_names_the_line_and_the_problem(text: str, sentence: str) -> None:
    _members, problems = parse_member_lines(text)
    assert [p.sentence for p in problems] == [sentence]


def test_encode_and_decode_members_round_trip_priorities() -> None:
    encoded = encode_members(LIST)
    assert encoded == "8004:1,8006:0,8008:2,8009:0"
    assert decode_members(encoded) == tuple(Member(m.agent_number, m.priority) for m in LIST)
    assert decode_members("") == ()


# ---- GroupVersion: what "changed since you looked" means -----------------------------------


def test_group_version_sees_member_changes_and_update_time_changes() -> None:
    seen = GroupVersion.of(group(LIST))
    assert seen.conflict(group(LIST)) is None
    assert seen.conflict(group(tuple(reversed(LIST)))) is None  # order alone is no change
    assert seen.conflict(group(LIST[:3])) == "its members changed"
    assert seen.conflict(group(LIST, update_time="2024-05-09 08:00:00")) == (
        "it was updated at 2024-05-09 08:00:00"
    )


def test_group_version_token_round_trips() -> None:
    seen = GroupVersion.of(group(LIST))
    assert GroupVersion.from_token(seen.token()) == seen


# ---- NewGroup.problems: what must never reach addQueue -------------------------------------


def test_a_complete_new_group_has_no_problems() -> None:
    for rule in ASSIGN_RULES:
        assert NewGroup("Late Shift", assign_rule=rule).problems() == {}
    for minutes in MEMORY_TIMES:
        assert NewGroup("Late Shift", is_memory=True, memory_time=minutes).problems() == {}


@pytest.mark.parametrize(
    ("group", "field", "sentence"),
    [
        (NewGroup(""), "display_name", "Give the group a name."),
        (NewGroup("   "), "display_name", "Give the group a name."),
        (NewGroup("x" * 65), "display_name", "Keep the name to 64 characters or fewer."),
        (
            NewGroup("Late", assign_rule="fastest"),
            "assign_rule",
            "Choose one of: random, queue, least, priority.",
        ),
        (
            NewGroup("Late", is_memory=True),
            "memory_time",
            "Memory needs a duration: 2 hours, 1 day, 1 week or 30 days.",
        ),
        (
            NewGroup("Late", is_memory=True, memory_time=60),
            "memory_time",
            "Memory needs a duration: 2 hours, 1 day, 1 week or 30 days.",
        ),
        (
            NewGroup("Late", memory_time=120),
            "memory_time",
            "A memory duration only applies when memory is on.",
        ),
    ],
)
def test_new_group_problems_name_the_field(group: NewGroup, field: str, sentence: str) -> None:
    assert group.problems() == {field: sentence}


def test_new_group_problems_report_every_field_at_once() -> None:
    problems = NewGroup("", assign_rule="?", is_memory=True).problems()
    assert set(problems) == {"display_name", "assign_rule", "memory_time"}
