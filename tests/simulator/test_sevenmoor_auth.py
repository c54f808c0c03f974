"""7moor authentication: the document's test vectors, and every way a request is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.simulator import SIM_SEVENMOOR_ACCOUNT_ID, SIM_SEVENMOOR_API_SECRET, Simulator
from bot.simulator.beijing import parse_sig_timestamp
from bot.simulator.signatures import (
    SignatureRefused,
    sevenmoor_authorization,
    sevenmoor_sig,
    verify_sevenmoor,
)
from tests.simulator.conftest import SevenMoor, moor_authorization, moor_sig, moor_timestamp

VECTORS = [
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
]


@pytest.mark.parametrize(("secret", "timestamp", "sig", "authorization"), VECTORS)
def test_vendor_vectors_pass_the_verifier(
    secret: str, timestamp: str, sig: str, authorization: str
) -> None:
    signed_at = parse_sig_timestamp(timestamp)
    assert signed_at is not None
    assert sevenmoor_sig("N00000000556", secret, timestamp) == sig
    assert sevenmoor_authorization("N00000000556", timestamp) == authorization
    assert moor_sig("N00000000556", secret, timestamp) == sig  # the tests' own helper agrees
    verify_sevenmoor(
        account_id="N00000000556",
        api_secret=secret,
        sig=sig,
        authorization=authorization,
        now=signed_at + 60,
    )


@pytest.mark.parametrize(("secret", "timestamp", "sig", "authorization"), VECTORS)
def test_vendor_vectors_refused_with_another_secret_or_late(
    secret: str, timestamp: str, sig: str, authorization: str
) -> None:
    signed_at = parse_sig_timestamp(timestamp)
    assert signed_at is not None
    with pytest.raises(SignatureRefused, match="sig does not match"):
        verify_sevenmoor(
            account_id="N00000000556",
            api_secret=secret + "x",
            sig=sig,
            authorization=authorization,
            now=signed_at,
        )
    with pytest.raises(SignatureRefused, match="5 minutes") as refused:
        verify_sevenmoor(
            account_id="N00000000556",
            api_secret=secret,
            sig=sig,
            authorization=authorization,
            now=signed_at + 301,
        )
    assert refused.value.code == 403


def test_timestamp_is_beijing_time() -> None:
    # 2016-10-13 11:36:12 in Beijing is 03:36:12 UTC.
    assert parse_sig_timestamp("20161013113612") == 1476329772.0
    assert parse_sig_timestamp("2016101311361") is None
    assert parse_sig_timestamp("20161313113612") is None


def test_fresh_signature_is_accepted(moor: SevenMoor) -> None:
    response = moor.post("queueQueue", {})
    assert response.status_code == 200
    assert response.json()["success"] is True


def _refused(response_json: dict[str, object]) -> None:
    assert response_json["code"] == 403
    assert response_json["success"] is False
    assert isinstance(response_json["message"], str)


def test_wrong_secret_is_refused_with_body_code_403(moor: SevenMoor) -> None:
    response = moor.post("queueQueue", {}, secret="not-the-secret")
    assert response.status_code == 200
    _refused(response.json())


def test_lower_case_sig_is_refused(moor: SevenMoor) -> None:
    stamp = moor_timestamp(moor.clock.time())
    lower = moor_sig(SIM_SEVENMOOR_ACCOUNT_ID, SIM_SEVENMOOR_API_SECRET, stamp).lower()
    _refused(moor.post("queueQueue", {}, sig=lower).json())


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp_is_refused(moor: SevenMoor, offset: int) -> None:
    stamp = moor_timestamp(moor.clock.time() + offset)
    _refused(moor.post("queueQueue", {}, timestamp=stamp).json())


@pytest.mark.parametrize("offset", [-300, 300])
def test_five_minutes_either_way_is_still_valid(moor: SevenMoor, offset: int) -> None:
    stamp = moor_timestamp(moor.clock.time() + offset)
    assert moor.post("queueQueue", {}, timestamp=stamp).json()["success"] is True


def test_a_signature_goes_stale_as_the_clock_moves(moor: SevenMoor) -> None:
    stamp = moor_timestamp(moor.clock.time())
    assert moor.post("queueQueue", {}, timestamp=stamp).json()["success"] is True
    moor.clock.advance(301)
    _refused(moor.post("queueQueue", {}, timestamp=stamp).json())


def test_utc_timestamp_is_refused(moor: SevenMoor) -> None:
    """A container on UTC would be eight hours off: the vendor refuses it."""
    stamp = datetime.fromtimestamp(moor.clock.time(), UTC).strftime("%Y%m%d%H%M%S")
    _refused(moor.post("queueQueue", {}, timestamp=stamp).json())


def test_wrong_account_in_path_is_refused(moor: SevenMoor) -> None:
    _refused(moor.post("queueQueue", {}, path_account="N00000000557").json())


def test_another_accounts_valid_signature_is_refused(moor: SevenMoor) -> None:
    _refused(moor.post("queueQueue", {}, account="N00000000557").json())


def test_missing_sig_or_authorization_is_refused(moor: SevenMoor) -> None:
    _refused(moor.post("queueQueue", {}, omit_sig=True).json())
    _refused(moor.post("queueQueue", {}, omit_authorization=True).json())


def test_authorization_with_another_timestamp_is_refused(moor: SevenMoor) -> None:
    other = moor_timestamp(moor.clock.time() - 1)
    authorization = moor_authorization(SIM_SEVENMOOR_ACCOUNT_ID, other)
    _refused(moor.post("queueQueue", {}, authorization=authorization).json())


def test_authorization_that_is_not_base64_is_refused(moor: SevenMoor) -> None:
    _refused(moor.post("queueQueue", {}, authorization="not base64!").json())


def test_error_http_status_switch_answers_http_403(sim: Simulator, moor: SevenMoor) -> None:
    sim.faults.sevenmoor_error_http_status = True
    response = moor.post("queueQueue", {}, secret="wrong")
    assert response.status_code == 403
    _refused(response.json())


def test_refused_calls_do_not_count_toward_the_rate_window(sim: Simulator, moor: SevenMoor) -> None:
    for _ in range(25):
        moor.post("queueQueue", {}, secret="wrong")
    assert sim.peak_per_minute("queueQueue") == 0
    assert moor.post("queueQueue", {}).json()["success"] is True
    calls = sim.calls("queueQueue")
    assert [c.code for c in calls].count(403) == 25
    assert not any(c.accepted for c in calls[:25])
