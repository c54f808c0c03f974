"""The read commands, end to end: signed slash commands through the real app, answers at the
response_url, the vendors played by the simulator and Slack by the fake (which refuses any
message breaking Block Kit limits)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.app import create_app
from bot.clock import FakeClock
from bot.desk import Desk
from bot.simulator import Agent, GroupMember, Simulator, SkillGroup
from handlers.commands.desk import LOOKING_UP
from handlers.commands.registry import SUBCOMMANDS
from handlers.render.reads import SHARE_ACTION_ID
from tests.app.conftest import Ask, Click, answers_to, buttons_of, visible_text
from tests.conftest import SUPERVISOR_USER_ID, make_settings
from tests.slack_fakes import ADMIN_USER_ID, FakeSlackWebApi, dispatch, slash_command_body

CLAIM_STATUS = "queueQueueAgentClaimStatus"


def seed_phones(simulator: Simulator) -> list[str]:
    return [agent.phone for agent in simulator.state.agents.values()]


def agent_line(text: str, agent_number: str) -> str:
    [line] = [line for line in text.splitlines() if f"`{agent_number}`" in line]
    return line


# ---- help ----------------------------------------------------------------------------------


def test_help_lists_every_registered_subcommand(ask: Ask) -> None:
    answer = ask("help")

    for sub in SUBCOMMANDS.values():
        assert f"`/desk {sub.usage}` — {sub.summary}" in answer.text
    assert answer.reply["response_type"] == "ephemeral"
    assert answer.in_ack  # nothing to look up: the answer is the ack


def test_empty_command_is_help(ask: Ask) -> None:
    answer = ask("")

    assert "`/desk who <group>`" in answer.text


def test_help_tells_admins_what_they_may_do(ask: Ask) -> None:
    assert "You are a deskbot admin" in ask("help", user_id=ADMIN_USER_ID).text
    assert "You are a deskbot admin" not in ask("help", user_id=SUPERVISOR_USER_ID).text


# ---- who -----------------------------------------------------------------------------------


def test_who_by_exten_shows_members_claim_state_and_a_share_button(
    ask: Ask, simulator: Simulator
) -> None:
    answer = ask("who 10019346")

    assert answer.in_ack
    assert answer.reply["response_type"] == "ephemeral"
    text = answer.text
    assert "售前咨询 (10019346)" in text
    assert "*4 of 4* claiming new chats" in text
    assert "round robin" in text
    for number, name in [("8000", "张伟"), ("8001", "王芳"), ("8002", "李娜"), ("8005", "杨磊")]:
        assert f"*{name}* `{number}`" in text
    assert "PC :white_check_mark: · APP :white_check_mark:" in agent_line(text, "8000")
    assert "PC :white_check_mark: · APP :heavy_minus_sign:" in agent_line(text, "8001")
    assert "PC :heavy_minus_sign: · APP :white_check_mark:" in agent_line(text, "8002")
    assert "138******70" in agent_line(text, "8000")
    [share] = buttons_of(answer.reply)
    assert share["action_id"] == SHARE_ACTION_ID
    assert share["text"]["text"] == "Share in channel"
    assert share["value"] == "who 10019346"
    for phone in seed_phones(simulator):
        assert phone not in answer.raw
    assert "priority" not in text  # round robin ignores priorities: showing them would mislead


def test_who_of_a_group_assigned_by_priority_shows_each_priority(ask: Ask) -> None:
    text = ask("who 10019348").text  # After-sales Team assigns by priority

    assert "by priority" in text
    assert "· priority 1 ·" in agent_line(text, "8007")
    assert "· priority 3 ·" in agent_line(text, "8016")


def test_who_counts_who_is_claiming_and_lists_claiming_agents_first(ask: Ask) -> None:
    text = ask("who 10019350").text  # Night Shift Backup: only 8020 claims (on PC)

    assert "*1 of 3* claiming new chats" in text
    assert "Nobody in this group is claiming" not in text
    lines = [line for line in text.splitlines() if line.startswith(":")]
    assert "`8020`" in lines[0] and lines[0].startswith(":large_green_circle:")
    assert all(line.startswith(":white_circle:") for line in lines[1:])


@pytest.mark.parametrize(
    "typed",
    [
        "who 10019349",
        "who Night Shift",  # the last argument may keep its spaces unquoted
        'who "Night Shift"',
        "who “Night Shift”",  # Slack's smart quotes count as quotes
        "who ‘Night Shift’",
        "who night shift",  # names are matched without regard to case
    ],
)
def test_who_finds_the_group_by_exten_or_name(ask: Ask, typed: str) -> None:
    text = ask(typed).text

    assert "Night Shift (10019349)" in text
    assert "*0 of 3* claiming new chats" in text
    assert "Night Shift Backup" not in text


def test_who_of_a_group_where_nobody_claims_warns(ask: Ask) -> None:
    text = ask("who “Night Shift”").text

    assert ":rotating_light: *Nobody in this group is claiming chats right now.*" in text
    assert "New chats will wait in the queue." in text


def test_who_finds_a_unique_partial_name(ask: Ask) -> None:
    text = ask("who Refunds").text

    assert "Returns &amp; Refunds (10019356)" in text
    assert "*3 of 3* claiming" in text


def test_who_understands_a_name_with_an_ampersand_as_slack_delivers_it(ask: Ask) -> None:
    text = ask('who "Returns & Refunds"').text  # arrives as Returns &amp; Refunds

    assert "Returns &amp; Refunds (10019356)" in text


def test_who_of_a_shared_display_name_lists_both_and_guesses_neither(ask: Ask) -> None:
    answer = ask("who 阿瓦达哇多23")

    text = answer.text
    assert "2 skill groups match “阿瓦达哇多23”" in text
    assert "`10018590`" in text and "`10018587`" in text
    assert "Use the exten (number) of the one you mean." in text
    assert "claiming" not in text
    assert buttons_of(answer.reply) == []


def test_who_of_a_partial_name_matching_several_lists_them(ask: Ask) -> None:
    text = ask("who Backup").text

    assert "2 skill groups match “Backup”" in text
    assert "`10019350`" in text and "`10019353`" in text


def test_who_of_a_missing_group_says_so_with_a_hint(ask: Ask) -> None:
    text = ask("who Morning Shift").text

    assert "No skill group matches “Morning Shift”." in text
    assert "`/desk groups`" in text


def test_who_without_a_group_asks_which(ask: Ask) -> None:
    text = ask("who").text

    assert "Which group?" in text
    assert '`/desk who "Night Shift"`' in text


def test_vendor_text_is_escaped_everywhere_in_the_answer(ask: Ask) -> None:
    answer = ask("who 10019351")  # the group named "<!channel> VIP & Co"

    assert "&lt;!channel&gt; VIP &amp; Co (10019351)" in answer.text
    assert "<!channel>" not in answer.raw
    assert "&amp;" in answer.reply["text"]  # the notification text too: it is mrkdwn


def test_a_typed_broadcast_is_not_echoed_back_raw(ask: Ask) -> None:
    answer = ask("who <!channel>", escape=False)  # what Slack sends for a typed @channel

    assert "No skill group matches “@channel”." in answer.text
    assert "<!channel>" not in answer.raw


def test_agent_names_are_escaped(ask: Ask) -> None:
    answer = ask("who English Support")  # agent 8022 is "Bob <Chen> & Co"

    assert "*Bob &lt;Chen&gt; &amp; Co* `8022`" in answer.text
    assert "<Chen>" not in answer.raw


# ---- groups, agents, templates --------------------------------------------------------------


def test_groups_lists_every_group_with_members_rule_and_memory(
    ask: Ask, simulator: Simulator
) -> None:
    answer = ask("groups")

    text = answer.text
    assert answer.in_ack
    assert "*17 skill groups*" in text
    for exten in simulator.state.groups:
        assert f"`{exten}`" in text
    assert "`10019347` *售后服务* · 4 members · fewest chats · memory 1 day" in text
    assert "`10019353` *Weekend Backup* · 0 members · random · memory off" in text
    assert "`10019345` *30003* · 1 member · random · memory off" in text
    assert "`10019348` *After-sales Team* · 3 members · by priority · memory 1 week" in text
    assert "`10019351` *&lt;!channel&gt; VIP &amp; Co* · 3 members · by priority" in text
    assert "memory 30 days" in text and "memory 2 h" in text
    assert "<!channel>" not in answer.raw


def test_groups_reads_every_page(ask: Ask, simulator: Simulator) -> None:
    add_groups(simulator, 150, "Overflow")  # 167 groups: two pages of 100

    answer = ask("groups")

    assert "*167 skill groups*" in answer.text
    for exten in simulator.state.groups:
        assert f"`{exten}`" in answer.text
    assert len(simulator.calls("queueQueue")) == 2


def test_groups_filter(ask: Ask) -> None:
    text = ask("groups Night").text

    assert "*2 skill groups* matching “Night”" in text
    assert "`10019349` *Night Shift*" in text
    assert "`10019350` *Night Shift Backup*" in text
    assert "Weekend" not in text


def test_groups_filter_matching_nothing(ask: Ask) -> None:
    text = ask("groups Moon").text

    assert "No skill groups matching “Moon”." in text


def test_agents_show_the_tencent_accounts_and_their_language_settings(ask: Ask) -> None:
    text = ask("agents").text

    assert "*4 customer-service accounts* (Tencent IM Desk)" in text
    assert "*衣服官方旗舰店* `@customer_service_account`" in text
    assert "Robot on · no group chats" in text
    assert "Languages: zh (default), en" in text
    assert (
        "No working hours set · customer picks a group · rating after session or on invite" in text
    )
    assert "*Global Electronics Support* `@customer_service_account_01`" in text
    assert "Robot off · agents take group chats" in text
    assert "Languages: en (default), ja, ko" in text
    assert "Weekly schedule · automatic assignment · rating after the session" in text
    assert "Robot on · robot answers when @-mentioned" in text
    assert "Statutory working days · business server assigns" in text
    assert "Live from Tencent IM Desk." in text


def test_agents_of_one_account(ask: Ask) -> None:
    answer = ask("agents @customer_service_account")

    assert "*1 customer-service account* (Tencent IM Desk)" in answer.text
    assert "`@customer_service_account`" in answer.text
    assert "@customer_service_account_01" not in answer.text
    assert answer.reply["text"] == "1 customer-service account"


def test_agents_of_an_unknown_account(ask: Ask) -> None:
    text = ask("agents @nobody").text

    assert "No customer-service account “@nobody”." in text
    assert "`/desk agents`" in text


def test_templates_list_names_and_variables(ask: Ask) -> None:
    answer = ask("templates")

    text = answer.text
    assert answer.in_ack
    for name, variables in [
        ("follow_up", ["customer_name", "topic"]),
        ("looking_into_it", ["eta", "ticket"]),
        ("order_card", ["image_url", "order_id", "order_url", "status"]),
        ("product_card", ["image_url", "product_name", "product_url", "summary"]),
    ]:
        assert f"*{name}*" in text
        for variable in variables:
            assert f"`{variable}=…`" in text


# ---- mistakes ------------------------------------------------------------------------------


def test_an_unknown_subcommand_suggests_the_close_one(ask: Ask) -> None:
    text = ask("whoo 10019346").text

    assert "`/desk` has no “whoo” command." in text
    assert "Did you mean `/desk who`?" in text


def test_an_unknown_subcommand_is_quoted_as_typed(ask: Ask) -> None:
    answer = ask("<b>")  # arrives as &lt;b&gt;

    assert "“&lt;b&gt;”" in answer.text  # shows as “<b>”, not as “&lt;b&gt;”
    assert "&amp;lt;" not in answer.raw


def test_unbalanced_quotes_get_a_sentence(ask: Ask) -> None:
    answer = ask('who "Night Shift')

    assert 'The quote that opens "Night Shift is never closed.' in answer.text
    assert "Traceback" not in answer.raw


def test_log_of_a_group_quotes_its_name_once_escaped(ask: Ask) -> None:
    answer = ask('log "Returns & Refunds"')

    assert "No changes recorded for “Returns &amp; Refunds” yet." in answer.text
    assert "&amp;amp;" not in answer.raw


def test_log_shows_changes_with_dates_readable_everywhere(ask: Ask, desk: Desk) -> None:
    desk.add_member(ADMIN_USER_ID, "Night Shift", "8000")

    text = ask('log "Night Shift"').text

    assert re.search(
        r"\*#1\* <!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>", text
    )
    assert "added 8000 (priority 0)" in text


# ---- share, cache, failures -----------------------------------------------------------------


def test_an_answer_slack_refuses_is_replaced_by_a_sentence(
    app: App,
    slack_api: FakeSlackWebApi,
    caplog: pytest.LogCaptureFixture,
    answers_follow_the_ack: None,
) -> None:
    slack_api.fail_response_url("refused", status=400, body="invalid_blocks")
    body = slash_command_body("who 10019346", response_url=slack_api.response_url("refused"))

    assert dispatch(app, body).status == 200

    [shown] = slack_api.wait_for_responses("refused")
    assert "Slack would not show it (invalid_blocks)" in shown["text"]
    assert "tell the bot's operator" in shown["text"]
    assert "Slack refused the answer (HTTP 400: invalid_blocks)" in caplog.text
    slack_api.clear()  # the refusal was the point of this test


def test_share_posts_an_in_channel_copy(ask: Ask, click: Click) -> None:
    answer = ask("who 10019351")
    [share] = buttons_of(answer.reply)

    [shared] = click(share, user_id=SUPERVISOR_USER_ID)

    assert shared["response_type"] == "in_channel"
    assert shared.get("replace_original") is False
    text = visible_text(shared)
    assert f"Shared by <@{SUPERVISOR_USER_ID}>." in text
    assert "&lt;!channel&gt; VIP &amp; Co (10019351)" in text
    assert "*3 of 3* claiming" in text
    assert buttons_of(shared) == []
    assert "<!channel>" not in str(shared)


def test_share_failing_unexpectedly_apologises_with_a_reference(
    ask: Ask, click: Click, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    [share] = buttons_of(ask("who 10019346").reply)

    def broken(query: str) -> None:
        raise RuntimeError("a bug in deskbot")

    monkeypatch.setattr(desk, "claims", broken)
    [reply] = click(share)

    assert reply["response_type"] == "ephemeral"
    assert re.search(
        r"Sorry, something went wrong on deskbot's side \(reference [0-9a-f]{8}\)",
        visible_text(reply),
    )


def test_cached_answers_show_their_age(ask: Ask, clock: FakeClock, simulator: Simulator) -> None:
    assert "Live from 7moor." in ask("who 10019346").text

    clock.advance(10)
    text = ask("who 10019346").text

    assert "As of 10 s ago" in text
    assert len(simulator.calls(CLAIM_STATUS)) == 1


def test_the_vendor_down_with_nothing_cached_gets_a_sentence_and_a_next_step(
    ask: Ask, simulator: Simulator
) -> None:
    simulator.faults.set(endpoint="queueQueue", outage="503")

    answer = ask("who 10019346")

    assert "7moor answered with a server error (HTTP 503)." in answer.text
    assert "try again in a minute" in answer.text
    assert "Traceback" not in answer.raw


def test_the_vendor_down_with_an_answer_cached_shows_it_marked_stale(
    ask: Ask, simulator: Simulator, clock: FakeClock
) -> None:
    ask("who 10019346")
    clock.advance(120)  # past every TTL
    simulator.faults.set(outage="503")

    text = ask("who 10019346").text

    assert "*4 of 4* claiming" in text
    assert ":hourglass: Showing the last answer, from 2 min ago." in text


def test_an_unexpected_error_gets_an_apology_with_a_reference_in_the_log(
    ask: Ask, desk: Desk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(query: str) -> None:
        raise RuntimeError("a bug in deskbot")

    monkeypatch.setattr(desk, "claims", broken)
    caplog.set_level(logging.ERROR)

    answer = ask("who 10019346")

    match = re.search(r"\(reference ([0-9a-f]{8})\)", answer.text)
    assert match, answer.text
    assert "Sorry, something went wrong on deskbot's side" in answer.text
    assert "Traceback" not in answer.raw and "a bug in deskbot" not in answer.raw
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "a bug in deskbot" in caplog.text

    assert "*17 skill groups*" in ask("groups").text  # and the bot keeps answering
    monkeypatch.undo()
    assert "*4 of 4* claiming" in ask("who 10019346").text


def test_who_without_7moor_configured_says_what_to_set(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    settings = make_settings(
        simulator.url, slack_api.url, tmp_path / "state.sqlite3", sevenmoor=None
    )
    desk = Desk.from_settings(settings, clock=clock)
    app: App = create_app(settings, desk=desk, client=slack_client)
    try:
        body = slash_command_body("who 10019346", response_url=slack_api.response_url("who"))
        [reply] = answers_to(slack_api, dispatch(app, body), "who")
        body = slash_command_body("agents", response_url=slack_api.response_url("agents"))
        [agents] = answers_to(slack_api, dispatch(app, body), "agents")
    finally:
        desk.close()

    text = visible_text(reply)
    assert "Skill groups (7moor) are not connected to this bot yet." in text
    assert "SEVENMOOR_HOST, SEVENMOOR_ACCOUNT_ID, SEVENMOOR_API_SECRET" in text
    assert "*4 customer-service accounts*" in visible_text(agents)  # Tencent still works
    assert simulator.calls("queueQueue") == []


# ---- Slack's limits ------------------------------------------------------------------------


def add_groups(simulator: Simulator, count: int, name: str) -> list[str]:
    """`count` more skill groups in the simulated account; returns their extens."""
    extens = []
    for n in range(count):
        exten = str(20000000 + n)
        simulator.state.add_group(
            SkillGroup(
                exten=exten,
                display_name=f"{name} {n:04d}",
                assign_rule=("random", "queue", "least", "priority")[n % 4],
                is_memory=n % 2 == 0,
                memory_time="1440" if n % 2 == 0 else "",
                update_time="2024-10-01 09:00:00",
                update_agent="",
                members=[GroupMember(f"80{m:02d}", m) for m in range(n % 5)],
            )
        )
        extens.append(exten)
    return extens


def assert_within_slack_limits(message: dict[str, Any]) -> None:
    blocks = message["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def test_groups_of_a_big_account_are_split_and_stay_within_slack_limits(
    ask: Ask, simulator: Simulator
) -> None:
    extens = add_groups(simulator, 400, "Regional hotline for customers in district")

    answer = ask("groups")

    assert_within_slack_limits(answer.reply)
    sections = [b for b in answer.reply["blocks"] if b["type"] == "section"]
    assert len(sections) > 5  # split over several sections, none cut mid-line
    assert "*417 skill groups*" in answer.text
    for exten in extens:
        assert f"`{exten}`" in answer.text


def test_groups_too_many_for_one_message_say_how_to_narrow(ask: Ask, simulator: Simulator) -> None:
    # Escaped, these names are five times longer: 400 of them cannot fit in one message.
    add_groups(simulator, 400, "R&D <night> & <weekend> & <holiday> cover " + "&" * 60)

    answer = ask("groups")

    assert_within_slack_limits(answer.reply)
    shown = len(re.findall(r"^`\d+` \*", answer.text, re.MULTILINE))
    match = re.search(
        r"…(\d+) more\. Narrow the list: `/desk groups <part of a name>`", answer.text
    )
    assert match, answer.text[-500:]
    assert 0 < shown < 417
    assert shown + int(match.group(1)) == 417
    assert "See members with `/desk who <group>`." in answer.text


def test_who_of_a_very_big_group_stays_within_slack_limits(ask: Ask, simulator: Simulator) -> None:
    numbers = [str(90000 + n) for n in range(1500)]
    with simulator.state.lock:
        for n, number in enumerate(numbers):
            simulator.state.agents[number] = Agent(
                number, f"Agent {n} & <team>", f"1380000{n:04d}", n % 3 == 0, n % 5 == 0
            )
    simulator.state.replace_members("10019353", [(number, 0) for number in numbers])

    answer = ask("who 10019353")

    assert_within_slack_limits(answer.reply)
    assert "Weekend Backup (10019353)" in answer.text
    assert [b["action_id"] for b in buttons_of(answer.reply)] == [SHARE_ACTION_ID]
    assert "*700 of 1500* claiming" in answer.text  # counted over everyone, shown or not
    shown = len(re.findall(r"^:(?:large_green|white)_circle: ", answer.text, re.MULTILINE))
    match = re.search(
        r"…and (\d+) more members \(those not claiming are listed last\)\.", answer.text
    )
    assert match, answer.text[-300:]
    assert shown + int(match.group(1)) == 1500
    assert "Live from 7moor." in answer.text


def test_a_slow_answer_replaces_the_looking_up_ack(ask: Ask, answers_follow_the_ack: None) -> None:
    answer = ask("who 10019346")

    assert answer.ack_text == LOOKING_UP
    assert answer.reply["replace_original"] is True
    assert "*4 of 4* claiming" in answer.text
