"""`/desk send` end to end: signed slash commands and button clicks through the real app,
over real HTTP to the simulator (Tencent IM Desk) and the fake Slack Web API.

What the customer got is always read from the simulator: `calls("send_msg")` is every
request it received (its own 1-second de-duplication could hide a second delivery, so
"sent once" is asserted on the requests), `sent_messages()` what it delivered.
"""

from __future__ import annotations

import html
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_sdk import WebClient

from bot.app import create_app
from bot.clock import FakeClock
from bot.desk import Desk
from bot.messages import MessageTemplates
from bot.settings import Settings
from bot.simulator import ACTIVE_SESSION_ID, ENDED_SESSION_ID, Simulator
from bot.state import DEFAULT_RETENTION, SendStatus
from handlers.render.messages import CANCEL_SEND_ACTION_ID, SEND_MESSAGE_ACTION_ID, exact_text
from tests.app.conftest import answers_to
from tests.conftest import AUDIT_CHANNEL, SUPERVISOR_USER_ID, make_settings
from tests.slack_fakes import (
    ADMIN_USER_ID,
    FakeSlackWebApi,
    block_action_body,
    dispatch,
    slack_escape,
    slash_command_body,
)

_serial = itertools.count(1)
FOLLOW_UP = 'follow_up customer_name="Li Lei" topic="the refund for order 1024"'
FOLLOW_UP_TEXT = (
    "Hello Li Lei, I'm following up on your question about the refund for order 1024. "
    "Has everything been resolved to your satisfaction? If there is anything else we can "
    "help with, just reply here and we'll take it from there."
)
ORDER_CARD_VALUES = (
    "order_id=20240611-0042 "
    'status="Shipped, arriving Thursday" '
    "order_url=https://shop.example.com/orders/20240611-0042 "
    "image_url=https://img.example.com/fan.jpg"
)
OTHER_ADMIN = "U0ADMIN2"


# --------------------------------------------------------------------------- helpers


def command(
    app: App, slack_api: FakeSlackWebApi, text: str, *, user_id: str = ADMIN_USER_ID
) -> dict[str, Any]:
    """`/desk <text>` as Slack delivers it (`text` already Slack-escaped); the final answer."""
    name = f"send-command-{next(_serial)}"
    body = slash_command_body(text, user_id=user_id, response_url=slack_api.response_url(name))
    response = dispatch(app, body)
    assert response.status == 200
    return answers_to(slack_api, response, name)[-1]


def send(app: App, slack_api: FakeSlackWebApi, typed: str, **kwargs: Any) -> dict[str, Any]:
    """`/desk send <typed>`: what the supervisor typed, escaped by Slack on the way."""
    return command(app, slack_api, slack_escape(f"send {typed}"), **kwargs)


def press(
    app: App,
    slack_api: FakeSlackWebApi,
    action_id: str,
    value: str,
    *,
    user_id: str = ADMIN_USER_ID,
) -> dict[str, Any]:
    """Click a button of the (ephemeral) preview; the one answer posted to its response_url."""
    name = f"send-click-{next(_serial)}"
    body = block_action_body(
        action_id,
        value,
        user_id=user_id,
        is_ephemeral=True,
        response_url=slack_api.response_url(name),
    )
    assert dispatch(app, body).status == 200
    [answer] = slack_api.wait_for_responses(name)
    return answer


