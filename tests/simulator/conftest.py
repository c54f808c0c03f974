"""Fixtures for the simulator's tests: a simulator on a fake clock, and small vendor clients.

The signing helpers here are written from the vendor documents independently of
`bot.simulator.signatures`, so the tests check the simulator against the documents rather
than against itself. Time moves with `clock.advance()`; nothing sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.clock import FakeClock
from bot.simulator import (
    SIM_SEVENMOOR_ACCOUNT_ID,
    SIM_SEVENMOOR_API_SECRET,
    SIM_TENCENT_ADMIN,
    SIM_TENCENT_SDKAPPID,
    SIM_TENCENT_SECRET_KEY,
    Simulator,
)

START = 1_700_000_000.0  # 2023-11-15 06:13:20 in Beijing
BEIJING = ZoneInfo("Asia/Shanghai")
# Built once: httpx builds a TLS context per client otherwise (~40 ms), even for http://.
TLS_CONTEXT = ssl.create_default_context()


def moor_timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, BEIJING).strftime("%Y%m%d%H%M%S")


def moor_sig(account: str, secret: str, timestamp: str) -> str:
    return hashlib.md5(f"{account}{secret}{timestamp}".encode()).hexdigest().upper()


def moor_authorization(account: str, timestamp: str) -> str:
    return base64.b64encode(f"{account}:{timestamp}".encode()).decode()


def make_usersig(
    identifier: str,
    *,
    now: float,
    expire: int = 86400,
    sdkappid: int = SIM_TENCENT_SDKAPPID,
    key: str = SIM_TENCENT_SECRET_KEY,
) -> str:
    """TLSSigAPIv2 as NOTES.md section B describes it, with an explicit `now`."""
    issued = int(now)
    content = (
        f"TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\n"
        f"TLS.time:{issued}\nTLS.expire:{expire}\n"
    )
    digest = hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()
    document = {
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": issued,
        "TLS.sig": base64.b64encode(digest).decode(),
    }
    return encode_usersig_document(document)


def encode_usersig_document(document: dict[str, Any]) -> str:
    packed = base64.b64encode(zlib.compress(json.dumps(document).encode())).decode()
    return packed.replace("+", "*").replace("/", "-").replace("=", "_")


def decode_usersig_document(usersig: str) -> dict[str, Any]:
    packed = usersig.replace("*", "+").replace("-", "/").replace("_", "=")
    document: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(packed)))
    return document


class SevenMoor:
    """Signs and posts to the simulator's 7moor paths; every part can be spoiled on purpose."""

    def __init__(self, http: httpx.Client, clock: FakeClock) -> None:
        self.http = http
        self.clock = clock

    def post(
        self,
        endpoint: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        timestamp: str | None = None,
        secret: str = SIM_SEVENMOOR_API_SECRET,
        account: str = SIM_SEVENMOOR_ACCOUNT_ID,
        path_account: str | None = None,
        sig: str | None = None,
        authorization: str | None = None,
        omit_sig: bool = False,
        omit_authorization: bool = False,
        method: str = "POST",
        timeout: float | None = None,
    ) -> httpx.Response:
        stamp = timestamp or moor_timestamp(self.clock.time())
        params = {} if omit_sig else {"sig": sig or moor_sig(account, secret, stamp)}
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if not omit_authorization:
            headers["Authorization"] = authorization or moor_authorization(account, stamp)
        if content is None:
            content = json.dumps({} if body is None else body, ensure_ascii=False).encode()
        path = f"/v20210827/webChat/{endpoint}/{path_account or account}"
        return self.http.request(
            method,
            path,
            params=params,
            headers=headers,
            content=content,
            timeout=timeout if timeout is not None else self.http.timeout,
        )

    def ok(self, endpoint: str, body: Any = None) -> dict[str, Any]:
        """Post and return the JSON of an HTTP 200 answer."""
        response = self.post(endpoint, body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


class Tencent:
    """Posts to the simulator's Desk commands with a valid admin UserSig unless told not to."""

    def __init__(self, http: httpx.Client, clock: FakeClock) -> None:
        self.http = http
        self.clock = clock

    def post(
        self,
        command: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        usersig: str | None = None,
        identifier: str = SIM_TENCENT_ADMIN,
        sdkappid: str = str(SIM_TENCENT_SDKAPPID),
        random: str = "99999999",
        contenttype: str = "json",
        method: str = "POST",
    ) -> httpx.Response:
        params = {
            "sdkappid": sdkappid,
            "identifier": identifier,
            "usersig": usersig or make_usersig(identifier, now=self.clock.time()),
            "random": random,
            "contenttype": contenttype,
        }
        if content is None:
            content = json.dumps({} if body is None else body, ensure_ascii=False).encode()
        path = f"/v4/desk_http_svc/{command}"
        return self.http.request(
            method,
            path,
            params=params,
            content=content,
            headers={"Content-Type": "application/json"},
        )

    def call(self, command: str, body: Any = None, **options: Any) -> dict[str, Any]:
        """Post and return the JSON answer, which is always HTTP 200 for Tencent."""
        response = self.post(command, body, **options)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=START)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    simulator = Simulator(clock=clock)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def http(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, timeout=5.0, verify=TLS_CONTEXT) as client:
        yield client


@pytest.fixture
def moor(http: httpx.Client, clock: FakeClock) -> SevenMoor:
    return SevenMoor(http, clock)


@pytest.fixture
def tencent(http: httpx.Client, clock: FakeClock) -> Tencent:
    return Tencent(http, clock)
