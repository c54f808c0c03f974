"""Hostile input, end to end: forged and replayed requests, the same request delivered twice,
writes by people who may only read, vendor data that tries to ping or link, and template code
typed as a value. Every log line of every test here is scanned for secrets afterwards.

Already covered and not repeated: a wrong secret, a signature over another body, a stale
timestamp and missing headers on a slash command, a forged button click (test_security.py);
non-admin add/remove/swap/members/create commands, an Undo by a non-admin
(test_changes.py), a non-admin members Confirm (test_members_modal.py), a non-admin
Send/Cancel (test_send.py); `{{ 7*7 }}` and a `{% raw %}` block in a send value, and the
sandbox stopping a malicious template (test_send.py); the seed's `<!channel> VIP & Co` group
and `Bob <Chen> & Co` agent in who, groups, share, a change answer and its audit post.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import slack_sdk.signature
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.desk import Desk
from bot.simulator import ACTIVE_SESSION_ID, Simulator, SkillGroup
from handlers.render import escape
from handlers.render.changes import UNDO_ACTION_ID
from handlers.render.messages import SEND_MESSAGE_ACTION_ID
from handlers.render.reads import SHARE_ACTION_ID
from handlers.views.create import (
    CREATE_GROUP_CALLBACK_ID,
    INPUT_ID,
    MEMBERS_BLOCK_ID,
    MEMORY_BLOCK_ID,
    NAME_BLOCK_ID,
    RULE_BLOCK_ID,
)
from handlers.views.members import MEMBERS_CONFIRM_CALLBACK_ID
from tests.app.conftest import Ask, Click, acked_answer, buttons_of, visible_text
from tests.app.fault_support import (
    admin_button,
    click_body,
    deliver_twice,
    logs_without_secrets,
    response_url_name,
    send_button,
)
from tests.app.test_create_modal import open_create, selected
from tests.app.test_http_mode import http, http_url
from tests.app.test_members_modal import Form, open_form, submit_edit, view_text
from tests.app.test_send import shown_text
from tests.app.test_socket_mode import connected, socket_app
from tests.change_helpers import CREATE, NIGHT_SHIFT, WRITE, members_of
from tests.conftest import AUDIT_CHANNEL, SUPERVISOR_USER_ID
from tests.slack_fakes import (
    ADMIN_USER_ID,
    FakeSlackWebApi,
    FakeSocketModeServer,
    block_action_payload,
    dispatch,
    signed_headers,
    slash_command_body,
    view_submission_body,
)

__all__ = ["connected", "http", "http_url", "logs_without_secrets", "send_button", "socket_app"]
pytestmark = pytest.mark.usefixtures("logs_without_secrets")

ADMIN = ADMIN_USER_ID
REPLAY_WINDOW = 5 * 60  # Slack's (and Bolt's) window for a request's timestamp


def create_body(view: dict[str, Any], name: str, *, user_id: str = ADMIN) -> str:
    """Press Create on the form `view` with only a name filled in, as `user_id`."""
    values = {
        NAME_BLOCK_ID: {INPUT_ID: {"type": "plain_text_input", "value": name}},
        RULE_BLOCK_ID: {INPUT_ID: selected("random")},
        MEMORY_BLOCK_ID: {INPUT_ID: selected("off")},
        MEMBERS_BLOCK_ID: {INPUT_ID: {"type": "plain_text_input", "value": None}},
    }
    return view_submission_body(
        CREATE_GROUP_CALLBACK_ID,
        values,
        view["private_metadata"],
        view_id=view["id"],
        user_id=user_id,
    )


def groups_named(simulator: Simulator, name: str) -> list[str]:
    return [g.exten for g in simulator.state.groups.values() if g.display_name == name]


def both_answers(
    slack_api: FakeSlackWebApi, name: str, responses: tuple[BoltResponse, BoltResponse]
) -> list[str]:
    """Both answers to a request delivered twice, as read: in its acks or posted later."""
    acked = [answer for answer in map(acked_answer, responses) if answer is not None]
    later = slack_api.wait_for_responses(name, count=2 - len(acked)) if len(acked) < 2 else []
    return [visible_text(reply) for reply in [*acked, *later]]


# ---- what reaches the app at all -----------------------------------------------------------


@dataclass
class Write:
    """A write request as Slack signed it, and how to tell whether it took effect."""

    body: str
    response_url_name: str
    happened: Callable[[], int]  # how many times the write reached the vendor


@pytest.fixture(params=["add", "send", "undo", "confirm", "create"])
def write(
    request: pytest.FixtureRequest,
    app: App,
    ask: Ask,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
) -> Write:
    """Each kind of write, as a signed request ready to go (its preview or form made first)."""
    name = response_url_name(request.param)
    if request.param == "add":
        body = slash_command_body(
            f"add {NIGHT_SHIFT} 8021", user_id=ADMIN, response_url=slack_api.response_url(name)
        )
        return Write(body, name, lambda: len(simulator.calls(WRITE)))
    if request.param == "send":
        send = request.getfixturevalue("send_button")
        return Write(
            click_body(slack_api, send, name), name, lambda: len(simulator.calls("send_msg"))
        )
    if request.param == "undo":
        undo = admin_button(ask, f"add {NIGHT_SHIFT} 8021", UNDO_ACTION_ID)
        return Write(
            click_body(slack_api, undo, name), name, lambda: len(simulator.calls(WRITE)) - 1
        )
    if request.param == "confirm":
        form = open_form(ask, slack_api)
        review = submit_edit(app, form, "8003 0\n8019 0\n8021 1")
        body = view_submission_body(
            MEMBERS_CONFIRM_CALLBACK_ID,
            {},
            review["view"]["private_metadata"],
            view_id=form.id,
            user_id=ADMIN,
        )
        return Write(body, form.response_url_name, lambda: len(simulator.calls(WRITE)))
    view, created_at = open_create(app, slack_api)
    return Write(
        create_body(view, "Rogue Shift"),
        created_at,
        lambda: len(groups_named(simulator, "Rogue Shift")),
    )


def test_a_write_signed_with_another_secret_is_refused(app: App, write: Write) -> None:
    response = dispatch(app, write.body, secret="not-the-signing-secret")

    assert response.status == 401
    assert write.happened() == 0


def test_a_write_stamped_more_than_five_minutes_ahead_is_refused(app: App, write: Write) -> None:
    future = signed_headers(write.body, timestamp=int(time.time()) + REPLAY_WINDOW + 30)

    assert dispatch(app, write.body, future).status == 401
    assert write.happened() == 0


def test_a_captured_signature_with_a_fresh_timestamp_is_refused(app: App, write: Write) -> None:
    captured = signed_headers(write.body, timestamp=int(time.time()) - REPLAY_WINDOW - 30)
    restamped = {**captured, "x-slack-request-timestamp": str(int(time.time()))}

    assert dispatch(app, write.body, restamped).status == 401
    assert write.happened() == 0


def test_a_write_replayed_after_five_minutes_is_refused_and_not_repeated(
    app: App, slack_api: FakeSlackWebApi, monkeypatch: pytest.MonkeyPatch, write: Write
) -> None:
    captured = signed_headers(write.body)
    answered = len(slack_api.responses(write.response_url_name)) + 1
    first = dispatch(app, write.body, captured)
    assert first.status == 200
    if acked_answer(first) is None:  # a form's outcome, or an answer that followed the ack
        slack_api.wait_for_responses(write.response_url_name, count=answered)
    assert write.happened() == 1
    later = time.time() + REPLAY_WINDOW + 1
    monkeypatch.setattr(slack_sdk.signature.Clock, "now", lambda _self: later)  # Bolt's clock

    replayed = dispatch(app, write.body, captured)

    assert replayed.status == 401
    assert write.happened() == 1


# ---- Slack delivering the same request twice (X-Slack-Retry-Num) --------------------------


@pytest.mark.parametrize(
    ("text", "again", "after"),
    [
        (
            f"add {NIGHT_SHIFT} 8021",
            "Agent 8021 is already in this group.",
            [("8003", 0), ("8011", 0), ("8019", 0), ("8021", 0)],
        ),
        (
            f"swap {NIGHT_SHIFT} 8011 8021",
            "Agent 8011 is not in this group.",
            [("8003", 0), ("8021", 0), ("8019", 0)],
        ),
        (
            f"remove {NIGHT_SHIFT} 8011",
            "Agent 8011 is not in this group.",
            [("8003", 0), ("8019", 0)],
        ),
    ],
    ids=["add", "swap", "remove"],
)
def test_a_change_delivered_twice_is_made_once(
    app: App,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    text: str,
    again: str,
    after: list[tuple[str, int]],
) -> None:
    name = response_url_name("twice")
    body = slash_command_body(text, user_id=ADMIN, response_url=slack_api.response_url(name))

    answers = both_answers(slack_api, name, deliver_twice(app, body))
    assert sum(a.startswith(":white_check_mark: *Done*") for a in answers) == 1
    assert sum(a.startswith(f":warning: {again}") for a in answers) == 1
    assert len(simulator.calls(WRITE)) == 1
    assert members_of(simulator, NIGHT_SHIFT) == after


def test_an_undo_delivered_twice_undoes_once(
    app: App, ask: Ask, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    undo = admin_button(ask, f"add {NIGHT_SHIFT} 8021", UNDO_ACTION_ID)
    name = response_url_name("undo-twice")

    answers = both_answers(slack_api, name, deliver_twice(app, click_body(slack_api, undo, name)))
    assert sum(a.startswith(":white_check_mark: *Done*") for a in answers) == 1
    assert any("already undone" in a or "already being undone" in a for a in answers)
    assert len(simulator.calls(WRITE)) == 2  # the add and one undo
    assert [n for n, _ in members_of(simulator, NIGHT_SHIFT)] == ["8003", "8011", "8019"]


def test_a_members_confirm_delivered_twice_writes_once(
    app: App, ask: Ask, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    form = open_form(ask, slack_api)
    review = submit_edit(app, form, "8003 0\n8019 0\n8021 1")
    body = view_submission_body(
        MEMBERS_CONFIRM_CALLBACK_ID, {}, review["view"]["private_metadata"], view_id=form.id
    )

    first, again = deliver_twice(app, body)

    outcomes = [visible_text(p) for p in slack_api.wait_for_responses(form.response_url_name)]
    assert outcomes[-1].startswith(":white_check_mark: *Done*")
    assert "This form was already submitted" in again.body  # the repeat is told, not run
    assert "already submitted" not in first.body
    assert len(simulator.calls(WRITE)) == 1
    assert [r.outcome for r in desk.state.recent_changes()] == ["ok"]  # no phantom conflict
    assert members_of(simulator, NIGHT_SHIFT) == [("8003", 0), ("8019", 0), ("8021", 1)]


def test_a_create_delivered_twice_makes_one_group(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator
) -> None:
    view, response_url = open_create(app, slack_api)

    _first, again = deliver_twice(app, create_body(view, "Rogue Shift"))

    [outcome] = slack_api.wait_for_responses(response_url)
    assert visible_text(outcome).startswith(":white_check_mark: *Done*")
    assert "This form was already submitted" in again.body
    assert len(groups_named(simulator, "Rogue Shift")) == 1
    assert len(simulator.calls(CREATE)) == 1


def test_a_send_redelivered_over_http_mode_sends_once(
    http_url: str,
    http: httpx.Client,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    send_button: dict[str, Any],
) -> None:
    name = response_url_name("http-send")
    body = click_body(slack_api, send_button, name)

    for retry_num in (None, 1, 2):  # Slack's first delivery and two retries
        headers = signed_headers(body, retry_num=retry_num)
        assert (
            http.post(f"{http_url}/slack/events", content=body, headers=headers).status_code == 200
        )

    answers = [visible_text(r) for r in slack_api.wait_for_responses(name, count=3)]
    assert sum(a.startswith(":white_check_mark: Sent follow_up") for a in answers) == 1
    assert len(simulator.calls("send_msg")) == 1
    assert len(simulator.sent_messages()) == 1


def test_a_send_envelope_redelivered_over_socket_mode_sends_once(
    connected: SocketModeHandler,
    socket_mode_server: FakeSocketModeServer,
    slack_api: FakeSlackWebApi,
    simulator: Simulator,
    send_button: dict[str, Any],
) -> None:
    name = response_url_name("socket-send")
    payload = block_action_payload(
        send_button["action_id"],
        send_button["value"],
        user_id=ADMIN,
        is_ephemeral=True,
        response_url=slack_api.response_url(name),
    )

    for attempt in (None, 1):
        envelope = socket_mode_server.send_envelope(
            "interactive",
            payload,
            retry_attempt=attempt,
            retry_reason="timeout" if attempt else None,
        )
        socket_mode_server.wait_for_ack(envelope)

    answers = [visible_text(r) for r in slack_api.wait_for_responses(name, count=2)]
    assert sum(a.startswith(":white_check_mark: Sent follow_up") for a in answers) == 1
    assert len(simulator.calls("send_msg")) == 1


# ---- who may write -------------------------------------------------------------------------


def test_a_create_submitted_by_a_non_admin_creates_nothing(
    app: App, slack_api: FakeSlackWebApi, simulator: Simulator, desk: Desk
) -> None:
    view, response_url = open_create(app, slack_api)  # an admin opened it; another submits

    response = dispatch(app, create_body(view, "Rogue Shift", user_id=SUPERVISOR_USER_ID))

    assert response.status == 200
    [post] = slack_api.wait_for_responses(response_url)
    slack_api.wait_for("views.update")
    for shown in (visible_text(post), view_text(slack_api.view(view["id"]))):
        assert "Only deskbot admins can change skill groups or send messages" in shown
    assert simulator.calls("addQueue") == []
    assert groups_named(simulator, "Rogue Shift") == []
    assert desk.state.recent_changes() == []


# ---- vendor data that tries to ping, link or format ----------------------------------------

HOSTILE_GROUP = "<!channel> <@U0VICTIM1> *urgent* & <https://evil.example|click here>"
HOSTILE_AGENT = "<!here> _Mallory_ & <@U0VICTIM1>"
HOSTILE_NICK = "<!everyone> ~Support~ & <https://evil.example/login|log in>"
PINGS_AND_LINKS = ("<!channel>", "<!here>", "<!everyone>", "<@U0VICTIM1>", "<https://evil")


@pytest.fixture
def hostile_vendor_data(simulator: Simulator) -> None:
    """7moor and Tencent return names that would ping, mention and link if shown raw."""
    with simulator.state.lock:
        simulator.state.groups[NIGHT_SHIFT].display_name = HOSTILE_GROUP
        simulator.state.agents["8011"].name = HOSTILE_AGENT
        simulator.state.im_agents["@customer_service_account"].document["IMAgentNick"] = (
            HOSTILE_NICK
        )


@dataclass
class Surfaces:
    app: App
    ask: Ask
    click: Click
    slack_api: FakeSlackWebApi
    simulator: Simulator

    def change(self) -> str:
        return self.ask(f"add {NIGHT_SHIFT} 8021", user_id=ADMIN).raw

    def audit_post(self) -> str:
        self.change()
        return json.dumps(self.slack_api.messages(AUDIT_CHANNEL), ensure_ascii=False)

    def log(self) -> str:
        self.change()
        return self.ask(f"log {NIGHT_SHIFT}").raw

    def shared(self) -> str:
        [share] = buttons_of(self.ask(f"who {NIGHT_SHIFT}").reply)
        assert share["action_id"] == SHARE_ACTION_ID
        return json.dumps(self.click(share), ensure_ascii=False)

    def ambiguous(self) -> str:
        twin = SkillGroup("20000001", HOSTILE_GROUP, "random", False, "", "", "", [])
        self.simulator.state.add_group(twin)
        return self.ask("who urgent").raw

    def members_confirm(self) -> str:
        self.ask(f"members {NIGHT_SHIFT}", user_id=ADMIN)
        [opened] = self.slack_api.requests("views.open")
        form = Form(self.slack_api.view(opened.response["view"]["id"]), "")
        mrkdwn = [b for b in form.view["blocks"] if b["type"] != "input"]  # inputs are plain text
        review = submit_edit(self.app, form, "8003 0\n8019 0")
        return json.dumps([mrkdwn, review["view"]["blocks"]], ensure_ascii=False)


SURFACES: dict[str, tuple[Callable[[Surfaces], str], tuple[str, ...]]] = {
    "who": (lambda s: s.ask(f"who {NIGHT_SHIFT}").raw, (HOSTILE_GROUP, HOSTILE_AGENT)),
    "groups": (lambda s: s.ask("groups").raw, (HOSTILE_GROUP,)),
    "agents": (lambda s: s.ask("agents").raw, (HOSTILE_NICK,)),
    "change": (Surfaces.change, (HOSTILE_GROUP, HOSTILE_AGENT)),
    "audit post": (Surfaces.audit_post, (HOSTILE_GROUP,)),
    "log": (Surfaces.log, (HOSTILE_GROUP,)),
    "share in channel": (Surfaces.shared, (HOSTILE_GROUP, HOSTILE_AGENT)),
    "ambiguous group": (Surfaces.ambiguous, (HOSTILE_GROUP,)),
    "members confirm": (Surfaces.members_confirm, (HOSTILE_GROUP, HOSTILE_AGENT)),
}


@pytest.mark.usefixtures("hostile_vendor_data")
@pytest.mark.parametrize("surface", SURFACES)
def test_vendor_names_are_shown_escaped_and_never_ping_or_link(
    app: App, ask: Ask, click: Click, slack_api: FakeSlackWebApi, simulator: Simulator, surface: str
) -> None:
    show, names = SURFACES[surface]

    raw = show(Surfaces(app, ask, click, slack_api, simulator))

    for name in names:
        assert escape(name) in raw  # shown, `*urgent*` and all, with & < > escaped
    for construct in PINGS_AND_LINKS:
        assert construct not in raw


# ---- template code typed as a value --------------------------------------------------------

INJECTIONS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}",
    "{{ config }}{{ self }}{{ lipsum.__globals__ }}",
    "{% include 'follow_up.j2' %}",
    "{# hidden #}{{ topic }}",
    "}} {% endblock %} {% block header %}",
]


@pytest.mark.parametrize("typed", INJECTIONS)
@pytest.mark.parametrize("template", ["follow_up", "product_card"])
def test_template_code_in_a_value_reaches_the_customer_verbatim(
    ask: Ask, click: Click, simulator: Simulator, template: str, typed: str
) -> None:
    if template == "follow_up":
        values = f'customer_name="{typed}" topic=refund'
    else:
        values = (
            f'product_name="{typed}" summary="{typed}" image_url=https://img.example.com/fan.jpg '
            "product_url=https://shop.example.com/p/1"
        )
    preview = ask(f"send {ACTIVE_SESSION_ID} {template} {values}", user_id=ADMIN)
    shown = shown_text(preview.reply) if template == "follow_up" else visible_text(preview.reply)
    assert html.unescape(shown).count(typed) >= 1

    [send] = [b for b in buttons_of(preview.reply) if b["action_id"] == SEND_MESSAGE_ACTION_ID]
    click(send, user_id=ADMIN)

    [message] = simulator.sent_messages()
    [element] = message.msg_body
    if template == "follow_up":
        assert element["MsgContent"]["Text"].startswith(f"Hello {typed}, ")
    else:
        content = json.loads(element["MsgContent"]["Data"])["content"]
        assert (content["header"], content["desc"]) == (typed, typed)
