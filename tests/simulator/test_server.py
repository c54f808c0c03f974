"""Serving: background and blocking modes, keep-alive, a hundred concurrent clients, quiet."""

from __future__ import annotations

import _thread
import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from bot.clock import FakeClock
from bot.simulator import Simulator
from tests.simulator.conftest import TLS_CONTEXT, SevenMoor, Tencent


def test_start_returns_a_loopback_url_and_stop_closes_it(clock: FakeClock) -> None:
    sim = Simulator(clock=clock)
    url = sim.start()
    assert url.startswith("http://127.0.0.1:")
    assert sim.url == url
    with httpx.Client(base_url=url, verify=TLS_CONTEXT) as client:
        assert client.get("/_simulator/stats").status_code == 200
        sim.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/_simulator/stats")  # pooled keep-alive connection closed too
    sim.stop()  # a second stop is harmless
    with pytest.raises(RuntimeError):
        _ = sim.url


def test_context_manager_starts_on_a_free_port(clock: FakeClock) -> None:
    with Simulator(clock=clock) as first, Simulator(clock=clock) as second:
        assert first.url != second.url
        with pytest.raises(RuntimeError):
            first.start()
    with pytest.raises(RuntimeError):
        _ = first.url


def test_connections_are_kept_alive(sim: Simulator) -> None:
    address = urlsplit(sim.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=5)
    try:
        connection.request("GET", "/_simulator/stats")
        first = connection.getresponse()
        first.read()
        socket_used = connection.sock
        assert first.will_close is False
        connection.request("GET", "/_simulator/faults")
        second = connection.getresponse()
        second.read()
        assert second.status == 200
        assert connection.sock is socket_used
    finally:
        connection.close()


def test_a_hundred_concurrent_clients(sim: Simulator, clock: FakeClock) -> None:
    start = threading.Barrier(100)

    def one_client(_: int) -> int:
        with httpx.Client(base_url=sim.url, timeout=10, verify=TLS_CONTEXT) as client:
            start.wait()
            response = SevenMoor(client, clock).post(
                "queueQueueAgentClaimStatus", {"exten": "10019345"}
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one_client, range(100)))
    assert statuses == [200] * 100
    assert sim.peak_per_minute("queueQueueAgentClaimStatus") == 100


def test_concurrent_sends_with_one_msg_random_deliver_once(
    sim: Simulator, clock: FakeClock
) -> None:
    body = {
        "SessionId": "fd8a2e30-54de-4e40-bcaf-02718409c5cf",
        "MsgRandom": 424242,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "once"}}],
    }

    def one_send(_: int) -> int:
        with httpx.Client(base_url=sim.url, timeout=10, verify=TLS_CONTEXT) as client:
            code: int = Tencent(client, clock).call("send_msg", body)["ErrorCode"]
            return code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one_send, range(20))) == [0] * 20
    assert len(sim.sent_messages()) == 1


def test_serve_forever_blocks_until_stopped(clock: FakeClock) -> None:
    sim = Simulator(clock=clock)
    ready = threading.Event()
    urls: list[str] = []

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    server = threading.Thread(
        target=sim.serve_forever, args=("127.0.0.1", 0), kwargs={"on_ready": on_ready}
    )
    server.start()
    assert ready.wait(5)
    with httpx.Client(base_url=urls[0], verify=TLS_CONTEXT) as client:
        assert client.get("/_simulator/stats").status_code == 200
    sim.stop()
    server.join(5)
    assert not server.is_alive()


def test_ctrl_c_stops_serve_forever_cleanly(clock: FakeClock) -> None:
    sim = Simulator(clock=clock)
    answered: list[int] = []

    def drive(url: str) -> None:
        try:
            with httpx.Client(base_url=url, verify=TLS_CONTEXT) as client:
                answered.append(client.get("/_simulator/stats").status_code)
        finally:
            _thread.interrupt_main()  # what Ctrl-C does

    sim.serve_forever(
        "127.0.0.1", 0, on_ready=lambda url: threading.Thread(target=drive, args=(url,)).start()
    )
    assert answered == [200]
    url = sim.start()  # the port was released and the simulator can serve again
    sim.stop()
    assert url


def test_serving_writes_nothing_to_stderr(
    sim: Simulator, moor: SevenMoor, capfd: pytest.CaptureFixture[str]
) -> None:
    moor.post("queueQueue", {})
    moor.post("queueQueue", {}, secret="wrong")
    moor.post("queueQueue", {}, method="PUT")
    sim.faults.outage = "reset"
    with pytest.raises(httpx.TransportError):
        moor.post("queueQueue", {})
    sim.faults.clear()
    moor.http.request("BREW", "/_simulator/stats")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
