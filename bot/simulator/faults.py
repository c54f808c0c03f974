"""Fault switches: make the simulated vendors slow, down, rude or strict on demand.

Switches live in scopes: one global scope and one per endpoint name ("queueQueue",
"send_msg", ...). What a request sees is the defaults, overlaid by the global scope, overlaid
by its endpoint's scope. A scope may be limited to a number of requests (`times`), after
which it clears itself: "the next call answers 503, the retry succeeds".

    sim.faults.latency = 0.2                                  # global, until changed
    sim.faults.set(endpoint="queueQueue", outage="503", times=1)
    sim.faults.set(http_5xx=None)                             # None: back to the default
    sim.faults.clear()                                        # every scope

The same as JSON (`POST /_simulator/faults`, merged; `GET` shows the current state):

    {"latency": 0.2, "endpoints": {"queueQueue": {"outage": "503", "times": 1}}}

Thread-safe: tests change switches while server threads read them.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, overload

T = TypeVar("T")

Outage = Literal["reset", "503"]
OUTAGES: tuple[str, ...] = ("reset", "503")
DEFAULT_TENCENT_LIMIT_PER_SECOND = 200


@dataclass(frozen=True, slots=True)
class FaultSwitches:
    """The switches one request is answered with.

    latency: real seconds the server waits before handling (server side, not the clock).
    outage: "reset" drops the connection without an answer; "503" answers HTTP 503 (HTML).
    http_5xx: answer this HTTP status (500-599) with a gateway's HTML page.
    garbage: answer HTTP 200 with a body that is not JSON.
    over_limit: refuse as over the rate limit, whatever the window says.
    internal_error: the vendor's own "server error" answer (7moor code 500, Tencent 141002).
    sevenmoor_error_http_status: 7moor error answers carry the matching HTTP status
        (400, 403, 500) instead of HTTP 200 with the code in the body.
    sevenmoor_over_limit_http_200: 7moor over-limit answers are HTTP 200 with body code 429
        instead of HTTP 429.
    tencent_limit_per_second: Tencent IM Desk calls allowed per command per second.
    """

    latency: float = 0.0
    outage: Outage | None = None
    http_5xx: int | None = None
    garbage: bool = False
    over_limit: bool = False
    internal_error: bool = False
    sevenmoor_error_http_status: bool = False
    sevenmoor_over_limit_http_200: bool = False
    tencent_limit_per_second: int = DEFAULT_TENCENT_LIMIT_PER_SECOND


DEFAULT_SWITCHES = FaultSwitches()
SWITCH_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(FaultSwitches))


class FaultError(ValueError):
    """A switch name or value the simulator does not understand."""


def validate_switch(name: str, value: Any) -> Any:
    """The value to store for `name`, or `FaultError`; None means "back to the default"."""
    if name not in SWITCH_NAMES:
        raise FaultError(f"unknown fault switch {name!r}; known: {', '.join(SWITCH_NAMES)}")
    if value is None:
        return None
    if name == "latency":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise FaultError("latency must be a number of seconds, 0 or more")
        return float(value)
    if name == "outage":
        if value not in OUTAGES:
            raise FaultError('outage must be "reset" or "503"')
        return value
    if name == "http_5xx":
        if isinstance(value, bool) or not isinstance(value, int) or not 500 <= value <= 599:
            raise FaultError("http_5xx must be an HTTP status from 500 to 599")
        return value
    if name == "tencent_limit_per_second":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise FaultError("tencent_limit_per_second must be a whole number, 1 or more")
        return value
    if not isinstance(value, bool):
        raise FaultError(f"{name} must be true or false")
    return value


def validate_times(times: Any) -> None:
    """`times` is None (no limit change) or a whole number of requests, 1 or more."""
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultError("times must be a whole number, 1 or more")


@dataclass(slots=True)
class _Scope:
    overrides: dict[str, Any]
    remaining: int | None = None


class _GlobalSwitch(Generic[T]):
    """`faults.latency` reads and `faults.latency = 0.2` sets the global scope's switch."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, faults: None, owner: type) -> _GlobalSwitch[T]: ...

    @overload
    def __get__(self, faults: Faults, owner: type) -> T: ...

    def __get__(self, faults: Faults | None, owner: type) -> T | _GlobalSwitch[T]:
        if faults is None:
            return self
        value: T = getattr(faults.effective(None), self._name)
        return value

    def __set__(self, faults: Faults, value: T | None) -> None:
        faults.set(**{self._name: value})


