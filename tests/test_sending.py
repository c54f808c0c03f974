"""Customer messages at the facade: `Desk.preview_message` / `send_preview` / `cancel_preview`
against a scripted Tencent IM (`httpx.MockTransport`), where every request is seen.

The app-level tests (tests/app/test_send.py) run the same flows over real HTTP; here the
transport can fail in the ways a network really does (refused, timed out mid-answer, dropped)
and answer every documented error code, which the simulator cannot all produce.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.budget import Budget
from bot.clock import FakeClock
from bot.desk import Desk
from bot.errors import BadRequest, DeskError, PermissionRefused, RateLimited, VendorFailure
from bot.messages import MessageTemplates, TemplateUnsafe
from bot.models import MessageTarget
from bot.sending import SendAttempt, SendResult
from bot.settings import TencentSettings
from bot.state import SendStatus, SqliteStateStore
from bot.vendors.tencent import ERROR_CODES, LIMITS, SEND_MSG, TencentDeskClient

ADMIN = "U0ADMIN1"
OTHER_ADMIN = "U0ADMIN2"
SUPERVISOR = "U0SUPER01"
SESSION = MessageTarget(session_id="fd8a2e30-54de-4e40-bcaf-02718409c5cf")
VALUES = {"customer_name": "Li Lei", "topic": "the refund for order 1024"}
SETTINGS = TencentSettings(
    host="https://console.tim.qq.com", sdkappid=1400000001, secret_key="k" * 64
)
OK: dict[str, Any] = {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}

# What the scripted vendor does with one request: answer JSON, or fail the transport.
Step = dict[str, Any] | type[httpx.TransportError]


class ScriptedVendor:
    """A MockTransport handler: answers each request with the next step (then OK), recording it."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.during_request: Callable[[], None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.during_request is not None:
            self.during_request()
        step = self.steps.pop(0) if self.steps else OK
        if isinstance(step, dict):
            return httpx.Response(200, json=step)
        raise step("scripted transport failure", request=request)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


@pytest.fixture
def budget(clock: FakeClock) -> Budget:
    return Budget(clock=clock)


@pytest.fixture
def audit() -> list[SendAttempt]:
    return []


@pytest.fixture
def make_desk(
    clock: FakeClock, budget: Budget, tmp_path: Path, audit: list[SendAttempt]
) -> Iterator[Callable[..., Desk]]:
    """`make_desk(vendor, templates=None, admins=...)`: a facade with only Tencent IM set up."""
    made: list[Desk] = []

    def make(
        vendor: ScriptedVendor,
        *,
        templates: MessageTemplates | None = None,
        admins: frozenset[str] = frozenset({ADMIN, OTHER_ADMIN}),
    ) -> Desk:
        client = TencentDeskClient(
            SETTINGS, budget=budget, clock=clock, transport=httpx.MockTransport(vendor)
        )
        desk = Desk(
            sevenmoor=None,
            tencent=client,
            state=SqliteStateStore(tmp_path / f"state{len(made)}.sqlite3", clock=clock),
            templates=templates or MessageTemplates(),
            admins=admins,
            clock=clock,
            on_send=audit.append,
        )
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.close()


def preview(desk: Desk, actor: str = ADMIN) -> str:
    return desk.preview_message(actor, SESSION, "follow_up", VALUES).id


def status_of(desk: Desk, preview_id: str) -> SendStatus:
    [record] = [r for r in desk.state.recent_sends() if r.id == preview_id]
    return record.status


def text_kept(desk: Desk, preview_id: str) -> bool:
    stored = desk.state.preview(preview_id)
    assert stored is not None
    return stored.body_json != ""


# --------------------------------------------------------------------------- the happy path


def test_preview_calls_no_vendor_and_send_delivers_the_stored_body_once(
    make_desk: Callable[..., Desk], audit: list[SendAttempt]
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)
    shown = desk.preview_message(ADMIN, SESSION, "follow_up", VALUES)
    assert vendor.requests == []

    result = desk.send_preview(ADMIN, shown.id)
    repeat = desk.send_preview(ADMIN, shown.id)

    assert (result.status, result.repeat) == ("sent", False)
    assert (repeat.status, repeat.repeat, repeat.attempt) == ("already_sent", True, None)
    [body] = vendor.bodies
    assert body["SessionId"] == SESSION.session_id
    assert body["MsgBody"] == [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": shown.message.text}}  # type: ignore[union-attr]
    ]
    assert shown.size == len(vendor.requests[0].content)
    assert status_of(desk, shown.id) == SendStatus.SENT
    assert not text_kept(desk, shown.id)
    assert audit == [
        SendAttempt(
            preview_id=shown.id,
            user_id=ADMIN,
            target=f"session {SESSION.session_id}",
            template="follow_up",
            language="en",
            msg_random=body["MsgRandom"],
            outcome="sent",
            sentence=f"Sent follow_up to session {SESSION.session_id}.",
        )
    ]