def preview_id(reply: dict[str, Any]) -> str:
    """The preview's Send and Cancel buttons carry the same preview ID; return it."""
    buttons = {
        element["action_id"]: element
        for block in reply["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert set(buttons) == {SEND_MESSAGE_ACTION_ID, CANCEL_SEND_ACTION_ID}, reply
    assert buttons[SEND_MESSAGE_ACTION_ID]["text"]["text"] == "Send"
    assert buttons[CANCEL_SEND_ACTION_ID]["text"]["text"] == "Cancel"
    value = buttons[SEND_MESSAGE_ACTION_ID]["value"]
    assert buttons[CANCEL_SEND_ACTION_ID]["value"] == value
    return str(value)


def shown_text(reply: dict[str, Any]) -> str:
    """The customer text as the preview shows it: its plain_text sections, joined."""
    return "".join(
        block["text"]["text"]
        for block in reply["blocks"]
        if block["type"] == "section" and block["text"]["type"] == "plain_text"
    )


def words(reply: dict[str, Any]) -> str:
    """Everything a person reads in a reply, with Slack's escaping undone."""
    pieces = []
    for block in reply.get("blocks", []):
        if isinstance(block.get("text"), dict):
            pieces.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                pieces.append(element["text"])
    return html.unescape("\n".join(pieces))


def delivered_texts(simulator: Simulator) -> list[str]:
    return [
        element["MsgContent"]["Text"]
        for message in simulator.sent_messages()
        for element in message.msg_body
    ]


def assert_nothing_sent(simulator: Simulator) -> None:
    assert simulator.calls("send_msg") == []
    assert simulator.sent_messages() == []


@contextmanager
def app_for(settings: Settings, clock: FakeClock, client: WebClient) -> Iterator[App]:
    """The real app with its own facade, for settings other than the suite's."""
    desk = Desk.from_settings(settings, clock=clock)
    try:
        yield create_app(settings, desk=desk, client=client)
    finally:
        desk.close()


@pytest.fixture
def preview(app: App, slack_api: FakeSlackWebApi) -> str:
    """An admin's pending preview of FOLLOW_UP to the active session; its ID."""
    return preview_id(send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}"))


# --------------------------------------------------------------------------- preview, send, cancel


def test_preview_shows_exactly_the_text_and_sends_nothing(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}")

    assert reply["response_type"] == "ephemeral"
    assert shown_text(reply) == FOLLOW_UP_TEXT
    assert f"to session {ACTIVE_SESSION_ID}" in words(reply)
    assert "Nothing is sent until you press Send" in words(reply)
    identifier = preview_id(reply)
    assert_nothing_sent(simulator)
    [record] = desk.state.recent_sends()
    assert (record.id, record.status) == (identifier, SendStatus.PENDING)


def test_send_delivers_that_text_once_and_replaces_the_preview(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk, preview: str
) -> None:
    answer = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert answer["replace_original"] is True
    assert words(answer) == f":white_check_mark: Sent follow_up to session {ACTIVE_SESSION_ID}."
    [call] = simulator.calls("send_msg")
    assert call.body["SessionId"] == ACTIVE_SESSION_ID
    [message] = simulator.sent_messages()
    assert message.session_id == ACTIVE_SESSION_ID
    assert message.msg_body == [{"MsgType": "TIMTextElem", "MsgContent": {"Text": FOLLOW_UP_TEXT}}]
    [record] = desk.state.recent_sends()
    assert record.status == SendStatus.SENT
    assert record.msg_random == message.msg_random == call.body["MsgRandom"]
    stored = desk.state.preview(preview)
    assert stored is not None and stored.body_json == ""  # the text is not kept once sent


def test_cancel_replaces_the_preview_and_a_later_send_sends_nothing(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk, preview: str
) -> None:
    cancelled = press(app, slack_api, CANCEL_SEND_ACTION_ID, preview)
    assert cancelled["replace_original"] is True
    assert cancelled["text"] == "Cancelled"
    assert "Nothing was sent" in words(cancelled)

    late = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)
    assert late["replace_original"] is False
    assert "This preview was cancelled, so nothing was sent." in words(late)
    assert_nothing_sent(simulator)
    [record] = desk.state.recent_sends()
    assert record.status == SendStatus.CANCELLED
    stored = desk.state.preview(preview)
    assert stored is not None and stored.body_json == ""

    again = press(app, slack_api, CANCEL_SEND_ACTION_ID, preview)
    assert again["replace_original"] is False
    assert "Too late to cancel" in words(again)


# --------------------------------------------------------------------------- exactly once


def test_send_clicked_twice_delivers_once_and_keeps_the_first_outcome(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, preview: str
) -> None:
    first = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)
    second = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert first["replace_original"] is True
    assert second["replace_original"] is False  # the first outcome stays on screen
    assert "This message was already sent. It was not sent a second time." in words(second)
    assert len(simulator.calls("send_msg")) == 1
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_send_clicked_twice_at_once_from_two_threads_delivers_once(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, preview: str
) -> None:
    names = [f"send-race-{next(_serial)}" for _ in range(2)]
    bodies = [
        block_action_body(
            SEND_MESSAGE_ACTION_ID,
            preview,
            is_ephemeral=True,
            response_url=slack_api.response_url(name),
        )
        for name in names
    ]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def click(body: str) -> None:
        start.wait()
        statuses.append(dispatch(app, body).status)

    threads = [threading.Thread(target=click, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = [slack_api.wait_for_responses(name)[0] for name in names]

    assert statuses == [200, 200]
    assert len(simulator.calls("send_msg")) == 1
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]
    [outcome] = [answer for answer in answers if answer["replace_original"]]
    [repeat] = [answer for answer in answers if not answer["replace_original"]]
    assert "Sent follow_up to session" in words(outcome)
    assert "already sent" in words(
        repeat
    ) or "being sent right now, from an earlier click" in words(repeat)


def test_a_send_that_could_not_connect_keeps_the_preview_and_its_msg_random(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk, preview: str
) -> None:
    port = int(simulator.url.rsplit(":", 1)[1])
    [pending] = desk.state.recent_sends()
    simulator.stop()  # the port is closed: every attempt is refused before it is sent

    refused = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert refused["replace_original"] is False  # the preview and its Send button stay
    assert "deskbot could not reach Tencent IM (" in words(refused)
    assert "The message was not sent." in words(refused)
    assert "Press Send again in a minute; the preview is kept." in words(refused)
    assert desk.state.recent_sends()[0].status == SendStatus.PENDING

    simulator.start(port=port)
    sent = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert "Sent follow_up to session" in words(sent)
    [call] = simulator.calls("send_msg")
    [message] = simulator.sent_messages()
    assert call.body["MsgRandom"] == message.msg_random == pending.msg_random
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_a_connection_dropped_mid_request_is_unknown_and_never_sent_again(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk, preview: str
) -> None:
    # "reset": the simulator reads the whole request, then drops the connection unanswered.
    # The vendor had the request, so deskbot cannot know whether it was delivered.
    simulator.faults.set(endpoint="send_msg", outage="reset", times=1)

    lost = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert lost["replace_original"] is True
    assert "The connection to Tencent IM broke before it answered." in words(lost)
    assert "may or may not have arrived; it will not be sent again" in words(lost)
    assert "Check the chat in the Desk workbench" in words(lost)
    [call] = simulator.calls("send_msg")
    [record] = desk.state.recent_sends()
    assert record.status == SendStatus.UNKNOWN
    assert call.body["MsgRandom"] == record.msg_random

    again = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert again["replace_original"] is False
    assert "may or may not have arrived; it was not sent again" in words(again)
    assert len(simulator.calls("send_msg")) == 1
    assert simulator.sent_messages() == []


def test_a_preview_survives_a_restart_and_is_still_sent_once(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    clock: FakeClock,
    settings: Settings,
) -> None:
    with app_for(settings, clock, slack_client) as before:
        identifier = preview_id(send(before, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}"))
    with app_for(settings, clock, slack_client) as after:  # same DESK_STATE_PATH
        sent = press(after, slack_api, SEND_MESSAGE_ACTION_ID, identifier)
        again = press(after, slack_api, SEND_MESSAGE_ACTION_ID, identifier)

    assert "Sent follow_up to session" in words(sent)
    assert "already sent" in words(again)
    assert len(simulator.calls("send_msg")) == 1
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_an_expired_preview_is_not_sent_and_its_buttons_go_away(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, clock: FakeClock, preview: str
) -> None:
    clock.advance(DEFAULT_RETENTION + 1)

    answer = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert answer["replace_original"] is True
    assert "This preview has expired and its text was discarded, so nothing was sent." in words(
        answer
    )
    assert_nothing_sent(simulator)


# --------------------------------------------------------------------------- what was typed


@pytest.mark.parametrize(
    ("typed_topic", "customer_reads"),
    [
        ('topic="a &amp; b &lt;c&gt;"', "a & b <c>"),
        ("topic=<https://shop.example/o/1|shop.example/o/1>", "https://shop.example/o/1"),
        (
            'topic="order <https://shop.example/o/1|shop.example/o/1> please"',
            "order https://shop.example/o/1 please",
        ),
        ("topic=<@U123|li>", "@li"),
        ("topic=“the refund”", "the refund"),
        ('topic="{{ 7*7 }}"', "{{ 7*7 }}"),
        ("topic=\"{% raw %}{{ ''.__class__ }}\"", "{% raw %}{{ ''.__class__ }}"),
    ],
)
def test_the_customer_gets_what_the_supervisor_typed(
    app: App,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    typed_topic: str,
    customer_reads: str,
) -> None:
    # The command text as Slack delivers it: escaped, links and mentions as constructs.
    text = f"send {ACTIVE_SESSION_ID} follow_up customer_name=“Li Lei” {typed_topic}"
    reply = command(app, slack_api, text)
    expected = FOLLOW_UP_TEXT.replace("the refund for order 1024", customer_reads)
    assert shown_text(reply) == expected

    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    assert delivered_texts(simulator) == [expected]


def test_a_value_with_slack_formatting_is_previewed_verbatim(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} follow_up customer_name=*Li* topic=:tada:")
    [text_block] = [b for b in reply["blocks"] if b.get("text", {}).get("type") == "plain_text"]
    assert text_block["text"]["emoji"] is False  # ":tada:" stays ":tada:", as the customer sees it
    assert shown_text(reply).startswith(
        "Hello *Li*, I'm following up on your question about :tada:."
    )


# --------------------------------------------------------------------------- what went wrong, said


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        (
            f"{ACTIVE_SESSION_ID} follow_up customer_name=Li",
            'Template follow_up needs a value for topic; add topic="…".',
        ),
        (
            f"{ACTIVE_SESSION_ID} follow_up customer_name=Li topic=",
            'Template follow_up needs a value for topic; add topic="…".',
        ),
        (
            f"{ACTIVE_SESSION_ID} follow_up customer_name=Li topik=refund",
            "Template follow_up does not use topik (did you mean topic?); "
            "it takes customer_name and topic.",
        ),
        (
            f"{ACTIVE_SESSION_ID} follow customer_name=Li",
            "There is no message template called 'follow' (did you mean follow_up?); the "
            "templates are: follow_up, looking_into_it, order_card, product_card.",
        ),
        (
            f"{ACTIVE_SESSION_ID}",
            "Which template? The templates are: follow_up, looking_into_it, order_card, "
            "product_card.",
        ),
        (
            "fd8a2e30 follow_up customer_name=Li topic=x",
            "“fd8a2e30” is not a Desk session ID: a session ID looks like "
            "fd8a2e30-54de-4e40-bcaf-02718409c5cf.",
        ),
        ("", "Which chat session? Give its session ID first."),
        (
            "--from @nobody --to user45 follow_up customer_name=Li topic=x",
            "“@nobody” is not a customer-service account of this Tencent IM app, "
            "so nothing was previewed.",
        ),
        (
            f"{ACTIVE_SESSION_ID} follow_up customer_name=Li topic",
            "“topic” is not a key=value pair",
        ),
    ],
)
def test_a_send_that_cannot_be_previewed_says_why_and_stores_nothing(
    app: App,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    desk: Desk,
    typed: str,
    answer: str,
) -> None:
    reply = send(app, slack_api, typed)

    assert answer in words(reply)
    assert not any(block["type"] == "actions" for block in reply["blocks"])
    assert desk.state.recent_sends() == []
    assert_nothing_sent(simulator)


