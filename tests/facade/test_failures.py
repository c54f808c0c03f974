"""Every way a vendor can fail becomes the right DeskError, with a sentence and a next step.

Faults are switched on in the simulator (the same switches `POST /_simulator/faults` sets);
retries are counted in its call log. Backoff sleeps move the fake clock, so nothing waits,
except the one slow-answer test, which waits for real on purpose.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.desk import Desk
from bot.errors import (
    AuthRejected,
    ConnectFailed,
    DeskError,
    MalformedAnswer,
    RateLimited,
    VendorError,
    VendorFailure,
    VendorUnreachable,
)
from bot.models import Reading, SkillGroup
from bot.settings import Settings
from bot.simulator import Simulator
from bot.vendors._http import DEFAULT_TIMEOUT, RETRY_DELAYS
from tests.facade.conftest import CLAIMS, QUEUE

AGENT_LIST = "get_im_agent_list_multilingual"
SLOW_ANSWER_SECONDS = 4.5  # past the vendors' own 3 s, inside our 10 s read timeout


def assert_explained(error: DeskError) -> None:
    """A person can read it: one sentence of what happened, one of what to do now."""
    assert error.sentence.endswith(".") and error.next_step.endswith(".")
    assert "Traceback" not in str(error) and "httpx" not in str(error)


def test_a_slow_answer_still_succeeds_and_does_not_hold_up_other_reads(
    desk: Desk, simulator: Simulator
) -> None:
    assert DEFAULT_TIMEOUT.read == 10.0
    desk.groups()
    simulator.faults.set(CLAIMS, latency=SLOW_ANSWER_SECONDS, times=1)
    slow: dict[str, Any] = {}

    def ask_slowly() -> None:
        started = time.perf_counter()
        slow["reading"] = desk.claims("售后服务")
        slow["seconds"] = time.perf_counter() - started

    waiting = threading.Thread(target=ask_slowly)
    waiting.start()
    deadline = time.monotonic() + 5
    while simulator.faults.effective(CLAIMS).latency and time.monotonic() < deadline:
        time.sleep(0.01)  # until the slow request has reached the simulator
    desk.cache.invalidate(("groups",))
    started = time.perf_counter()
    assert len(desk.groups().value) == 17  # another endpoint answers meanwhile
    assert time.perf_counter() - started < 1.0
    waiting.join(15)

    assert slow["seconds"] >= SLOW_ANSWER_SECONDS
    assert [a.agent_number for a in slow["reading"].value.agents] == [
        "8004",
        "8006",
        "8008",
        "8009",
    ]
    assert len(simulator.calls(CLAIMS)) == 1  # answered the first time, not retried


@pytest.mark.parametrize(
    ("switches", "error_class", "sentence", "attempts"),
    [
        ({"outage": "reset"}, VendorUnreachable, "the connection was dropped", 3),
        ({"outage": "503"}, VendorUnreachable, "server error (HTTP 503)", 3),
        ({"http_5xx": 502}, VendorUnreachable, "server error (HTTP 502)", 3),
        ({"garbage": True}, MalformedAnswer, "an answer deskbot cannot read", 1),
        ({"internal_error": True}, VendorFailure, "7moor had an internal error", 3),
        (
            {"internal_error": True, "sevenmoor_error_http_status": True},
            VendorFailure,
            "7moor had an internal error",
            3,
        ),
    ],
    ids=["reset", "503", "502", "garbage", "code-500", "http-500"],
)
def test_a_failing_vendor_becomes_an_explained_error(
    desk: Desk,
    simulator: Simulator,
    switches: dict[str, Any],
    error_class: type[VendorError],
    sentence: str,
    attempts: int,
) -> None:
    simulator.faults.set(QUEUE, **switches)
    with pytest.raises(DeskError) as raised:
        desk.groups()
    error = raised.value
    assert type(error) is error_class
    assert isinstance(error, VendorError) and (error.vendor, error.endpoint) == ("7moor", QUEUE)
    assert sentence in error.sentence
    assert_explained(error)
    assert len(simulator.calls(QUEUE)) == attempts  # reads retry only what may pass


@pytest.mark.parametrize(
    ("switches", "http_status"),
    [
        ({"over_limit": True}, 429),
        ({"over_limit": True, "sevenmoor_over_limit_http_200": True}, 200),
    ],
    ids=["http-429", "body-code-429"],
)
def test_an_over_limit_answer_of_either_style_is_rate_limited(
    desk: Desk, simulator: Simulator, switches: dict[str, Any], http_status: int
) -> None:
    simulator.faults.set(QUEUE, **switches)
    with pytest.raises(RateLimited) as raised:
        desk.groups()
    [call] = simulator.calls(QUEUE)  # never retried into the limit
    assert (call.status, call.code, call.over_limit) == (http_status, 429, True)
    assert raised.value.sentence == "7moor says deskbot is calling too often."
    assert raised.value.code == 429 and raised.value.retry_after > 0
    assert_explained(raised.value)


@pytest.mark.parametrize(
    ("switches", "failures", "failed_status"),
    [({"http_5xx": 502}, 1, 502), ({"outage": "503"}, 2, 503), ({"outage": "reset"}, 2, 0)],
    ids=["502-once", "503-twice", "reset-twice"],
)
def test_reads_retry_server_errors_and_dropped_connections_with_backoff(
    desk: Desk,
    simulator: Simulator,
    switches: dict[str, Any],
    failures: int,
    failed_status: int,
) -> None:
    simulator.faults.set(QUEUE, times=failures, **switches)
    reading = desk.groups()
    assert len(reading.value) == 17 and not reading.stale
    calls = simulator.calls(QUEUE)
    assert [c.status for c in calls] == [failed_status] * failures + [200]
    gaps = [later.time - earlier.time for earlier, later in itertools.pairwise(calls)]
    assert gaps == list(RETRY_DELAYS[:failures])  # the backoff, on the fake clock


def test_a_vendor_that_cannot_be_reached_at_all(desk: Desk, simulator: Simulator) -> None:
    simulator.stop()  # nothing listens on the port any more
    with pytest.raises(ConnectFailed) as raised:
        desk.groups()
    assert raised.value.sentence == "deskbot could not reach 7moor (no connection could be made)."
    assert "deskbot check" in raised.value.next_step
    assert_explained(raised.value)


def test_an_outage_after_a_good_answer_serves_it_stale_with_the_reason(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    fresh = desk.groups()
    clock.advance(90)
    simulator.faults.set(QUEUE, outage="503")
    reading: Reading[list[SkillGroup]] = desk.groups()
    assert reading.stale and reading.value == fresh.value
    assert reading.age(clock.time()) == pytest.approx(90 + sum(RETRY_DELAYS))
    assert "server error (HTTP 503)" in reading.stale_reason


def test_tencent_failures_are_explained_and_reads_retried(desk: Desk, simulator: Simulator) -> None:
    simulator.faults.set(AGENT_LIST, http_5xx=502, times=1)
    first = desk.im_agents()
    assert len(first.value) == 4
    assert [c.status for c in simulator.calls(AGENT_LIST)] == [502, 200]

    desk.cache.invalidate(("im_agents",))
    simulator.faults.set(AGENT_LIST, internal_error=True, times=2)  # "please retry": it passes
    assert not desk.im_agents().stale
    assert [c.code for c in simulator.calls(AGENT_LIST)[2:]] == [141002, 141002, 0]

    desk.cache.invalidate(("im_agents",))
    simulator.faults.set(AGENT_LIST, internal_error=True)  # it does not pass
    reading = desk.im_agents()  # the last good answer stands in, saying why
    assert reading.stale and reading.value == first.value
    assert reading.stale_reason == "Tencent IM Desk had an internal error."

    assert desk.tencent is not None
    for switches, error_class, code in (
        ({"internal_error": True}, VendorFailure, 141002),
        ({"internal_error": None, "over_limit": True}, RateLimited, 60007),
    ):
        simulator.faults.set(AGENT_LIST, **switches)
        with pytest.raises(error_class) as raised:
            desk.tencent.im_agents()
        assert raised.value.code == code and raised.value.vendor == "Tencent IM"
        assert_explained(raised.value)


def replace_vendor(settings: Settings, vendor: str, **changes: Any) -> Settings:
    current = getattr(settings, vendor)
    return dataclasses.replace(settings, **{vendor: dataclasses.replace(current, **changes)})


@pytest.mark.parametrize(
    ("changes", "vendor_says"),
    [
        ({"api_secret": "not-the-secret"}, "sig does not match"),
        ({"account_id": "N00000000999"}, "unknown account"),
        # A UTC container stamping its own clock: 8 h off Beijing, outside the 5-minute window.
        ({"timezone": "UTC"}, "timestamp is more than 5 minutes from server time"),
    ],
    ids=["wrong-secret", "wrong-account", "clock-skew"],
)
def test_7moor_refusing_credentials_names_the_variables_to_check(
    settings: Settings,
    desk_with: Callable[[Settings], Desk],
    simulator: Simulator,
    changes: dict[str, str],
    vendor_says: str,
) -> None:
    desk = desk_with(replace_vendor(settings, "sevenmoor", **changes))
    with pytest.raises(AuthRejected) as raised:
        desk.groups()
    error = raised.value
    assert error.sentence == "7moor rejected deskbot's credentials or signature."
    for variable in ("SEVENMOOR_ACCOUNT_ID", "SEVENMOOR_API_SECRET", "SEVENMOOR_TIMEZONE"):
        assert variable in error.next_step
    assert vendor_says in error.vendor_message and error.code == 403
    assert len(simulator.calls(QUEUE)) == 1  # a refusal is final: never retried
    assert_explained(error)


@pytest.mark.parametrize(
    ("changes", "code", "variables"),
    [
        ({"secret_key": "0" * 64}, 70003, ("TENCENT_IM_SDKAPPID", "TENCENT_IM_SECRET_KEY")),
        ({"sdkappid": 1400000001}, 60006, ("TENCENT_IM_SDKAPPID", "TENCENT_IM_SECRET_KEY")),
        ({"admin": "somebody"}, 60010, ("TENCENT_IM_ADMIN",)),
    ],
    ids=["wrong-key", "wrong-sdkappid", "not-the-admin"],
)
def test_tencent_refusing_credentials_names_the_variables_to_check(
    settings: Settings,
    desk_with: Callable[[Settings], Desk],
    simulator: Simulator,
    changes: dict[str, Any],
    code: int,
    variables: tuple[str, ...],
) -> None:
    desk = desk_with(replace_vendor(settings, "tencent", **changes))
    with pytest.raises(AuthRejected) as raised:
        desk.im_agents()
    assert raised.value.code == code
    for variable in variables:
        assert variable in raised.value.next_step
    assert len(simulator.calls(AGENT_LIST)) == 1
    assert_explained(raised.value)


def test_after_an_over_limit_answer_nothing_more_is_sent_for_a_whole_window(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    fresh = desk.groups()
    simulator.faults.set(QUEUE, over_limit=True, times=1)  # another client spent the minute
    desk.cache.invalidate(("groups",))
    assert desk.groups().stale  # the vendor said no; the last answer stands in
    assert len(simulator.calls(QUEUE)) == 2

    for _ in range(58):  # (a read would wait the last 2 s of the 61 s window rather than go stale)
        clock.advance(1)
        desk.cache.invalidate(("groups",))
        reading = desk.groups()
        assert reading.stale and reading.value == fresh.value
    assert len(simulator.calls(QUEUE)) == 2  # held: not one call more within the window
    assert simulator.over_limit_answers() == 1

    clock.advance(3)
    desk.cache.invalidate(("groups",))
    assert not desk.groups().stale
    assert len(simulator.calls(QUEUE)) == 3