# --------------------------------------------------------------------------- the same MsgRandom


def test_a_refused_connection_is_retried_with_the_same_msg_random(
    make_desk: Callable[..., Desk],
) -> None:
    vendor = ScriptedVendor(httpx.ConnectError, OK)
    desk = make_desk(vendor)
    identifier = preview(desk)
    [record] = desk.state.recent_sends()

    result = desk.send_preview(ADMIN, identifier)

    assert result.status == "sent"
    first, retry = vendor.bodies
    assert first == retry
    assert first["MsgRandom"] == record.msg_random
    # Only the URL's per-request `random` is new; the message's de-duplication key is not.
    first_url, retry_url = (request.url.params for request in vendor.requests)
    assert first_url["random"] != retry_url["random"]


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout])
def test_a_send_that_never_connects_stays_pending_and_the_next_click_reuses_msg_random(
    make_desk: Callable[..., Desk], audit: list[SendAttempt], failure: type[httpx.TransportError]
) -> None:
    vendor = ScriptedVendor(failure, failure, failure)
    desk = make_desk(vendor)
    identifier = preview(desk)

    refused = desk.send_preview(ADMIN, identifier)

    assert (refused.status, refused.repeat) == ("retryable", False)
    assert refused.sentence.startswith("deskbot could not reach Tencent IM (")
    assert refused.sentence.endswith(". The message was not sent.")
    assert refused.next_step == "Press Send again in a minute; the preview is kept."
    assert status_of(desk, identifier) == SendStatus.PENDING
    assert text_kept(desk, identifier)  # Send is still possible

    sent = desk.send_preview(ADMIN, identifier)

    assert sent.status == "sent"
    assert len(vendor.requests) == 4  # three refused attempts, then the one that arrived
    assert len({body["MsgRandom"] for body in vendor.bodies}) == 1
    assert [attempt.outcome for attempt in audit] == ["retryable", "sent"]
    assert audit[0].msg_random == audit[1].msg_random == vendor.bodies[0]["MsgRandom"]


@pytest.mark.parametrize(
    ("failure", "sentence"),
    [
        (httpx.ReadTimeout, "Tencent IM did not answer in time."),
        (httpx.WriteTimeout, "Tencent IM did not answer in time."),
        (httpx.RemoteProtocolError, "The connection to Tencent IM broke before it answered."),
        (httpx.ReadError, "The connection to Tencent IM broke before it answered."),
    ],
)
def test_a_send_whose_answer_was_lost_is_unknown_and_never_sent_again(
    make_desk: Callable[..., Desk],
    audit: list[SendAttempt],
    failure: type[httpx.TransportError],
    sentence: str,
) -> None:
    vendor = ScriptedVendor(failure)
    desk = make_desk(vendor)
    identifier = preview(desk)

    lost = desk.send_preview(ADMIN, identifier)

    assert lost.status == "unknown"
    assert lost.sentence == (
        f"{sentence} The message may or may not have arrived; it will not be sent again."
    )
    assert lost.next_step == "Check the chat in the Desk workbench before sending anything again."
    assert len(vendor.requests) == 1  # the request may have arrived: no automatic retry
    assert status_of(desk, identifier) == SendStatus.UNKNOWN
    assert not text_kept(desk, identifier)

    again = desk.send_preview(ADMIN, identifier)

    assert (again.status, again.repeat, again.attempt) == ("unknown", True, None)
    assert "it was not sent again" in again.sentence
    assert len(vendor.requests) == 1
    assert [attempt.outcome for attempt in audit] == ["unknown"]