def test_a_malformed_session_id_gets_an_example_and_the_other_way_to_address(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    reply = send(app, slack_api, "not-a-session follow_up customer_name=Li topic=x")
    assert "fd8a2e30-54de-4e40-bcaf-02718409c5cf" in words(reply)
    assert "--from @agent-account --to user-id" in words(reply)


def test_lang_picks_the_variant_the_customer_reads(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP} lang=zh")
    zh = "Li Lei您好，关于您之前咨询的the refund for order 1024，想跟您确认一下问题是否已经解决？"
    assert shown_text(reply).startswith(zh)
    assert "`follow_up` (zh)" in words(reply)

    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    assert delivered_texts(simulator) == [shown_text(reply)]


def test_a_preview_not_in_the_language_asked_for_says_so(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP} lang=fr")
    assert shown_text(reply) == FOLLOW_UP_TEXT
    assert "`follow_up` has no fr text, so this is the en text." in words(reply)


def test_a_long_message_is_previewed_whole_over_several_sections(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    topic = " ".join(f"item-{number}" for number in range(900))  # about 8,000 characters
    reply = send(app, slack_api, f'{ACTIVE_SESSION_ID} follow_up customer_name=Li topic="{topic}"')
    sections = [b for b in reply["blocks"] if b.get("text", {}).get("type") == "plain_text"]
    assert len(sections) == 3
    assert all(len(block["text"]["text"]) <= 3000 for block in sections)

    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    assert delivered_texts(simulator) == [shown_text(reply)]
    assert topic in shown_text(reply)


def test_the_english_preview_offers_the_other_language(
    app: App, slack_api: FakeSlackWebApi
) -> None:
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}")
    assert "`follow_up` (en)" in words(reply)
    assert "For a customer who reads another language, add `lang=zh`." in words(reply)


def test_from_an_agent_account_the_message_is_in_its_default_language_from_to(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    reply = send(app, slack_api, f"--from @customer_service_account --to user45 {FOLLOW_UP}")
    assert shown_text(reply).startswith("Li Lei您好")  # the account's default language is zh
    assert "to @customer_service_account → user45" in words(reply)

    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    [call] = simulator.calls("send_msg")
    assert "SessionId" not in call.body
    assert (call.body["FromAccount"], call.body["ToAccount"]) == (
        "@customer_service_account",
        "user45",
    )
    [message] = simulator.sent_messages()
    assert (message.session_id, message.from_account, message.to_account) == (
        None,
        "@customer_service_account",
        "user45",
    )
    assert delivered_texts(simulator) == [shown_text(reply)]


# --------------------------------------------------------------------------- cards


@pytest.mark.parametrize(
    ("typed", "card"),
    [
        (
            f"order_card {ORDER_CARD_VALUES}",
            {
                "header": "Order 20240611-0042",
                "desc": "Status: Shipped, arriving Thursday",
                "pic": "https://img.example.com/fan.jpg",
                "url": "https://shop.example.com/orders/20240611-0042",
            },
        ),
        (
            'product_card product_name="AirFlow 2 Desk Fan" summary="Quiet & USB-C powered" '
            "image_url=https://img.example.com/fan.jpg "
            "product_url=https://shop.example.com/p/airflow-2?a=1&b=2",
            {
                "header": "AirFlow 2 Desk Fan",
                "desc": "Quiet & USB-C powered",
                "pic": "https://img.example.com/fan.jpg",
                "url": "https://shop.example.com/p/airflow-2?a=1&b=2",
            },
        ),
    ],
)
def test_a_card_is_previewed_as_a_card_and_sent_as_the_desk_product_card(
    app: App,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    typed: str,
    card: dict[str, str],
) -> None:
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {typed}")

    [card_section] = [block for block in reply["blocks"] if "accessory" in block]
    assert card_section["accessory"]["type"] == "image"
    assert card_section["accessory"]["image_url"] == card["pic"]
    shown = card_section["text"]["text"]
    assert shown.startswith(f"*{slack_escape(card['header'])}*\n{slack_escape(card['desc'])}\n")
    assert f"<{slack_escape(card['url'])}|{slack_escape(card['url'])}>" in shown
    assert_nothing_sent(simulator)

    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    [call] = simulator.calls("send_msg")
    [element] = call.body["MsgBody"]
    assert element["MsgType"] == "TIMCustomElem"
    assert json.loads(element["MsgContent"]["Data"]) == {
        "src": "22",
        "content": card,
        "customerServicePlugin": 0,
    }
    assert len(simulator.sent_messages()) == 1


def test_a_card_with_a_bad_link_is_refused_at_preview_naming_the_value(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    typed = ORDER_CARD_VALUES.replace(
        "order_url=https://shop.example.com/orders/20240611-0042", "order_url=orders/42"
    )
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} order_card {typed}")

    assert (
        "The url of card order_card must be a full http(s) address such as "
        "https://example.com/…, not 'orders/42'; it comes from order_url."
    ) in words(reply)
    assert desk.state.recent_sends() == []
    assert_nothing_sent(simulator)


def test_a_card_picture_slack_cannot_show_still_gets_a_preview(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    name = f"send-command-{next(_serial)}"
    # Slack refuses a whole message when it cannot download an image in it.
    slack_api.fail_response_url(name, status=400, body="invalid_blocks")
    text = slack_escape(f"send {ACTIVE_SESSION_ID} order_card {ORDER_CARD_VALUES}")
    body = slash_command_body(text, response_url=slack_api.response_url(name))
    response = dispatch(app, body)
    assert response.status == 200
    [reply] = answers_to(slack_api, response, name)

    assert not any("accessory" in block for block in reply["blocks"])
    assert "Slack could not show the card's picture (https://img.example.com/fan.jpg)" in words(
        reply
    )
    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))
    assert len(simulator.sent_messages()) == 1
    [refused] = [post for post in slack_api.response_posts(name) if not post.delivered]
    assert refused.status == 400
    slack_api.clear()  # that refusal was this test's doing, not the app's


# --------------------------------------------------------------------------- size


def test_a_message_over_12_kb_is_refused_at_preview_with_its_size(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    topic = "退款" * 2100  # 12,600 bytes in UTF-8
    reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} follow_up customer_name=Li topic={topic}")

    said = words(reply)
    assert "The message is longer than Tencent IM allows (12 KB): this one is 1" in said
    assert " bytes." in said
    assert "Nothing was sent." in said
    assert desk.state.recent_sends() == []
    assert_nothing_sent(simulator)


# --------------------------------------------------------------------------- vendor answers


def test_an_ended_session_previews_but_send_says_it_ended_and_delivers_nothing(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    reply = send(app, slack_api, f"{ENDED_SESSION_ID} {FOLLOW_UP}")
    assert shown_text(reply) == FOLLOW_UP_TEXT

    answer = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    assert answer["replace_original"] is True
    assert "That chat session does not exist or has already ended." in words(answer)
    assert "Nothing was sent. Check the session ID in the Desk workbench." in words(answer)
    assert [call.code for call in simulator.calls("send_msg")] == [141005]
    assert simulator.sent_messages() == []
    [record] = desk.state.recent_sends()
    assert record.status == SendStatus.FAILED
    stored = desk.state.preview(record.id)
    assert stored is not None and stored.body_json == ""


@pytest.mark.parametrize(
    ("fault", "code", "said", "kept"),
    [
        (
            {"over_limit": True},
            60007,
            "Tencent IM says deskbot is calling too often. The message was not sent.",
            True,
        ),
        (
            {"internal_error": True},
            141002,
            "Tencent IM Desk had an internal error. The message was not sent.",
            True,
        ),
        (
            {"outage": "503"},
            None,
            "Tencent IM answered with a server error (HTTP 503). "
            "The message may or may not have arrived",
            False,
        ),
        (
            {"garbage": True},
            None,
            "Tencent IM sent an answer deskbot cannot read (HTTP 200). "
            "The message may or may not have arrived",
            False,
        ),
    ],
)
def test_a_vendor_fault_at_send_is_said_and_only_a_sure_miss_can_be_sent_again(
    app: App,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    clock: FakeClock,
    preview: str,
    fault: dict[str, Any],
    code: int | None,
    said: str,
    kept: bool,
) -> None:
    simulator.faults.set(endpoint="send_msg", times=1, **fault)

    answer = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert said in words(answer)
    assert [call.code for call in simulator.calls("send_msg")] == [code]
    assert simulator.sent_messages() == []
    assert answer["replace_original"] is not kept  # a sure miss keeps the preview to retry
    clock.advance(61)  # past the vendor's rate-limit back-off
    again = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)
    if kept:
        assert "Sent follow_up to session" in words(again)
        assert len(simulator.sent_messages()) == 1
    else:
        assert "it was not sent again" in words(again)
        assert len(simulator.calls("send_msg")) == 1


def test_a_bot_that_is_not_the_im_admin_hears_90009_and_who_must_fix_it(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    clock: FakeClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    tencent = settings.tencent
    assert tencent is not None
    wrong = make_settings(
        simulator.url,
        slack_api.url,
        tmp_path / "other.sqlite3",
        tencent=replace(tencent, admin="not_the_admin"),
    )
    with app_for(wrong, clock, slack_client) as app:
        reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}")
        answer = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview_id(reply))

    assert "Tencent IM requires the app administrator to send messages." in words(answer)
    assert "TENCENT_IM_ADMIN" in words(answer)
    assert [call.code for call in simulator.calls("send_msg")] == [90009]
    assert simulator.sent_messages() == []


