"""Vendor faults, end to end: what a supervisor reads and what the vendor holds afterwards.

Signed Slack requests go through the real app; the facade talks real HTTP to the simulator,
whose fault switches make a vendor slow, down, broken (5xx), rude (not JSON) or strict (over
its limit), also in the middle of a change. Vendor time runs at `fault_support.SCALE` (see
there): the clients' timeouts are the production ones, scaled, so "a 5 s answer" is still
half the read timeout. Every answer is a sentence and a next step; after every write the
simulator shows the change made exactly once or not at all, and the bot never says "Done"
without a read-back that proves it.

Covered elsewhere and not repeated here: a 503 before the write, a 502 or reset on the write
and a 503 on the read-back (test_changes.py); refused connections, a reset, 503, garbage, an
over-limit and an internal error at Send (test_send.py); a 503 with and without a cached
answer (test_read_commands.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App

from bot.clock import FakeClock
from bot.desk import Desk
from bot.settings import Settings
from bot.simulator import ACTIVE_SESSION_ID, Simulator
from handlers.render.changes import UNDO_ACTION_ID
from tests.app.conftest import Answer, Ask, Click, visible_text
from tests.app.fault_support import (
    eventually,
    logs_without_secrets,
    scaled_desk,
    send_button,
    vendor_seconds,
)
from tests.app.test_create_modal import open_create, submit
from tests.app.test_send import FOLLOW_UP_TEXT, delivered_texts
from tests.change_helpers import CREATE, NIGHT_SHIFT, READ, WRITE, members_of, when_called, writes
from tests.slack_fakes import ADMIN_USER_ID, FakeSlackWebApi

__all__ = ["logs_without_secrets", "send_button"]  # fixtures
pytestmark = pytest.mark.usefixtures("logs_without_secrets")

ADMIN = ADMIN_USER_ID
CLAIMS = "queueQueueAgentClaimStatus"
AGENT_LIST = "get_im_agent_list_multilingual"
SEND = "send_msg"
SLOW = vendor_seconds(5)  # past the vendors' own 3 s, half our 10 s read timeout
TOO_SLOW = vendor_seconds(12)  # past the read timeout: the client gives up first
LANDS_LATE = vendor_seconds(30)  # applied well after the client gave up and read back
NIGHT_SHIFT_LIST = [("8003", 0), ("8011", 0), ("8019", 0)]
WITH_8021 = [*NIGHT_SHIFT_LIST, ("8021", 0)]
SWAPPED = [("8003", 0), ("8021", 0), ("8019", 0)]  # 8021 takes 8011's place
TRY_AGAIN = "Try again in a minute."
CHECK_CONNECTION = (
    "Try again in a minute; an operator can run `deskbot check` to test the connection."
)
UNREADABLE = "Nothing was assumed from it. Try again in a minute."

READS = {
    "who": ("who 10019346", "*4 of 4* claiming new chats"),
    "groups": ("groups", "*17 skill groups*"),
    "agents": ("agents", "*4 customer-service accounts* (Tencent IM Desk)"),
}
CHANGES = {
    "add": (f"add {NIGHT_SHIFT} 8021", WITH_8021),
    "swap": (f"swap {NIGHT_SHIFT} 8011 8021", SWAPPED),
}


@pytest.fixture
def desk(settings: Settings, clock: FakeClock) -> Iterator[Desk]:
    facade = scaled_desk(settings, clock)
    yield facade
    facade.close()


def said(answer: Answer, sentence: str, next_step: str) -> None:
    """The answer is exactly the warning sentence and its next step, nothing technical."""
    assert answer.reply["blocks"][0]["text"]["text"] == f":warning: {sentence}\n{next_step}"
    assert "Traceback" not in answer.raw and "httpx" not in answer.raw


def assert_not_done(answer: Answer, desk: Desk, simulator: Simulator, because: str) -> None:
    """Not done, said so with the reason, nothing to undo, and the group as it was."""
    assert answer.text.startswith(
        f":x: *Not done* — *Night Shift* `{NIGHT_SHIFT}`. You asked to add 8021 with priority 0."
    )
    assert f"{because} The group is unchanged." in answer.text
    assert "*Done*" not in answer.text
    assert UNDO_ACTION_ID not in answer.raw
    assert desk.state.recent_changes()[0].outcome == "failed"
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


def assert_done_once(answer: Answer, simulator: Simulator, expected: list[tuple[str, int]]) -> None:
    """Done and verified, and every write 7moor received was that one list."""
    assert answer.text.startswith(f":white_check_mark: *Done* — *Night Shift* `{NIGHT_SHIFT}`")
    assert "Verified: the group now holds exactly the intended members." in answer.text
    assert members_of(simulator, NIGHT_SHIFT) == expected
    assert writes(simulator) and all(written == expected for written in writes(simulator))


# ---- a slow vendor (5 s) -------------------------------------------------------------------


@pytest.mark.parametrize("read", READS)
def test_a_read_from_a_vendor_answering_in_5_s_succeeds_without_a_retry(
    ask: Ask, simulator: Simulator, read: str
) -> None:
    text, shown = READS[read]
    simulator.faults.latency = SLOW

    answer = ask(text)

    assert shown in answer.text
    assert "Live from" in answer.text
    endpoints = [call.endpoint for call in simulator.calls()]
    assert len(endpoints) == len(set(endpoints))  # each asked once: nothing timed out


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_against_a_vendor_answering_in_5_s_is_done_once(
    ask: Ask, simulator: Simulator, change: str
) -> None:
    text, expected = CHANGES[change]
    simulator.faults.latency = SLOW

    answer = ask(text, user_id=ADMIN)

    assert_done_once(answer, simulator, expected)
    assert len(simulator.calls(WRITE)) == 1


def test_a_send_to_a_vendor_answering_in_5_s_is_delivered_once(
    click: Click, simulator: Simulator, send_button: dict[str, Any]
) -> None:
    simulator.faults.latency = SLOW

    [post] = click(send_button, user_id=ADMIN)

    assert visible_text(post).startswith(
        f":white_check_mark: Sent follow_up to session {ACTIVE_SESSION_ID}."
    )
    assert len(simulator.calls(SEND)) == 1
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_a_read_past_the_timeout_is_retried_then_said_plainly(
    ask: Ask, simulator: Simulator
) -> None:
    simulator.faults.set(CLAIMS, latency=TOO_SLOW)

    answer = ask("who 10019346")

    said(
        answer,
        "7moor did not answer in time.",
        "Try again in a minute; if it keeps happening, the vendor may be having trouble.",
    )
    eventually(lambda: len(simulator.calls(CLAIMS)) == 3)  # the first try and two retries


# ---- a vendor that is down -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "vendor"),
    [("who 10019346", "7moor"), ("agents", "Tencent IM"), (f"add {NIGHT_SHIFT} 8021", "7moor")],
)
def test_a_vendor_refusing_connections_is_said_and_nothing_is_written(
    ask: Ask, simulator: Simulator, desk: Desk, text: str, vendor: str
) -> None:
    simulator.stop()

    answer = ask(text, user_id=ADMIN)

    said(
        answer, f"deskbot could not reach {vendor} (no connection could be made).", CHECK_CONNECTION
    )
    assert simulator.calls() == []
    assert desk.state.recent_changes() == []
    assert members_of(simulator, NIGHT_SHIFT) == NIGHT_SHIFT_LIST


@pytest.mark.parametrize(("read", "vendor"), [("who", "7moor"), ("agents", "Tencent IM")])
def test_a_vendor_dropping_every_connection_is_retried_then_said(
    ask: Ask, simulator: Simulator, read: str, vendor: str
) -> None:
    simulator.faults.outage = "reset"

    answer = ask(READS[read][0])

    said(
        answer,
        f"deskbot could not reach {vendor} (the connection was dropped before an answer came).",
        CHECK_CONNECTION,
    )
    assert len(simulator.calls()) == 3


# ---- 5xx -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "endpoint", "status", "vendor"),
    [
        ("who", CLAIMS, 502, "7moor"),
        ("groups", READ, 500, "7moor"),
        ("agents", None, 504, "Tencent IM"),
    ],
)
def test_a_read_answered_with_5xx_is_retried_then_said(
    ask: Ask, simulator: Simulator, read: str, endpoint: str | None, status: int, vendor: str
) -> None:
    simulator.faults.set(endpoint, http_5xx=status)

    answer = ask(READS[read][0])

    said(
        answer,
        f"{vendor} answered with a server error (HTTP {status}).",
        "This is usually brief: try again in a minute.",
    )
    failed = [call for call in simulator.calls() if call.status == status]
    assert len(failed) == 3


# ---- not JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "vendor"), [("who", "7moor"), ("groups", "7moor"), ("agents", "Tencent IM")]
)
def test_a_read_answered_with_garbage_is_said_and_not_retried(
    ask: Ask, simulator: Simulator, read: str, vendor: str
) -> None:
    simulator.faults.garbage = True

    answer = ask(READS[read][0])

    said(answer, f"{vendor} sent an answer deskbot cannot read (HTTP 200).", UNREADABLE)
    assert len(simulator.calls()) == 1


def test_a_write_answered_with_garbage_is_not_done_and_says_why(
    ask: Ask, simulator: Simulator, desk: Desk
) -> None:
    simulator.faults.set(WRITE, garbage=True)

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert_not_done(answer, desk, simulator, "7moor sent an answer deskbot cannot read (HTTP 200).")
    assert UNREADABLE in answer.text
    assert "The group now has 3 member(s), as read back from 7moor" in answer.text
    assert len(simulator.calls(WRITE)) == 1


# ---- over the vendor's limit ---------------------------------------------------------------

OVER_LIMIT_STYLES = {
    "http-429": {"over_limit": True},
    "http-200-code-429": {"over_limit": True, "sevenmoor_over_limit_http_200": True},
}


@pytest.mark.parametrize("style", OVER_LIMIT_STYLES)
def test_a_read_over_7moors_limit_is_said_and_nothing_more_is_asked_for_a_window(
    ask: Ask, simulator: Simulator, clock: FakeClock, style: str
) -> None:
    simulator.faults.set(CLAIMS, times=1, **OVER_LIMIT_STYLES[style])

    said(ask("who 10019346"), "7moor says deskbot is calling too often.", TRY_AGAIN)
    said(
        ask("who 10019346"),
        "The vendor allows only so many claim-status look-ups a minute and this minute's are "
        "used up, so deskbot did not make the call.",
        "Try again in about 61 s.",
    )
    assert len(simulator.calls(CLAIMS)) == 1  # the second ask never reached 7moor

    clock.advance(61)
    assert "*4 of 4* claiming" in ask("who 10019346").text


def test_a_read_over_tencents_limit_is_said(ask: Ask, simulator: Simulator) -> None:
    simulator.faults.set(AGENT_LIST, over_limit=True, times=1)

    said(ask("agents"), "Tencent IM says deskbot is calling too often.", TRY_AGAIN)
    assert [call.code for call in simulator.calls(AGENT_LIST)] == [60007]


@pytest.mark.parametrize("style", OVER_LIMIT_STYLES)
def test_a_write_over_the_limit_is_not_done_and_the_next_waits_for_the_window(
    ask: Ask, simulator: Simulator, desk: Desk, clock: FakeClock, style: str
) -> None:
    simulator.faults.set(WRITE, times=1, **OVER_LIMIT_STYLES[style])

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    assert_not_done(answer, desk, simulator, "7moor says deskbot is calling too often.")
    assert TRY_AGAIN in answer.text
    said(
        ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN),
        "The vendor allows only so many member changes a minute and this minute's are used "
        "up, so deskbot did not make the call.",
        "Try again in about 61 s.",
    )
    assert len(simulator.calls(WRITE)) == 1  # refused once, never tried again meanwhile

    clock.advance(61)
    assert_done_once(ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN), simulator, WITH_8021)


# ---- a fault between the write and its verification ---------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"garbage": True},
        {"over_limit": True},
        {"over_limit": True, "sevenmoor_over_limit_http_200": True},
        {"outage": "reset"},
        {"http_5xx": 500},
    ],
    ids=["garbage", "http-429", "code-429", "reset", "500"],
)
def test_a_read_back_that_fails_leaves_the_change_unverified_never_done(
    ask: Ask,
    simulator: Simulator,
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, Any],
) -> None:
    when_called(monkeypatch, simulator, WRITE, lambda: simulator.faults.set(READ, **fault))

    answer = ask(f"swap {NIGHT_SHIFT} 8011 8021", user_id=ADMIN)

    assert answer.text.startswith(
        f":grey_question: *Sent to 7moor, but not verified* — *Night Shift* `{NIGHT_SHIFT}`."
    )
    assert (
        "7moor accepted the change, but deskbot could not read the group back to confirm it."
        in (answer.text)
    )
    assert (
        f"Check the group with `/desk who {NIGHT_SHIFT}` before changing it again." in answer.text
    )
    assert "*Done*" not in answer.text
    assert UNDO_ACTION_ID not in answer.raw  # Undo needs a verified "after"
    assert desk.state.recent_changes()[0].outcome == "unverified"
    assert members_of(simulator, NIGHT_SHIFT) == SWAPPED
    assert writes(simulator) == [SWAPPED]


def test_a_write_whose_answer_is_lost_is_retried_with_the_same_list_and_verified(
    ask: Ask, simulator: Simulator
) -> None:
    # The first write's answer comes after the client gave up; 7moor still applies it.
    simulator.faults.set(WRITE, latency=TOO_SLOW, times=1)

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)

    eventually(lambda: len(simulator.calls(WRITE)) == 2)
    assert_done_once(answer, simulator, WITH_8021)  # replacing the list twice adds it once


def test_a_write_that_may_still_land_is_never_reported_as_not_done(
    ask: Ask, simulator: Simulator, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first write is slow (7moor applies it after the client gave up); the retries find
    # the connection dropped. The read-back comes before the slow write lands.
    simulator.faults.set(WRITE, latency=LANDS_LATE, times=1)
    when_called(
        monkeypatch, simulator, WRITE, lambda: simulator.faults.set(WRITE, outage="reset", times=2)
    )

    answer = ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN)
    eventually(lambda: len(simulator.calls(WRITE)) == 3)

    assert members_of(simulator, NIGHT_SHIFT) == WITH_8021  # it did land
    assert "*Not done*" not in answer.text
    assert "The group is unchanged" not in answer.text
    assert desk.state.recent_changes()[0].outcome != "failed"


def test_a_send_whose_answer_is_lost_is_unknown_and_never_sent_again(
    click: Click, simulator: Simulator, desk: Desk, send_button: dict[str, Any]
) -> None:
    simulator.faults.set(SEND, latency=TOO_SLOW, times=1)

    [lost] = click(send_button, user_id=ADMIN)
    eventually(lambda: len(simulator.sent_messages()) == 1)  # the vendor delivered it after all
    [again] = click(send_button, user_id=ADMIN)

    assert visible_text(lost).startswith(
        ":grey_question: Tencent IM did not answer in time. The message may or may not have "
        "arrived; it will not be sent again.\n"
        "Check the chat in the Desk workbench before sending anything again."
    )
    assert "it was not sent again" in visible_text(again)
    assert desk.state.recent_sends()[0].status == "unknown"
    assert len(simulator.calls(SEND)) == 1
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_a_create_whose_answer_is_lost_says_it_may_exist_and_is_made_once(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi
) -> None:
    view, response_url = open_create(app, slack_api)
    simulator.faults.set(CREATE, latency=TOO_SLOW, times=1)

    submit(app, view, name="Late Shift", members="8001 0")
    [post] = slack_api.wait_for_responses(response_url)
    eventually(lambda: len(simulator.calls(CREATE)) == 1)

    assert visible_text(post).startswith(
        ":warning: 7moor did not answer in time. The group may or may not have been created.\n"
        "Look for it with `/desk groups` before creating it again."
    )
    created = [g for g in simulator.state.groups.values() if g.display_name == "Late Shift"]
    assert len(created) == 1


@pytest.mark.parametrize(
    "fault",
    [{"http_5xx": 502}, {"garbage": True}, {"outage": "reset"}],
    ids=["502", "garbage", "reset"],
)
def test_a_create_with_no_usable_answer_never_invites_a_blind_retry(
    app: App, simulator: Simulator, slack_api: FakeSlackWebApi, fault: dict[str, Any]
) -> None:
    view, response_url = open_create(app, slack_api)
    simulator.faults.set(CREATE, **fault)

    submit(app, view, name="Late Shift")
    [post] = slack_api.wait_for_responses(response_url)

    assert len(simulator.calls(CREATE)) == 1  # never retried: a retry could create it twice
    assert "may or may not have been created" in visible_text(post)
