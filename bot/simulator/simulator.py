"""`Simulator`: both vendors on one loopback port, with faults, a call log and a reset.

A request goes: control surface (`/_simulator/...`), or a vendor path → fault switches
(latency, outage, 5xx, garbage) → the vendor's own handling → the call log. Anything else
is a 404. The simulator's clock drives signatures, rate windows, timestamps and de-duplication;
only injected latency is real time, because it is the server being slow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Any, Protocol

from bot.clock import SYSTEM_CLOCK, Clock
from bot.simulator.control import ControlSurface
from bot.simulator.credentials import (
    SIM_SEVENMOOR_ACCOUNT_ID,
    SIM_SEVENMOOR_API_SECRET,
    SIM_TENCENT_ADMIN,
    SIM_TENCENT_SDKAPPID,
    SIM_TENCENT_SECRET_KEY,
)
from bot.simulator.faults import Faults, FaultSwitches
from bot.simulator.limits import SlidingWindowLimiter
from bot.simulator.recorder import Call, Recorder
from bot.simulator.seed import build_world
from bot.simulator.server import SimulatorServer
from bot.simulator.sevenmoor import SevenMoorApi
from bot.simulator.tencent import TencentDeskApi
from bot.simulator.wire import Answer, Outcome, Request, html_answer, json_answer
from bot.simulator.world import SentMessage, World

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
GARBAGE_BODY = b"<html><body><h1>Welcome to nginx!</h1></body></html>"


class VendorApi(Protocol):
    """What a simulated vendor offers the dispatcher."""

    vendor: str

    def route(self, path: str) -> str | None: ...

    def handle(
        self, request: Request, endpoint: str, switches: FaultSwitches, now: float
    ) -> Outcome: ...


class Simulator:
    """A faithful local stand-in for 7moor's skill-group API and Tencent IM Desk."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.faults = Faults()
        self.state: World = build_world(clock)
        self._limiter = SlidingWindowLimiter()
        self._recorder = Recorder()
        self._vendors: tuple[VendorApi, ...] = (
            SevenMoorApi(
                self.state,
                self._limiter,
                account_id=SIM_SEVENMOOR_ACCOUNT_ID,
                api_secret=SIM_SEVENMOOR_API_SECRET,
            ),
            TencentDeskApi(
                self.state,
                self._limiter,
                sdkappid=SIM_TENCENT_SDKAPPID,
                secret_key=SIM_TENCENT_SECRET_KEY,
                admin=SIM_TENCENT_ADMIN,
            ),
        )
        self._control = ControlSurface(self.faults, stats=self.stats, reset=self.reset)
        self._server: SimulatorServer | None = None

    # Serving -----------------------------------------------------------------------------

    def start(self, host: str = DEFAULT_HOST, port: int = 0) -> str:
        """Serve in a background thread; returns the base URL. Port 0 picks a free port."""
        if self._server is not None:
            raise RuntimeError(f"the simulator is already serving at {self.url}")
        self._server = SimulatorServer(self.answer, host, port)
        self._server.start_background()
        return self._server.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not serving; call start() first")
        return self._server.url

    def stop(self) -> None:
        """Stop serving and close open connections; a no-op when not serving."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def serve_forever(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        on_ready: Callable[[str], None] | None = None,
    ) -> None:
        """Serve until Ctrl-C (or `stop()` from another thread); `on_ready` gets the URL."""
        if self._server is not None:
            raise RuntimeError(f"the simulator is already serving at {self.url}")
        server = self._server = SimulatorServer(self.answer, host, port)
        if on_ready is not None:
            on_ready(server.url)
        try:
            server.serve_forever()
        finally:
            self._server = None

    def __enter__(self) -> Simulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Inspection --------------------------------------------------------------------------

    def calls(self, endpoint: str | None = None) -> list[Call]:
        """Recorded vendor requests, oldest first; all endpoints when `endpoint` is None."""
        return self._recorder.calls(endpoint)

    def peak_per_minute(self, endpoint: str) -> int:
        """Most calls the rate limiter accepted for `endpoint` in any sliding 60 s."""
        return self._recorder.peak(endpoint, "peak_per_minute")

    def peak_per_second(self, endpoint: str) -> int:
        """Most calls accepted for `endpoint` in any sliding second (Tencent's unit)."""
        return self._recorder.peak(endpoint, "peak_per_second")

    def over_limit_answers(self, endpoint: str | None = None) -> int:
        """How many requests were refused as over the rate limit (forced ones included)."""
        return self._recorder.over_limit_answers(endpoint)

    def sent_messages(self) -> list[SentMessage]:
        """Messages send_msg delivered, oldest first; acknowledged repeats are not here."""
        with self.state.lock:
            return list(self.state.delivered)

    def stats(self) -> dict[str, Any]:
        """The JSON of `GET /_simulator/stats`."""
        return {**self._recorder.stats(), "sent_messages": len(self.sent_messages())}

    def reset(self) -> None:
        """Back to the seed world; calls, statistics, rate windows and faults cleared."""
        self.state.replace_with(build_world(self.clock))
        self._limiter.clear()
        self._recorder.clear()
        self.faults.clear()

    # Answering ---------------------------------------------------------------------------

    def answer(self, request: Request) -> Answer:
        """Answer one request as the server would; usable without a socket."""
        if self._control.owns(request.path):
            return self._control.handle(request)
        for api in self._vendors:
            endpoint = api.route(request.path)
            if endpoint is not None:
                return self._answer_vendor(api, endpoint, request)
        return json_answer({"code": 404, "success": False, "message": "not found"}, 404)

    def _answer_vendor(self, api: VendorApi, endpoint: str, request: Request) -> Answer:
        switches = self.faults.take(endpoint)
        if switches.latency > 0:
            time.sleep(switches.latency)
        now = self.clock.time()
        try:
            outcome = _disturbance(switches) or api.handle(request, endpoint, switches, now)
        except Exception:
            logger.exception("simulator: %s %s failed", api.vendor, endpoint)
            outcome = Outcome(html_answer(500, "500 Internal Server Error"))
        answer = outcome.answer
        self._recorder.record(
            Call(
                vendor=api.vendor,
                endpoint=endpoint,
                time=now,
                status=0 if answer.drop_connection else answer.status,
                code=outcome.code,
                accepted=outcome.accepted,
                over_limit=outcome.over_limit,
                body=request.json_or_none(),
                query=dict(request.query),
            )
        )
        return answer


def _disturbance(switches: FaultSwitches) -> Outcome | None:
    """The answer of an injected infrastructure fault, or None to let the vendor answer."""
    if switches.outage == "reset":
        return Outcome(Answer(status=0, drop_connection=True))
    if switches.outage == "503":
        return Outcome(html_answer(503, "503 Service Temporarily Unavailable"))
    if switches.http_5xx is not None:
        return Outcome(html_answer(switches.http_5xx, _status_line(switches.http_5xx)))
    if switches.garbage:
        return Outcome(Answer(status=200, body=GARBAGE_BODY, content_type="text/html"))
    return None


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Server Error"