def test_a_click_while_the_send_is_in_flight_answers_without_sending(
    make_desk: Callable[..., Desk],
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)
    identifier = preview(desk)
    during: list[SendResult] = []
    vendor.during_request = lambda: during.append(desk.send_preview(ADMIN, identifier))

    result = desk.send_preview(ADMIN, identifier)

    assert result.status == "sent"
    [second] = during
    assert (second.status, second.repeat) == ("in_progress", True)
    assert second.sentence == "This message is being sent right now, from an earlier click."
    assert len(vendor.requests) == 1


# --------------------------------------------------------------------------- vendor answers


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_vendor_error_code_has_its_sentence_and_nothing_is_claimed_sent(
    make_desk: Callable[..., Desk], audit: list[SendAttempt], code: int
) -> None:
    vendor = ScriptedVendor({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": "no"})
    desk = make_desk(vendor)
    identifier = preview(desk)
    error_class, sentence, next_step = ERROR_CODES[code]

    result = desk.send_preview(ADMIN, identifier)

    assert len(vendor.requests) == 1
    if issubclass(error_class, RateLimited | VendorFailure):  # refused; ask again later
        assert result.status == "retryable"
        assert result.sentence == f"{sentence} The message was not sent."
        assert result.next_step.startswith("Press Send again in ")
        assert status_of(desk, identifier) == SendStatus.PENDING
    else:
        assert result.status == "failed"
        assert result.sentence == sentence
        assert result.next_step.startswith("Nothing was sent.")
        assert next_step.removeprefix("Nothing was sent. ") in result.next_step
        assert status_of(desk, identifier) == SendStatus.FAILED
        assert not text_kept(desk, identifier)
    assert [(a.outcome, a.sentence) for a in audit] == [(result.status, result.sentence)]


def test_an_undocumented_error_code_is_a_failure_with_its_code(
    make_desk: Callable[..., Desk],
) -> None:
    vendor = ScriptedVendor({"ActionStatus": "FAIL", "ErrorCode": 123456, "ErrorInfo": "odd"})
    desk = make_desk(vendor)

    result = desk.send_preview(ADMIN, preview(desk))

    assert result.status == "failed"
    assert result.sentence == "Tencent IM did not accept the request (code 123456: odd)."
    assert result.next_step.startswith("Nothing was sent. Try again;")


def test_an_ok_without_code_zero_is_not_taken_for_sent(make_desk: Callable[..., Desk]) -> None:
    vendor = ScriptedVendor({"ActionStatus": "OK", "ErrorCode": 141004, "ErrorInfo": "odd"})
    desk = make_desk(vendor)

    result = desk.send_preview(ADMIN, preview(desk))

    assert result.status == "failed"
    assert result.sentence == ERROR_CODES[141004][1]


def test_our_own_budget_saying_no_keeps_the_preview_for_later(
    make_desk: Callable[..., Desk], budget: Budget
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)
    identifier = preview(desk)
    assert desk.tencent is not None
    budget.hold(desk.tencent.budget_key(SEND_MSG), LIMITS[SEND_MSG])

    result = desk.send_preview(ADMIN, identifier)

    assert result.status == "retryable"
    assert "did not make the call. The message was not sent." in result.sentence
    assert result.next_step.startswith("Press Send again in about ")
    assert vendor.requests == []
    assert status_of(desk, identifier) == SendStatus.PENDING


def test_a_fault_inside_deskbot_mid_send_is_unknown_not_stuck(
    make_desk: Callable[..., Desk],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)
    identifier = preview(desk)

    def broken(_prepared: object) -> None:
        raise RuntimeError("a bug")

    assert desk.tencent is not None
    monkeypatch.setattr(desk.tencent, "send", broken)

    with caplog.at_level(logging.ERROR, logger="bot.sending"):
        result = desk.send_preview(ADMIN, identifier)

    assert result.status == "unknown"
    assert "may or may not have arrived" in result.sentence
    assert status_of(desk, identifier) == SendStatus.UNKNOWN  # not left "in progress"
    assert "failed unexpectedly" in caplog.text
    again = desk.send_preview(ADMIN, identifier)
    assert (again.status, again.repeat) == ("unknown", True)


def test_a_failing_audit_hook_does_not_undo_a_sent_message(
    make_desk: Callable[..., Desk], caplog: pytest.LogCaptureFixture
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)

    def broken_hook(_attempt: SendAttempt) -> None:
        raise ConnectionError("Slack is down")

    desk.on_send = broken_hook
    with caplog.at_level(logging.ERROR, logger="bot.desk"):
        result = desk.send_preview(ADMIN, preview(desk))

    assert result.status == "sent"
    assert "audit of send" in caplog.text


# --------------------------------------------------------------------------- who may act


def test_only_admins_preview_send_or_cancel(make_desk: Callable[..., Desk]) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)
    identifier = preview(desk)

    with pytest.raises(PermissionRefused):
        preview(desk, SUPERVISOR)
    with pytest.raises(PermissionRefused):
        desk.send_preview(SUPERVISOR, identifier)
    with pytest.raises(PermissionRefused):
        desk.cancel_preview(SUPERVISOR, identifier)

    assert vendor.requests == []
    assert status_of(desk, identifier) == SendStatus.PENDING


def test_only_the_supervisor_who_made_a_preview_may_send_or_cancel_it(
    make_desk: Callable[..., Desk],
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)
    identifier = preview(desk)

    with pytest.raises(DeskError, match="so nothing was sent") as sending:
        desk.send_preview(OTHER_ADMIN, identifier)
    with pytest.raises(DeskError, match="so nothing was cancelled"):
        desk.cancel_preview(OTHER_ADMIN, identifier)

    assert sending.value.next_step.startswith(f"It belongs to <@{ADMIN}>.")
    assert vendor.requests == []
    assert desk.cancel_preview(ADMIN, identifier) is True
    assert status_of(desk, identifier) == SendStatus.CANCELLED


def test_with_no_admins_nobody_may_send(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(ScriptedVendor(), admins=frozenset())

    with pytest.raises(PermissionRefused) as refused:
        preview(desk)

    assert "no deskbot admins are configured" in refused.value.sentence
    assert "DESK_ADMINS" in refused.value.next_step


# --------------------------------------------------------------------------- refused at preview


def test_a_body_over_12_kb_is_refused_at_preview_and_nothing_is_stored(
    make_desk: Callable[..., Desk],
) -> None:
    vendor = ScriptedVendor()
    desk = make_desk(vendor)

    with pytest.raises(BadRequest) as refused:
        desk.preview_message(ADMIN, SESSION, "follow_up", {**VALUES, "topic": "退" * 4200})

    assert refused.value.sentence.startswith(
        "The message is longer than Tencent IM allows (12 KB): this one is 12,"
    )
    assert refused.value.next_step.endswith("Nothing was sent.")
    assert vendor.requests == []
    assert desk.state.recent_sends() == []


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ customer_name.__class__.__base__.__subclasses__() }}",
        "{{ 'x' * 100000 }}",
        "{% for i in range(10 ** 9) %}{% endfor %}hi",
        "{{ (99 ** 99999) }}",
    ],
)
def test_a_malicious_template_is_refused_by_the_sandbox_through_the_desk(
    make_desk: Callable[..., Desk], tmp_path: Path, source: str
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "evil.j2").write_text(source, encoding="utf-8")
    vendor = ScriptedVendor()
    desk = make_desk(vendor, templates=MessageTemplates(folder))
    values = {"customer_name": "Li"} if "customer_name" in source else {}

    with pytest.raises(TemplateUnsafe) as refused:
        desk.preview_message(ADMIN, SESSION, "evil", values)

    assert str(refused.value).startswith("Template evil was stopped by the sandbox")
    assert vendor.requests == []
    assert desk.state.recent_sends() == []


def test_an_unknown_agent_account_is_refused_before_rendering(
    make_desk: Callable[..., Desk],
) -> None:
    vendor = ScriptedVendor({**OK, "Data": []})
    desk = make_desk(vendor)
    target = MessageTarget(from_account="@nobody", to_account="user45")

    with pytest.raises(DeskError, match="“@nobody” is not a customer-service account"):
        desk.preview_message(ADMIN, target, "follow_up", VALUES)

    assert [request.url.path for request in vendor.requests] == [
        "/v4/desk_http_svc/get_im_agent_list_multilingual"
    ]
    assert desk.state.recent_sends() == []


def test_a_preview_in_another_language_than_asked_says_which_it_is(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(ScriptedVendor())

    shown = desk.preview_message(ADMIN, SESSION, "follow_up", VALUES, language="fr")

    assert (shown.requested_language, shown.language) == ("fr", "en")
    assert shown.languages == ("en", "zh")
