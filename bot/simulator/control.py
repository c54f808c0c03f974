"""The simulator's own HTTP control surface, for a simulator running in another process.

    GET  /_simulator/faults   current fault switches (JSON form of `Faults`)
    POST /_simulator/faults   merge JSON into the fault switches; answers the new state
    POST /_simulator/reset    back to the seed world; calls, statistics and faults cleared
    GET  /_simulator/stats    per endpoint: received, accepted, peaks, over-limit answers

These paths are not vendor paths and are never recorded as calls or disturbed by faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.simulator.faults import FaultError, Faults
from bot.simulator.wire import Answer, Request, json_answer

CONTROL_PREFIX = "/_simulator/"


class ControlSurface:
    def __init__(
        self,
        faults: Faults,
        *,
        stats: Callable[[], dict[str, Any]],
        reset: Callable[[], None],
    ) -> None:
        self._faults = faults
        self._stats = stats
        self._reset = reset

    @staticmethod
    def owns(path: str) -> bool:
        return path.startswith(CONTROL_PREFIX)

    def handle(self, request: Request) -> Answer:
        action = request.path.removeprefix(CONTROL_PREFIX)
        if action == "faults" and request.method == "GET":
            return json_answer(self._faults.to_json())
        if action == "faults" and request.method == "POST":
            return self._set_faults(request)
        if action == "reset" and request.method == "POST":
            self._reset()
            return json_answer({"ok": True})
        if action == "stats" and request.method == "GET":
            return json_answer(self._stats())
        if action in ("faults", "reset", "stats"):
            return json_answer({"ok": False, "error": "method not allowed"}, 405)
        return json_answer({"ok": False, "error": f"no control endpoint {request.path}"}, 404)

    def _set_faults(self, request: Request) -> Answer:
        try:
            payload = request.json() if request.body.strip() else {}
        except ValueError:
            return json_answer({"ok": False, "error": "body is not JSON"}, 400)
        try:
            self._faults.apply_json(payload)
        except FaultError as error:
            return json_answer({"ok": False, "error": str(error)}, 400)
        return json_answer(self._faults.to_json())