# --------------------------------------------------------------------------- who may send


def test_a_supervisor_is_refused_before_anything_is_rendered(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    # An unknown template would be named if rendering came first.
    reply = send(
        app, slack_api, f"{ACTIVE_SESSION_ID} no_such_template", user_id=SUPERVISOR_USER_ID
    )

    assert "Only deskbot admins can change skill groups or send messages" in words(reply)
    assert "no_such_template" not in words(reply)
    assert desk.state.recent_sends() == []
    assert_nothing_sent(simulator)


def test_a_forged_send_by_a_supervisor_is_refused_and_the_preview_stays_usable(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk, preview: str
) -> None:
    forged = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview, user_id=SUPERVISOR_USER_ID)
    assert "Only deskbot admins" in words(forged)
    assert forged["replace_original"] is False
    forged_cancel = press(
        app, slack_api, CANCEL_SEND_ACTION_ID, preview, user_id=SUPERVISOR_USER_ID
    )
    assert "Only deskbot admins" in words(forged_cancel)
    assert_nothing_sent(simulator)
    assert desk.state.recent_sends()[0].status == SendStatus.PENDING

    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


def test_another_admin_cannot_send_or_cancel_someone_elses_preview(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    two_admins = make_settings(
        simulator.url,
        slack_api.url,
        tmp_path / "two.sqlite3",
        admins=frozenset({ADMIN_USER_ID, OTHER_ADMIN}),
    )
    with app_for(two_admins, clock, slack_client) as app:
        identifier = preview_id(send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}"))
        sent = press(app, slack_api, SEND_MESSAGE_ACTION_ID, identifier, user_id=OTHER_ADMIN)
        cancel = press(app, slack_api, CANCEL_SEND_ACTION_ID, identifier, user_id=OTHER_ADMIN)

    assert (
        "Only the supervisor who made this preview can send or cancel it, so nothing was sent."
    ) in words(sent)
    assert f"It belongs to <@{ADMIN_USER_ID}>" in words(sent)
    assert "so nothing was cancelled" in words(cancel)
    assert_nothing_sent(simulator)


def test_with_no_admins_configured_sending_is_off_and_says_how_to_switch_it_on(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    nobody = make_settings(
        simulator.url, slack_api.url, tmp_path / "none.sqlite3", admins=frozenset()
    )
    with app_for(nobody, clock, slack_client) as app:
        reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}")

    said = words(reply)
    assert "Changes and sends are switched off: no deskbot admins are configured." in said
    assert "DESK_ADMINS" in said and "restart the bot" in said
    assert_nothing_sent(simulator)


def test_without_tencent_im_settings_send_says_what_to_set(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    unset = make_settings(simulator.url, slack_api.url, tmp_path / "unset.sqlite3", tencent=None)
    with app_for(unset, clock, slack_client) as app:
        reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}")

    assert "Chat sessions (Tencent IM Desk) are not connected to this bot yet." in words(reply)
    assert "TENCENT_IM_SDKAPPID, TENCENT_IM_SECRET_KEY" in words(reply)
    assert_nothing_sent(simulator)


# --------------------------------------------------------------------------- audit


def test_every_send_is_audited_without_the_customer_text(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk, preview: str
) -> None:
    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)
    ended = preview_id(send(app, slack_api, f"{ENDED_SESSION_ID} {FOLLOW_UP}"))
    press(app, slack_api, SEND_MESSAGE_ACTION_ID, ended)
    cancelled = preview_id(send(app, slack_api, f"{ACTIVE_SESSION_ID} {FOLLOW_UP}"))
    press(app, slack_api, CANCEL_SEND_ACTION_ID, cancelled)
    press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)  # a repeat: no vendor call, no post

    records = {record.id: record for record in desk.state.recent_sends()}
    assert [(r.status, r.user_id, r.template) for r in records.values()] == [
        (SendStatus.CANCELLED, ADMIN_USER_ID, "follow_up"),
        (SendStatus.FAILED, ADMIN_USER_ID, "follow_up"),
        (SendStatus.SENT, ADMIN_USER_ID, "follow_up"),
    ]
    assert records[preview].target == f"session {ACTIVE_SESSION_ID}"
    assert records[preview].msg_random == simulator.sent_messages()[0].msg_random
    assert records[ended].target == f"session {ENDED_SESSION_ID}"
    for identifier in records:
        stored = desk.state.preview(identifier)
        assert stored is not None and stored.body_json == ""

    posts = slack_api.messages(AUDIT_CHANNEL)
    assert len(posts) == 2  # the two sends; a cancel and a repeated click reach no customer
    sent_post, failed_post = (html.unescape(post["text"] + str(post["blocks"])) for post in posts)
    assert f"<@{ADMIN_USER_ID}>" in sent_post and "*sent*" in sent_post
    assert f"session {ACTIVE_SESSION_ID}" in sent_post and "`follow_up` (en)" in sent_post
    assert f"MsgRandom {records[preview].msg_random}" in sent_post
    assert "*not sent*" in failed_post and f"session {ENDED_SESSION_ID}" in failed_post
    assert "That chat session does not exist or has already ended." in failed_post
    for post in (sent_post, failed_post):
        assert "Li Lei" not in post and "refund" not in post


