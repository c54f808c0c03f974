"""Requests and answers as the simulator's handlers see them, free of any HTTP server.

Handlers take a `Request` and return an `Outcome`: the `Answer` to send plus what the
recorder needs to know about it (outcome code, whether the rate window counted it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
HTML_CONTENT_TYPE = "text/html;charset=UTF-8"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request. `headers` keys are lower-case; `query` keeps each key's first value."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON; ValueError when it is empty or not JSON."""
        return json.loads(self.body.decode("utf-8"))

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back. `drop_connection` closes the socket without sending anything."""

    status: int
    body: bytes = b""
    content_type: str = JSON_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    drop_connection: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """An answer and how it counts: see `bot.simulator.recorder.Call` for the fields."""

    answer: Answer
    code: int | None = None
    accepted: bool = False
    over_limit: bool = False


def json_answer(payload: Any, status: int = 200) -> Answer:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Answer(status=status, body=body)


def html_answer(status: int, title: str) -> Answer:
    """A plain HTML page, as a gateway or load balancer in front of a vendor would send."""
    page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>"
    return Answer(status=status, body=page.encode(), content_type=HTML_CONTENT_TYPE)
