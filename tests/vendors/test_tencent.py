"""Tencent IM Desk client: UserSig, error codes with HTTP 200, exactly-once-safe retries."""

from __future__ import annotations

import base64
import json
import zlib

import httpx
import pytest
import TLSSigAPIv2

from bot.budget import Budget
from bot.clock import FakeClock
from bot.errors import (
    AuthRejected,
    ConnectFailed,
    NotFound,
    RateLimited,
    RequestFailed,
    VendorTimeout,
)
from bot.models import CardMessage, MessageTarget, TextMessage
from bot.settings import TencentSettings
from bot.vendors.tencent import (
    ERROR_CODES,
    USERSIG_LIFETIME,
    TencentDeskClient,
    UserSigCache,
    gen_usersig,
    msg_body,
    prepare_send,
)

SETTINGS = TencentSettings(
    host="https://console.example.test",
    sdkappid=1400000000,
    secret_key="5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e",
    admin="administrator",
)
SESSION = MessageTarget(session_id="fd8a2e30-54de-4e40-bcaf-02718409c5cf")
OK = {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}


def decode(sig: str) -> dict[str, object]:
    return json.loads(zlib.decompress(base64.b64decode(sig.translate(str.maketrans("*-_", "+/=")))))


def test_usersig_matches_the_vendor_package() -> None:
    vendor = decode(
        TLSSigAPIv2.TLSSigAPIv2(SETTINGS.sdkappid, SETTINGS.secret_key).gen_sig(
            "administrator", 86400
        )
    )
    ours = decode(
        gen_usersig(
            SETTINGS.sdkappid,
            SETTINGS.secret_key,
            "administrator",
            now=int(vendor["TLS.time"]),
            expire=86400,
        )
    )  # type: ignore[arg-type]
    assert ours == vendor


def test_usersig_is_cached_and_renewed_well_before_expiry(clock: FakeClock) -> None:
    sigs = UserSigCache(SETTINGS, clock)
    first = sigs.current()
    clock.advance(USERSIG_LIFETIME - 3601)
    assert sigs.current() == first
    clock.advance(2)  # within the last hour: renew
    renewed = sigs.current()
    assert renewed != first and decode(renewed)["TLS.time"] == int(clock.time())


def test_every_documented_code_has_a_sentence_and_a_next_step() -> None:
    documented = [
        60002,
        60003,
        60004,
        60005,
        60006,
        60007,
        60008,
        60010,
        60011,
        60020,
        60021,
        70001,
        70003,
        70009,
        70013,
        90001,
        90002,
        90005,
        90007,
        90009,
        90010,
        93000,
        141000,
        141002,
        141004,
        141005,
        141007,
        141008,
    ]
    for code in documented:
        cls, sentence, next_step = ERROR_CODES[code]
        assert issubclass(cls, RequestFailed) and sentence.endswith(".") and next_step


def client_with(handler, clock: FakeClock) -> TencentDeskClient:  # type: ignore[no-untyped-def]
    return TencentDeskClient(
        SETTINGS, budget=Budget(clock=clock), clock=clock, transport=httpx.MockTransport(handler)
    )


def test_requests_carry_the_rest_parameters_and_a_fresh_random(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={**OK, "Data": []})

    client = client_with(handler, clock)
    client.im_agents()
    client.im_agents(["@a"])
    first, second = (r.url.params for r in seen)
    assert (
        first["sdkappid"] == "1400000000"
        and first["identifier"] == "administrator"
        and first["contenttype"] == "json"
    )
    assert decode(first["usersig"])["TLS.identifier"] == "administrator"
    assert first["random"] != second["random"] and 0 <= int(first["random"]) < 2**32
    assert json.loads(seen[0].content) == {} and json.loads(seen[1].content) == {
        "IMAgentUserIDList": ["@a"]
    }


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (60007, RateLimited),
        (70001, AuthRejected),
        (141005, NotFound),
        (70099, AuthRejected),
        (123456, RequestFailed),
    ],
)
def test_errors_arrive_with_http_200(clock: FakeClock, code: int, error: type[Exception]) -> None:
    answer = {"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": "x"}
    with pytest.raises(error):
        client_with(lambda _r: httpx.Response(200, json=answer), clock).session_state("s")


def test_ok_without_code_zero_is_not_success(clock: FakeClock) -> None:
    with pytest.raises(RequestFailed):
        client_with(lambda _r: httpx.Response(200, json={"ActionStatus": "OK"}), clock).im_agents()


def test_send_is_retried_only_when_the_request_never_left(clock: FakeClock) -> None:
    bodies: list[dict[str, object]] = []

    def refuse_once(request: httpx.Request) -> httpx.Response:
        if not bodies:
            bodies.append({})
            raise httpx.ConnectError("refused", request=request)
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=OK)

    prepared = prepare_send(SESSION, msg_body(TextMessage("hi")), 4242)
    client_with(refuse_once, clock).send(prepared)
    assert bodies[1]["MsgRandom"] == 4242

    calls = 0

    def time_out(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(VendorTimeout):
        client_with(time_out, clock).send(prepared)
    assert calls == 1  # it may have arrived: never sent again

    with pytest.raises(ConnectFailed):
        client_with(
            lambda r: (_ for _ in ()).throw(httpx.ConnectError("x", request=r)), clock
        ).send(prepared)


def test_card_is_the_documented_custom_message() -> None:
    [element] = msg_body(
        CardMessage(
            header="卡片标题",
            desc="卡片描述",
            pic="https://p.test/a.jpeg",
            url="https://www.qcloud.com/",
        )
    )
    assert element["MsgType"] == "TIMCustomElem"
    assert json.loads(element["MsgContent"]["Data"]) == {
        "src": "22",
        "content": {
            "header": "卡片标题",
            "desc": "卡片描述",
            "pic": "https://p.test/a.jpeg",
            "url": "https://www.qcloud.com/",
        },
        "customerServicePlugin": 0,
    }


def test_twelve_kilobytes_are_checked_before_sending() -> None:
    prepare_send(SESSION, msg_body(TextMessage("好" * 3900)), 1)  # 11.7 KB in UTF-8: fine
    with pytest.raises(RequestFailed) as raised:
        prepare_send(SESSION, msg_body(TextMessage("好" * 4200)), 1)
    assert "12 KB" in raised.value.sentence and "Nothing was sent" in raised.value.next_step


def test_a_send_that_found_no_free_connection_never_left_and_may_go_again(
    clock: FakeClock,
) -> None:
    attempts = 0

    def no_connection(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.PoolTimeout("every connection busy", request=request)

    prepared = prepare_send(SESSION, msg_body(TextMessage("hi")), 4242)
    with pytest.raises(ConnectFailed) as raised:
        client_with(no_connection, clock).send(prepared)
    assert attempts == 3  # it never left, so a retry cannot double it
    assert "waiting for a connection" in raised.value.sentence