def test_an_audit_channel_that_refuses_the_post_does_not_change_the_outcome(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, preview: str
) -> None:
    slack_api.fail("chat.postMessage", "not_in_channel")

    answer = press(app, slack_api, SEND_MESSAGE_ACTION_ID, preview)

    assert "Sent follow_up to session" in words(answer)
    assert len(slack_api.requests("chat.postMessage")) == 1
    assert slack_api.messages(AUDIT_CHANNEL) == []
    assert delivered_texts(simulator) == [FOLLOW_UP_TEXT]


# --------------------------------------------------------------------------- the template sandbox


def test_a_malicious_template_is_stopped_by_the_sandbox(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    clock: FakeClock,
    settings: Settings,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "evil.j2").write_text("{{ ''.__class__.__mro__ }}", encoding="utf-8")
    desk = Desk.from_settings(settings, clock=clock)
    desk.templates = MessageTemplates(folder)
    try:
        app = create_app(settings, desk=desk, client=slack_client)
        reply = send(app, slack_api, f"{ACTIVE_SESSION_ID} evil")
        recorded_sends = desk.state.recent_sends()
    finally:
        desk.close()

    assert "Template evil was stopped by the sandbox" in words(reply)
    assert "ask whoever maintains the templates to fix evil.j2" in words(reply)
    assert recorded_sends == []
    assert_nothing_sent(simulator)


# --------------------------------------------------------------------------- splitting long text


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("short", ["short"]),
        ("line one\nline two\n", ["line one\n", "line two\n"]),
        ("a word or two", ["a word or ", "two"]),
        ("x" * 25, ["x" * 10, "x" * 10, "x" * 5]),
        ("很" * 12 + "\n好", ["很" * 10, "很很\n好"]),
    ],
)
def test_long_text_is_split_into_pieces_that_join_back_exactly(
    text: str, pieces: list[str]
) -> None:
    assert exact_text(text, limit=10) == pieces
    assert "".join(pieces) == text
