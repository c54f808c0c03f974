"""Tencent IM REST authentication: UserSig (TLSSigAPIv2), SDKAppID, admin, URL parameters.

Every refusal is HTTP 200 with `ActionStatus: FAIL` and the vendor's ErrorCode.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import TLSSigAPIv2

from bot.clock import FakeClock
from bot.simulator import (
    SIM_TENCENT_ADMIN,
    SIM_TENCENT_SDKAPPID,
    SIM_TENCENT_SECRET_KEY,
    Simulator,
)
from bot.simulator.signatures import SignatureRefused, decode_usersig, verify_usersig
from tests.simulator.conftest import (
    Tencent,
    decode_usersig_document,
    encode_usersig_document,
    make_usersig,
)

LIST = "get_im_agent_list_multilingual"


def _failed(answer: dict[str, Any], code: int) -> None:
    assert answer["ActionStatus"] == "FAIL"
    assert answer["ErrorCode"] == code
    assert isinstance(answer["ErrorInfo"], str) and answer["ErrorInfo"]


def test_good_usersig_is_accepted(tencent: Tencent) -> None:
    answer = tencent.call(LIST, {})
    assert (answer["ActionStatus"], answer["ErrorCode"], answer["ErrorInfo"]) == ("OK", 0, "")


def test_usersig_made_by_the_vendors_package_is_accepted() -> None:
    """The vendor's TLSSigAPIv2 uses real time, so this simulator's clock does too."""
    clock = FakeClock(start=time.time())
    usersig = TLSSigAPIv2.TLSSigAPIv2(SIM_TENCENT_SDKAPPID, SIM_TENCENT_SECRET_KEY).gen_sig(
        SIM_TENCENT_ADMIN, 3600
    )
    with Simulator(clock=clock) as sim, httpx.Client(base_url=sim.url) as http:
        answer = Tencent(http, clock).call(LIST, {}, usersig=usersig)
        assert answer["ErrorCode"] == 0
        clock.advance(3601)
        _failed(Tencent(http, clock).call(LIST, {}, usersig=usersig), 70001)


def test_tampered_signature_is_70003(tencent: Tencent) -> None:
    document = decode_usersig_document(make_usersig(SIM_TENCENT_ADMIN, now=tencent.clock.time()))
    document["TLS.expire"] += 1  # a longer life than was signed
    _failed(tencent.call(LIST, {}, usersig=encode_usersig_document(document)), 70003)


def test_signature_with_another_key_is_70003(tencent: Tencent) -> None:
    usersig = make_usersig(SIM_TENCENT_ADMIN, now=tencent.clock.time(), key="another-key")
    _failed(tencent.call(LIST, {}, usersig=usersig), 70003)


@pytest.mark.parametrize(
    "usersig", ["garbage", "eJyrVspMSS1SsjI0MjPRUUpJzcxXsjI0MjYEACtdBIk_", "*-_"]
)
def test_garbage_usersig_is_70003(tencent: Tencent, usersig: str) -> None:
    _failed(tencent.call(LIST, {}, usersig=usersig), 70003)


def test_expired_usersig_is_70001(tencent: Tencent) -> None:
    usersig = make_usersig(SIM_TENCENT_ADMIN, now=tencent.clock.time(), expire=60)
    assert tencent.call(LIST, {}, usersig=usersig)["ErrorCode"] == 0
    tencent.clock.advance(60)
    assert tencent.call(LIST, {}, usersig=usersig)["ErrorCode"] == 0  # valid until time + expire
    tencent.clock.advance(1)
    _failed(tencent.call(LIST, {}, usersig=usersig), 70001)


def test_usersig_for_another_sdkappid_is_70009(tencent: Tencent) -> None:
    usersig = make_usersig(SIM_TENCENT_ADMIN, now=tencent.clock.time(), sdkappid=1400000000)
    _failed(tencent.call(LIST, {}, usersig=usersig), 70009)


def test_usersig_for_another_identifier_is_70013(tencent: Tencent) -> None:
    usersig = make_usersig("someone_else", now=tencent.clock.time())
    _failed(tencent.call(LIST, {}, usersig=usersig), 70013)


def test_non_admin_identifier_is_60010(tencent: Tencent) -> None:
    _failed(tencent.call(LIST, {}, identifier="user45"), 60010)
    _failed(tencent.call("get_session_state", {"SessionId": "x"}, identifier="user45"), 60010)


def test_non_admin_send_msg_is_90009(tencent: Tencent) -> None:
    body = {"SessionId": "fd8a2e30-54de-4e40-bcaf-02718409c5cf", "MsgRandom": 1, "MsgBody": []}
    _failed(tencent.call("send_msg", body, identifier="user45"), 90009)


@pytest.mark.parametrize("sdkappid", ["1400000000", "", "abc"])
def test_unknown_sdkappid_is_60006(tencent: Tencent, sdkappid: str) -> None:
    _failed(tencent.call(LIST, {}, sdkappid=sdkappid), 60006)


@pytest.mark.parametrize("random", ["", "-1", "4294967296", "12ab"])
def test_random_must_be_a_32_bit_unsigned_integer(tencent: Tencent, random: str) -> None:
    _failed(tencent.call(LIST, {}, random=random), 60002)


def test_random_at_the_bounds_is_accepted(tencent: Tencent) -> None:
    assert tencent.call(LIST, {}, random="0")["ErrorCode"] == 0
    assert tencent.call(LIST, {}, random="4294967295")["ErrorCode"] == 0


def test_contenttype_must_be_json(tencent: Tencent) -> None:
    _failed(tencent.call(LIST, {}, contenttype="xml"), 60002)


def test_only_post_is_served_but_still_http_200(tencent: Tencent) -> None:
    _failed(tencent.call(LIST, {}, method="GET"), 60002)


def test_unknown_command_is_60002_http_200(sim: Simulator, tencent: Tencent) -> None:
    _failed(tencent.call("delete_everything", {}), 60002)
    assert sim.calls("delete_everything")[0].accepted is False


@pytest.mark.parametrize("content", [b"", b"{oops", b"[]", b"null"])
def test_body_must_be_a_json_object(tencent: Tencent, content: bytes) -> None:
    _failed(tencent.call(LIST, content=content), 60003)


def test_usersig_decoding_reads_the_vendor_fields() -> None:
    usersig = make_usersig("administrator", now=1_700_000_000, expire=86400)
    decoded = decode_usersig(usersig)
    assert (decoded.identifier, decoded.sdkappid, decoded.time, decoded.expire) == (
        "administrator",
        SIM_TENCENT_SDKAPPID,
        1_700_000_000,
        86400,
    )


def test_usersig_with_userbuf_is_verified() -> None:
    api = TLSSigAPIv2.TLSSigAPIv2(SIM_TENCENT_SDKAPPID, SIM_TENCENT_SECRET_KEY)
    usersig = api.gen_sig_with_userbuf(SIM_TENCENT_ADMIN, 600, b"abc")
    decoded = verify_usersig(
        usersig,
        sdkappid=SIM_TENCENT_SDKAPPID,
        secret_key=SIM_TENCENT_SECRET_KEY,
        identifier=SIM_TENCENT_ADMIN,
        now=time.time(),
    )
    assert decoded.userbuf == "YWJj"
    with pytest.raises(SignatureRefused) as refused:
        verify_usersig(
            usersig,
            sdkappid=SIM_TENCENT_SDKAPPID,
            secret_key="wrong",
            identifier=SIM_TENCENT_ADMIN,
            now=time.time(),
        )
    assert refused.value.code == 70003
