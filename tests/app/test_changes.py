"""`/desk add|remove|swap`, Undo, permissions and the audit, through the real app.

Every request is a genuinely signed Slack request dispatched through `create_app`; the facade
talks real HTTP to the simulator. Assertions look at what the supervisor sees, what the
simulator holds afterwards, what the bot sent it and what was recorded and posted.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.app import create_app
from bot.clock import FakeClock
from bot.desk import Desk
from bot.settings import Settings
from bot.simulator import Simulator
from handlers.render.changes import UNDO_ACTION_ID
from tests.app.conftest import Answer, Ask, Click, answers_to, buttons_of, visible_text
from tests.change_helpers import (
    AFTER_SALES,
    NIGHT_SHIFT,
    READ,
    SPECIAL_NAME,
    UNKNOWN_AGENT,
    WRITE,
    fail_reads_after_the_write,
    members_of,
)
from tests.conftest import AUDIT_CHANNEL, SUPERVISOR_USER_ID, make_settings
from tests.slack_fakes import (
    ADMIN_USER_ID,
    BOT_TOKEN,
    FakeSlackWebApi,
    block_action_body,
    dispatch,
    slash_command_body,
)

ADMIN = ADMIN_USER_ID
AFTER_SALES_LIST = [("8004", 1), ("8006", 0), ("8008", 2), ("8009", 0)]
NIGHT_SHIFT_LIST = [("8003", 0), ("8011", 0), ("8019", 0)]
_names = itertools.count(1)


def undo_button(answer: Answer) -> dict[str, Any]:
    [button] = [b for b in buttons_of(answer.reply) if b["action_id"] == UNDO_ACTION_ID]
    return button


def audit_posts(slack_api: FakeSlackWebApi) -> list[dict[str, Any]]:
    return [
        dict(request.params)
        for request in slack_api.requests("chat.postMessage")
        if request.params.get("channel") == AUDIT_CHANNEL
    ]


def command(app: App, slack_api: FakeSlackWebApi, text: str, *, user_id: str) -> str:
    """`/desk text` through another app than the `app` fixture; the visible answer."""
    name = f"other-app-{next(_names)}"
    body = slash_command_body(text, user_id=user_id, response_url=slack_api.response_url(name))
    response = dispatch(app, body)
    assert response.status == 200
    return visible_text(answers_to(slack_api, response, name)[-1])


def press(app: App, slack_api: FakeSlackWebApi, button: dict[str, Any], *, user_id: str) -> str:
    name = f"other-click-{next(_names)}"
    body = block_action_body(
        button["action_id"],
        button["value"],
        user_id=user_id,
        is_ephemeral=True,
        response_url=slack_api.response_url(name),
    )
    assert dispatch(app, body).status == 200
    return visible_text(slack_api.wait_for_responses(name)[-1])


@pytest.fixture
def second_app(
    settings: Settings, clock: FakeClock, slack_api: FakeSlackWebApi
) -> Iterator[tuple[Desk, App]]:
    """Another deskbot process on the same DESK_STATE_PATH: what a restart looks like."""
    desk = Desk.from_settings(settings, clock=clock)
    app = create_app(settings, desk=desk, client=WebClient(base_url=slack_api.url, token=BOT_TOKEN))
    yield desk, app
    desk.close()


# ---- add / remove / swap -------------------------------------------------------------------


def test_add_rewrites_the_list_keeping_everyone_and_offers_undo(
    ask: Ask, simulator: Simulator, desk: Desk
) -> None:
    answer = ask("add 售后服务 8021 4", user_id=ADMIN)

    assert answer.in_ack  # the simulator is quick: the result travels with the ack
    assert members_of(simulator, AFTER_SALES) == [*AFTER_SALES_LIST, ("8021", 4)]
    [record] = desk.state.recent_changes()
    assert record.outcome == "ok"
    assert answer.text.startswith(":white_check_mark: *Done* — *售后服务* `10019347`: added 8021")
    assert "Verified" in answer.text
    assert "The group now has 5 member(s), as read back from 7moor" in answer.text
    assert undo_button(answer)["value"] == str(record.id)


def test_remove_keeps_everyone_else_and_their_priorities(ask: Ask, simulator: Simulator) -> None:
    answer = ask(f"remove {AFTER_SALES} 8006", user_id=ADMIN)

    assert members_of(simulator, AFTER_SALES) == [("8004", 1), ("8008", 2), ("8009", 0)]
    assert "*Done*" in answer.text and "removed 8006" in answer.text


def test_swap_gives_the_new_agent_the_old_place_and_priority(
    ask: Ask, simulator: Simulator
) -> None:
    answer = ask(f"swap {AFTER_SALES} 8008 8021", user_id=ADMIN)

    assert members_of(simulator, AFTER_SALES) == [
        ("8004", 1),
        ("8006", 0),
        ("8021", 2),
        ("8009", 0),
    ]
    assert "swap: added 8021 (priority 2); removed 8008" in answer.text


def test_me_resolves_through_the_agent_map(ask: Ask, simulator: Simulator) -> None:
    ask('swap "Night Shift" 8011 me', user_id=ADMIN)
    assert members_of(simulator, NIGHT_SHIFT) == [("8003", 0), ("8010", 0), ("8019", 0)]


def test_a_mapped_mention_resolves_through_the_agent_map(ask: Ask, simulator: Simulator) -> None:
    ask(f"add {NIGHT_SHIFT} <@{ADMIN}|desk.admin> 7", user_id=ADMIN, escape=False)
    assert members_of(simulator, NIGHT_SHIFT) == [*NIGHT_SHIFT_LIST, ("8010", 7)]


def test_an_unmapped_mention_is_refused_with_a_sentence(ask: Ask, simulator: Simulator) -> None:
    answer = ask(f"add {NIGHT_SHIFT} <@U0NOBODY1|lin>", user_id=ADMIN, escape=False)

    assert "deskbot does not know the agent number of the person you mentioned." in answer.text
    assert "Type <@U0NOBODY1>'s agent number instead" in answer.text  # a real mention
    assert "DESK_AGENT_MAP" in answer.text
    assert simulator.calls(WRITE) == []


def test_me_without_a_mapping_is_refused_kindly(
    simulator: Simulator, slack_api: FakeSlackWebApi, tmp_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(simulator.url, slack_api.url, tmp_path / "s.sqlite3", agent_map={})
    desk = Desk.from_settings(settings, clock=clock)
    app = create_app(settings, desk=desk, client=WebClient(base_url=slack_api.url, token=BOT_TOKEN))
    try:
        text = command(app, slack_api, f"add {NIGHT_SHIFT} me", user_id=ADMIN)
    finally:
        desk.close()
    assert "deskbot does not know your agent number." in text
    assert simulator.calls(WRITE) == []


@pytest.mark.parametrize("priority", ["-1", "x", "1000", "1.5"])
def test_a_bad_priority_is_refused_and_nothing_is_written(
    ask: Ask, simulator: Simulator, desk: Desk, priority: str
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} 8021 {priority}", user_id=ADMIN)

    assert f"“{priority}” is not a priority." in answer.text
    assert "A priority is a whole number from 0 to 999." in answer.text
    assert simulator.calls(WRITE) == []
    assert desk.state.recent_changes() == []


@pytest.mark.parametrize(
    ("agent", "shown"),
    [("80.01", "80.01"), ("8001;8002", "8001;8002"), ("<#C0DESK001|desk-ops>", "#desk-ops")],
)
def test_a_bad_agent_number_is_refused_and_nothing_is_written(
    ask: Ask, simulator: Simulator, agent: str, shown: str
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} {agent}", user_id=ADMIN, escape=False)

    assert f"“{shown}” is not an agent number." in answer.text
    assert simulator.calls(WRITE) == []


def test_a_command_with_missing_words_says_how_it_goes(ask: Ask, simulator: Simulator) -> None:
    answer = ask(f"swap {NIGHT_SHIFT} 8003", user_id=ADMIN)
    assert "That is not how `/desk swap &lt;group&gt; &lt;old&gt; &lt;new&gt;` goes." in answer.text
    assert simulator.calls(WRITE) == []


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (f"add {NIGHT_SHIFT} 8003", "Agent 8003 is already in this group."),
        (f"remove {NIGHT_SHIFT} 8021", "Agent 8021 is not in this group."),
        (f"swap {NIGHT_SHIFT} 8021 8022", "Agent 8021 is not in this group."),
        (f"swap {NIGHT_SHIFT} 8003 8011", "Agent 8011 is already in this group."),
    ],
)
def test_a_change_that_makes_no_sense_is_refused(
    ask: Ask, simulator: Simulator, desk: Desk, text: str, sentence: str
) -> None:
    answer = ask(text, user_id=ADMIN)

    assert sentence in answer.text
    assert simulator.calls(WRITE) == []
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST
    assert desk.state.recent_changes() == []


# ---- silent skips and vendor failures ------------------------------------------------------


def test_an_unknown_agent_is_not_done_and_named_as_skipped(
    ask: Ask, simulator: Simulator, desk: Desk
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} {UNKNOWN_AGENT}", user_id=ADMIN)

    assert answer.text.startswith(":x: *Not done* — *Night Shift* `10019349`.")
    assert "You asked to add 9999 with priority 0." in answer.text
    assert "7moor skipped 9999: no agent has that number" in answer.text
    assert buttons_of(answer.reply) == []  # nothing to undo
    assert desk.state.recent_changes()[0].outcome == "failed"
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


def test_a_failed_write_shows_the_groups_actual_state_and_never_done(
    ask: Ask, simulator: Simulator, desk: Desk
) -> None:
    simulator.faults.set(endpoint=WRITE, internal_error=True)

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert answer.text.startswith(":x: *Not done*")
    assert "*Done*" not in answer.text
    assert "The group is unchanged." in answer.text
    assert "try again in a minute" in answer.text.casefold()
    assert "The group now has 3 member(s), as read back from 7moor" in answer.text
    assert "`8021`" not in answer.text  # the list shown is the vendor's, not the intent
    assert buttons_of(answer.reply) == []
    assert desk.state.recent_changes()[0].outcome == "failed"


@pytest.mark.parametrize("fault", [{"http_5xx": 502}, {"outage": "reset"}])
def test_a_write_that_may_still_land_is_unverified_and_says_to_look_first(
    ask: Ask, simulator: Simulator, desk: Desk, fault: dict[str, Any]
) -> None:
    simulator.faults.set(endpoint=WRITE, **fault)

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert answer.text.startswith(":grey_question: *Sent to 7moor, but not verified*")
    assert "The group looks unchanged, but 7moor may still apply the change." in answer.text
    assert (
        f"Check the group with `/desk who {NIGHT_SHIFT}` before changing it again." in answer.text
    )
    assert "try again in a minute" not in answer.text.casefold()
    assert buttons_of(answer.reply) == []
    assert desk.state.recent_changes()[0].outcome == "unverified"


def test_a_write_whose_read_back_fails_is_not_verified(
    ask: Ask, simulator: Simulator, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_reads_after_the_write(monkeypatch, simulator)

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert "*Sent to 7moor, but not verified*" in answer.text
    assert "*Done*" not in answer.text
    assert f"Check the group with `/desk who {NIGHT_SHIFT}`" in answer.text
    assert buttons_of(answer.reply) == []
    assert desk.state.recent_changes()[0].outcome == "unverified"
    assert members_of(simulator, NIGHT_SHIFT)[-1] == ("8021", 0)  # it did land, unseen


def test_a_vendor_down_before_the_write_is_a_clear_error_and_nothing_is_recorded(
    ask: Ask, simulator: Simulator, desk: Desk, slack_api: FakeSlackWebApi
) -> None:
    simulator.faults.set(endpoint=READ, outage="503")

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert "7moor answered with a server error (HTTP 503)." in answer.text
    assert "try again in a minute" in answer.text
    assert simulator.calls(WRITE) == []
    assert desk.state.recent_changes() == []
    assert audit_posts(slack_api) == []


# ---- Undo --------------------------------------------------------------------------------


def test_undo_restores_the_exact_previous_list(
    ask: Ask, click: Click, simulator: Simulator
) -> None:
    answer = ask(f"swap {AFTER_SALES} 8004 8021", user_id=ADMIN)
    assert members_of(simulator, AFTER_SALES)[0] == ("8021", 1)

    [reply] = click(undo_button(answer), user_id=ADMIN)

    assert members_of(simulator, AFTER_SALES) == AFTER_SALES_LIST
    assert reply["replace_original"] is False  # the original answer stays, for the record
    text = visible_text(reply)
    assert text.startswith(":white_check_mark: *Done*")
    assert "undid: added 8004 (priority 1); removed 8021" in text


def test_two_clicks_on_undo_undo_once(
    ask: Ask, click: Click, simulator: Simulator, desk: Desk
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)
    button = undo_button(answer)
    click(button, user_id=ADMIN)

    [second] = click(button, user_id=ADMIN)

    change_id = button["value"]
    undo_id = desk.state.recent_changes()[0].id
    assert f"Change #{change_id} was already undone (by #{undo_id})." in visible_text(second)
    assert len(simulator.calls(WRITE)) == 2
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


def test_undo_is_refused_when_the_group_changed_since(
    ask: Ask, click: Click, simulator: Simulator, desk: Desk, slack_api: FakeSlackWebApi
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)
    simulator.state.replace_members(NIGHT_SHIFT, [("8003", 0), ("8021", 0)], update_agent="8000")

    [reply] = click(undo_button(answer), user_id=ADMIN)

    text = visible_text(reply)
    assert "changed after change #" in text and "nothing was written" in text
    assert "`8003`" in text and "`8021`" in text  # the group as it is now
    assert len(simulator.calls(WRITE)) == 1
    assert members_of(simulator, NIGHT_SHIFT) == [("8003", 0), ("8021", 0)]
    assert desk.state.recent_changes()[0].outcome == "conflict"
    conflict_post = audit_posts(slack_api)[-1]["blocks"][0]["text"]["text"]
    assert conflict_post.startswith(":no_entry: *conflict* · <@U0ADMIN1> · undo on *Night Shift*")
    assert "Refused: the group changed since it was read" in conflict_post


def test_undo_works_after_a_restart(
    ask: Ask,
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    second_app: tuple[Desk, App],
) -> None:
    answer = ask(f"remove {AFTER_SALES} 8008", user_id=ADMIN)
    restarted_desk, restarted_app = second_app

    text = press(restarted_app, slack_api, undo_button(answer), user_id=ADMIN)

    assert text.startswith(":white_check_mark: *Done*")
    assert members_of(simulator, AFTER_SALES) == AFTER_SALES_LIST
    undone = restarted_desk.state.change(int(undo_button(answer)["value"]))
    assert undone is not None and undone.undone_by is not None


def test_undo_pressed_by_a_non_admin_is_refused(
    ask: Ask, click: Click, simulator: Simulator
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    [reply] = click(undo_button(answer), user_id=SUPERVISOR_USER_ID)

    assert "Only deskbot admins can change skill groups" in visible_text(reply)
    assert len(simulator.calls(WRITE)) == 1
    assert members_of(simulator, NIGHT_SHIFT)[-1] == ("8021", 0)


# ---- permissions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"add {NIGHT_SHIFT} 8021",
        f"add {NIGHT_SHIFT} 8021 -1",  # refused for who asks, before what was typed
        f"remove {NIGHT_SHIFT} 8003",
        f"swap {NIGHT_SHIFT} 8003 8021",
        f"members {NIGHT_SHIFT}",
        "create",
    ],
)
def test_a_non_admin_is_refused_and_nothing_is_written_or_opened(
    ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi, text: str
) -> None:
    answer = ask(text)  # as the supervisor, who may read but not write

    assert "Only deskbot admins can change skill groups or send messages" in answer.text
    assert f"<@{ADMIN}>" in answer.text  # who to ask
    assert simulator.calls() == []
    assert slack_api.requests("views.open") == []


@pytest.mark.parametrize(
    "text",
    [
        f"add {NIGHT_SHIFT} 8021",
        f"remove {NIGHT_SHIFT} 8003",
        f"swap {NIGHT_SHIFT} 8003 8021",
        f"members {NIGHT_SHIFT}",
        "create",
    ],
)
def test_without_admins_every_change_says_how_to_configure_it(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    tmp_path: Path,
    clock: FakeClock,
    text: str,
) -> None:
    settings = make_settings(
        simulator.url, slack_api.url, tmp_path / "s.sqlite3", admins=frozenset()
    )
    desk = Desk.from_settings(settings, clock=clock)
    app = create_app(settings, desk=desk, client=WebClient(base_url=slack_api.url, token=BOT_TOKEN))
    try:
        answer = command(app, slack_api, text, user_id=ADMIN)
    finally:
        desk.close()
    assert "Changes and sends are switched off: no deskbot admins are configured." in answer
    assert "An operator can set DESK_ADMINS" in answer
    assert simulator.calls() == []
    assert slack_api.requests("views.open") == []


# ---- audit ---------------------------------------------------------------------------------


def test_every_change_is_recorded_and_posted_to_the_audit_channel(
    ask: Ask, click: Click, slack_api: FakeSlackWebApi, desk: Desk
) -> None:
    answer = ask(f"add {NIGHT_SHIFT} 8021 3", user_id=ADMIN)
    click(undo_button(answer), user_id=ADMIN)
    ask(f"add {NIGHT_SHIFT} {UNKNOWN_AGENT}", user_id=ADMIN)

    undo, failed = desk.state.recent_changes()[1], desk.state.recent_changes()[0]
    added = desk.state.recent_changes()[2]
    assert [r.action for r in (added, undo, failed)] == ["add", "undo", "add"]
    assert [r.outcome for r in (added, undo, failed)] == ["ok", "ok", "failed"]
    assert {r.user_id for r in (added, undo, failed)} == {ADMIN}
    assert added.exten == NIGHT_SHIFT and added.group_name == "Night Shift"
    assert [(m.agent_number, m.priority) for m in added.before] == NIGHT_SHIFT_LIST
    assert [(m.agent_number, m.priority) for m in added.after] == [*NIGHT_SHIFT_LIST, ("8021", 3)]
    assert added.at > 0

    posts = audit_posts(slack_api)
    assert len(posts) == 3
    first = posts[0]["blocks"][0]["text"]["text"]
    assert first.startswith(":white_check_mark: *ok* · <@U0ADMIN1> · add on *Night Shift*")
    assert "added 8021 (priority 3)" in first and f"change #{added.id}" in first
    assert "<!date^" in first  # when, in the reader's own time zone
    assert f"undoing #{added.id}" in posts[1]["blocks"][0]["text"]["text"]
    assert "asked to add 9999 with priority 0" in posts[2]["blocks"][0]["text"]["text"]


def test_group_names_are_escaped_in_the_answer_and_the_audit_post(
    ask: Ask, slack_api: FakeSlackWebApi
) -> None:
    answer = ask(f"remove {SPECIAL_NAME} 8002", user_id=ADMIN)

    [post] = audit_posts(slack_api)
    for where in (json.dumps(post, ensure_ascii=False), answer.raw):
        assert "&lt;!channel&gt; VIP &amp; Co" in where
        assert "<!channel>" not in where


def test_a_failing_audit_post_never_turns_a_done_change_into_an_error(
    ask: Ask, simulator: Simulator, slack_api: FakeSlackWebApi, desk: Desk
) -> None:
    slack_api.fail("chat.postMessage", "not_in_channel")

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert answer.text.startswith(":white_check_mark: *Done*")
    assert slack_api.requests("chat.postMessage")[0].response["ok"] is False
    assert desk.state.recent_changes()[0].outcome == "ok"
    assert members_of(simulator, NIGHT_SHIFT)[-1] == ("8021", 0)


def test_log_shows_a_groups_changes_newest_first(ask: Ask, desk: Desk) -> None:
    ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)
    ask(f"remove {AFTER_SALES} 8006", user_id=ADMIN)
    ask(f"remove {NIGHT_SHIFT} 8003", user_id=ADMIN)

    night = ask('log "Night Shift"').text  # reading the log is open to everyone
    everything = ask("log").text

    assert night.index("*#3*") < night.index("*#1*")
    assert "*#2*" not in night
    assert "removed 8003" in night and "added 8021 (priority 0)" in night
    assert everything.index("*#3*") < everything.index("*#2*") < everything.index("*#1*")


def test_the_log_never_shows_a_change_that_did_not_happen_as_done(
    ask: Ask, simulator: Simulator
) -> None:
    ask(f"add {NIGHT_SHIFT} {UNKNOWN_AGENT}", user_id=ADMIN)  # 7moor skips it: not done
    simulator.faults.set(endpoint=WRITE, internal_error=True)
    ask(f"remove {NIGHT_SHIFT} 8003", user_id=ADMIN)

    log = ask(f"log {NIGHT_SHIFT}").text

    assert "asked to add 9999 with priority 0 (not done)" in log
    assert "asked to remove 8003 (not done)" in log
    assert "added 9999" not in log and "removed 8003" not in log


def test_an_unexpected_failure_during_a_change_never_says_nothing_changed(
    ask: Ask, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug in deskbot")

    monkeypatch.setattr(desk, "add_member", broken)

    text = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN).text

    assert "Sorry, something went wrong on deskbot's side (reference " in text
    assert "It may or may not have taken effect: check with `/desk log`" in text
    assert "Nothing was changed" not in text