class Faults:
    """Every fault scope, changed by tests or by `POST /_simulator/faults`."""

    latency = _GlobalSwitch[float]()
    outage = _GlobalSwitch[Outage | None]()
    http_5xx = _GlobalSwitch[int | None]()
    garbage = _GlobalSwitch[bool]()
    over_limit = _GlobalSwitch[bool]()
    internal_error = _GlobalSwitch[bool]()
    sevenmoor_error_http_status = _GlobalSwitch[bool]()
    sevenmoor_over_limit_http_200 = _GlobalSwitch[bool]()
    tencent_limit_per_second = _GlobalSwitch[int]()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: dict[str | None, _Scope] = {}

    def set(
        self, endpoint: str | None = None, *, times: int | None = None, **switches: Any
    ) -> None:
        """Merge `switches` into a scope (global when `endpoint` is None).

        `times` limits the scope to that many more requests; None leaves the scope's limit as
        it is. A switch set to None goes back to its default.
        """
        cleaned = {name: validate_switch(name, value) for name, value in switches.items()}
        validate_times(times)
        with self._lock:
            scope = self._scopes.setdefault(endpoint, _Scope(overrides={}))
            for name, value in cleaned.items():
                if value is None:
                    scope.overrides.pop(name, None)
                else:
                    scope.overrides[name] = value
            if times is not None:
                scope.remaining = times
            if not scope.overrides:
                del self._scopes[endpoint]

    def clear(self, endpoint: str | None = None) -> None:
        """Clear one endpoint's scope, or with no argument every scope (global included)."""
        with self._lock:
            if endpoint is None:
                self._scopes.clear()
            else:
                self._scopes.pop(endpoint, None)

    def effective(self, endpoint: str | None) -> FaultSwitches:
        """The switches a request to `endpoint` would see, without using up any `times`."""
        with self._lock:
            return self._merged(endpoint)

    def take(self, endpoint: str) -> FaultSwitches:
        """The switches for one request to `endpoint`; counts it against limited scopes."""
        with self._lock:
            switches = self._merged(endpoint)
            for key in (None, endpoint):
                scope = self._scopes.get(key)
                if scope is not None and scope.remaining is not None:
                    scope.remaining -= 1
                    if scope.remaining <= 0:
                        del self._scopes[key]
            return switches

    def apply_json(self, payload: Mapping[str, Any]) -> None:
        """Merge the JSON form (see the module docstring); `"clear": true` clears first.

        Validated as a whole before anything changes, so a bad request changes nothing.
        """
        if not isinstance(payload, Mapping):
            raise FaultError("expected a JSON object")
        endpoints = payload.get("endpoints", {})
        if not isinstance(endpoints, Mapping) or not all(
            isinstance(scope, Mapping) for scope in endpoints.values()
        ):
            raise FaultError('"endpoints" must map endpoint names to objects of switches')
        unknown = set(payload) - {*SWITCH_NAMES, "times", "endpoints", "clear"}
        if unknown:
            raise FaultError(f"unknown fault switch {sorted(unknown)[0]!r}")
        scopes: list[tuple[str | None, Mapping[str, Any]]] = [
            (None, {k: v for k, v in payload.items() if k not in ("endpoints", "clear")})
        ]
        scopes += [(str(name), scope) for name, scope in endpoints.items()]
        for _, scope in scopes:
            for name, value in scope.items():
                if name == "times":
                    validate_times(value)
                else:
                    validate_switch(name, value)
        if payload.get("clear") is True:
            self.clear()
        for endpoint, scope in scopes:
            switches = {k: v for k, v in scope.items() if k != "times"}
            if switches or scope.get("times") is not None:
                self.set(endpoint, times=scope.get("times"), **switches)

    def to_json(self) -> dict[str, Any]:
        """The current scopes in the JSON form `apply_json` takes."""
        with self._lock:
            result: dict[str, Any] = {}
            endpoints: dict[str, Any] = {}
            for endpoint, scope in self._scopes.items():
                entry: dict[str, Any] = dict(scope.overrides)
                if scope.remaining is not None:
                    entry["times"] = scope.remaining
                if endpoint is None:
                    result.update(entry)
                else:
                    endpoints[endpoint] = entry
            result["endpoints"] = endpoints
            return result

    def _merged(self, endpoint: str | None) -> FaultSwitches:
        overrides: dict[str, Any] = {}
        for key in (None, endpoint) if endpoint is not None else (None,):
            scope = self._scopes.get(key)
            if scope is not None:
                overrides.update(scope.overrides)
        return dataclasses.replace(DEFAULT_SWITCHES, **overrides) if overrides else DEFAULT_SWITCHES
