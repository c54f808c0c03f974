"""7moor client: signing per the vendor's vectors, and every answer shape the docs allow."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.budget import Budget
from bot.clock import FakeClock
from bot.errors import (
    AuthRejected,
    BadRequest,
    BudgetExhausted,
    ConnectFailed,
    MalformedAnswer,
    RateLimited,
    VendorTimeout,
    VendorUnreachable,
)
from bot.models import Member, NewGroup
from bot.settings import SevenMoorSettings
from bot.vendors.sevenmoor import SevenMoorClient, authorization, sig_timestamp, sign

SETTINGS = SevenMoorSettings(
    host="https://apis.example.test", account_id="N00000000556", api_secret="secret"
)


@pytest.mark.parametrize(
    ("secret", "timestamp", "sig", "auth"),
    [
        (
            "secret",
            "20161013113612",
            "88996D9907E0EE52C5DAF8EFFCC31CFC",
            "TjAwMDAwMDAwNTU2OjIwMTYxMDEzMTEzNjEy",
        ),
        (
            "123456",
            "20161013164303",
            "AED8764EFF64286C14E1F26648FF140F",
            "TjAwMDAwMDAwNTU2OjIwMTYxMDEzMTY0MzAz",
        ),
    ],
)
def test_vendor_test_vectors(secret: str, timestamp: str, sig: str, auth: str) -> None:
    assert sign("N00000000556", secret, timestamp) == sig
    assert authorization("N00000000556", timestamp) == auth


def test_timestamp_is_beijing_time_whatever_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    instant = datetime(2016, 10, 13, 3, 36, 12, tzinfo=ZoneInfo("UTC")).timestamp()
    assert sig_timestamp(instant, "Asia/Shanghai") == "20161013113612"
    assert sig_timestamp(instant, "UTC") == "20161013033612"


Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler, clock: FakeClock) -> SevenMoorClient:
    return SevenMoorClient(
        SETTINGS, budget=Budget(clock=clock), clock=clock, transport=httpx.MockTransport(handler)
    )


def group_row(exten: str, **extra: object) -> dict[str, object]:
    return {
        "displayName": f"Group {exten}",
        "exten": exten,
        "assignRule": "priority",
        "isMemory": "true",
        "memoryTime": "120",
        "updateTime": "2022-01-04 16:17:27",
        "updateAgent": "",
        "assignMembers": [{"agentNumber": "8000", "agentName": "Li", "priority": "3"}],
        **extra,
    }


def test_requests_are_signed_json_posts(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"success": True, "data": {"count": 0, "list": []}, "message": "200 ok!"}
        )

    client_with(handler, clock).query_groups()
    request = seen[0]
    timestamp = sig_timestamp(clock.time(), "Asia/Shanghai")
    assert request.method == "POST"
    assert request.url.path == "/v20210827/webChat/queueQueue/N00000000556"
    assert request.url.params["sig"] == sign("N00000000556", "secret", timestamp)
    assert (
        base64.b64decode(request.headers["Authorization"]).decode() == f"N00000000556:{timestamp}"
    )
    assert request.headers["Content-Type"] == "application/json;charset=utf-8"
    assert json.loads(request.content) == {"page": 1, "pageSize": 100}


def test_list_answers_without_code_are_normalised(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "success": True,
                "data": {"count": 1, "list": [group_row("10018590")]},
                "message": "200 ok!",
            },
        )

    [group] = client_with(handler, clock).query_groups()
    assert group.members == (Member("8000", 3, "Li"),)  # priority "3" → 3
    assert group.is_memory is True and group.memory_time == 120


def test_further_pages_are_fetched_only_while_groups_are_missing(clock: FakeClock) -> None:
    pages: list[int] = []
    rows = [group_row(str(10000 + n)) for n in range(130)]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        pages.append(body["page"])
        start = (body["page"] - 1) * 50  # this vendor caps pages at 50, whatever we ask for
        return httpx.Response(
            200, json={"success": True, "data": {"count": 130, "list": rows[start : start + 50]}}
        )

    assert len(client_with(handler, clock).query_groups()) == 130
    assert pages == [1, 2, 3]


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(429, text="slow down"), RateLimited),
        (httpx.Response(200, json={"code": 429, "success": False, "message": "rate"}), RateLimited),
        (
            httpx.Response(200, json={"code": 400, "success": False, "message": "请求过于频繁"}),
            RateLimited,
        ),
        (
            httpx.Response(200, json={"code": 403, "success": False, "message": "auth fail"}),
            AuthRejected,
        ),
        (httpx.Response(403, json={"success": False, "message": "auth fail"}), AuthRejected),
        (
            httpx.Response(
                200, json={"code": 400, "success": False, "message": "create Queue error"}
            ),
            BadRequest,
        ),
        (httpx.Response(200, text="<html>gateway</html>"), MalformedAnswer),
        (httpx.Response(200, json={"code": 200, "success": False}), Exception),
        (
            httpx.Response(200, json={"success": True, "data": {"count": 1, "list": "nope"}}),
            MalformedAnswer,
        ),
    ],
)
def test_no_answer_is_taken_for_success_unless_it_says_so(
    clock: FakeClock, response: httpx.Response, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        client_with(lambda _request: response, clock).query_groups()
    assert raised.value.sentence  # type: ignore[attr-defined]


def test_reads_retry_5xx_and_connection_errors_with_backoff(clock: FakeClock) -> None:
    attempts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(clock.time())
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(attempts) == 2:
            return httpx.Response(502, text="bad gateway")
        return httpx.Response(200, json={"success": True, "data": {"count": 0, "list": []}})

    assert client_with(handler, clock).query_groups() == []
    assert len(attempts) == 3
    assert attempts[1] - attempts[0] == 0.25 and attempts[2] - attempts[1] == 1.0


def test_reads_give_up_after_two_retries(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ConnectFailed):
        client_with(handler, clock).query_groups()
    assert calls == 3


def test_a_write_that_timed_out_is_not_hidden_by_later_refused_retries(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:  # 7moor may be applying this one when the client gives up
            raise httpx.ReadTimeout("no answer", request=request)
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(VendorTimeout):  # not ConnectFailed: the first write may still land
        client_with(handler, clock).update_members("10019349", [Member("8021", 0)])
    assert calls == 3


def test_creating_a_group_is_never_retried(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, text="unavailable")

    with pytest.raises(VendorUnreachable):
        client_with(handler, clock).add_queue(NewGroup(display_name="Campaign"))
    assert calls == 1


def test_add_queue_sends_validated_fields_and_returns_the_exten(clock: FakeClock) -> None:
    bodies: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "code": 200,
                "success": True,
                "message": "success!",
                "data": {"exten": "10018578"},
            },
        )

    group = NewGroup(
        display_name="阿瓦达哇多",
        assign_rule="priority",
        is_memory=True,
        memory_time=120,
        members=(Member("8000", 0),),
    )
    assert client_with(handler, clock).add_queue(group) == "10018578"
    assert bodies == [
        {
            "displayName": "阿瓦达哇多",
            "assignRule": "priority",
            "isMemory": True,
            "memoryTime": "120",
            "assignMembers": [{"agentNumber": "8000", "priority": 0}],
        }
    ]


def test_paging_never_repeats_a_group_nor_loops_on_a_vendor_that_ignores_the_page(
    clock: FakeClock,
) -> None:
    pages: list[int] = []
    rows = [group_row(str(10000 + n)) for n in range(25)]

    def handler(request: httpx.Request) -> httpx.Response:
        pages.append(json.loads(request.content)["page"])
        # Says there are 25, but answers the first ten whatever page is asked for.
        return httpx.Response(200, json={"success": True, "data": {"count": 25, "list": rows[:10]}})

    groups = client_with(handler, clock).query_groups()
    assert [g.exten for g in groups] == [str(10000 + n) for n in range(10)]
    assert pages == [1, 2]  # the second page brought nothing new: stop


def test_a_group_that_moves_to_the_next_page_meanwhile_is_listed_once(clock: FakeClock) -> None:
    rows = [group_row(str(10000 + n)) for n in range(15)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = json.loads(request.content)["page"]
        listing = rows[:10] if page == 1 else rows[9:]  # a group was added at the top meanwhile
        return httpx.Response(200, json={"success": True, "data": {"count": 16, "list": listing}})

    extens = [g.exten for g in client_with(handler, clock).query_groups()]
    assert extens == [str(10000 + n) for n in range(15)]


def test_success_may_come_as_a_string(clock: FakeClock) -> None:
    answer = {"success": "true", "data": {"count": 1, "list": [group_row("10018590")]}}
    [group] = client_with(lambda _r: httpx.Response(200, json=answer), clock).query_groups()
    assert group.exten == "10018590"


def test_a_vendor_that_caps_pages_is_asked_for_its_own_page_size(clock: FakeClock) -> None:
    asked: list[tuple[int, int]] = []
    rows = [group_row(str(10000 + n)) for n in range(130)]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        asked.append((body["page"], body["pageSize"]))
        start = (body["page"] - 1) * body["pageSize"]  # offsets in the size asked for...
        listing = rows[start : start + min(body["pageSize"], 50)]  # ...but at most 50 a page
        return httpx.Response(200, json={"success": True, "data": {"count": 130, "list": listing}})

    groups = client_with(handler, clock).query_groups()
    assert [g.exten for g in groups] == [str(10000 + n) for n in range(130)]
    assert asked == [(1, 100), (2, 50), (3, 50)]


def test_reads_retry_the_vendors_own_internal_error(clock: FakeClock) -> None:
    answers = [
        httpx.Response(200, json={"code": 500, "success": False, "message": "server error"}),
        httpx.Response(500, json={"code": 500, "success": False, "message": "server error"}),
        httpx.Response(200, json={"success": True, "data": {"count": 0, "list": []}}),
    ]
    assert client_with(lambda _r: answers.pop(0), clock).query_groups() == []
    assert answers == []


def test_an_over_limit_answer_holds_the_endpoint_for_a_whole_window(clock: FakeClock) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, text="slow down")
        return httpx.Response(200, json={"success": True, "data": {"count": 0, "list": []}})

    client = client_with(handler, clock)
    with pytest.raises(RateLimited):
        client.query_groups()
    clock.advance(30)
    with pytest.raises(BudgetExhausted) as raised:
        client.query_groups()
    assert calls == 1 and 30 <= raised.value.retry_after <= 31
    clock.advance(raised.value.retry_after)
    assert client.query_groups() == [] and calls == 2
