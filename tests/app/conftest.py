"""Helpers for driving the real app with genuinely signed Slack requests.

`ask("who 10019346")` sends `/desk who 10019346` exactly as Slack would (form-encoded, signed),
checks the HTTP ack, waits for the answer Bolt's worker thread posts to the response_url and
returns both. Names of response_urls are unique per call, so answers never mix.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_bolt import App, BoltResponse

import handlers.commands.desk
from handlers.commands.desk import answer_in_ack
from tests.conftest import SUPERVISOR_USER_ID
from tests.slack_fakes import (
    FakeSlackWebApi,
    block_action_body,
    dispatch,
    slack_escape,
    slash_command_body,
)

_names = itertools.count(1)


def visible_text(message: dict[str, Any]) -> str:
    """Every text a person can read in a posted message (blocks, then the fallback text)."""
    pieces: list[str] = []
    for block in message.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict):
            pieces.append(text.get("text", ""))
        for element in block.get("elements", []):
            inner = element.get("text")
            pieces.append(inner.get("text", "") if isinstance(inner, dict) else str(inner or ""))
    pieces.append(message.get("text", ""))
    return "\n".join(pieces)


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


@dataclass
class Answer:
    """One `/desk` call: the HTTP ack and what the app posted to its response_url."""

    ack: BoltResponse
    replies: list[dict[str, Any]] = field(default_factory=list)
    response_url_name: str = ""

    @property
    def reply(self) -> dict[str, Any]:
        return self.replies[-1]

    @property
    def text(self) -> str:
        return visible_text(self.reply)

    @property
    def raw(self) -> str:
        """Everything posted, as JSON: what escaping and masking checks must search."""
        return json.dumps(self.replies, ensure_ascii=False)

    @property
    def in_ack(self) -> bool:
        """The answer went back with the ack itself (it was ready within deskbot's deadline)."""
        return acked_answer(self.ack) is not None

    @property
    def ack_text(self) -> str:
        return self.ack.body or ""


Ask = Callable[..., Answer]


@pytest.fixture
def ask(app: App, slack_api: FakeSlackWebApi) -> Ask:
    """`ask(text, user_id=..., escape=True)`: run `/desk text` through the real app."""

    def run(
        text: str, *, user_id: str = SUPERVISOR_USER_ID, escape: bool = True, count: int = 1
    ) -> Answer:
        name = f"desk-{next(_names)}"
        body = slash_command_body(
            slack_escape(text) if escape else text,
            user_id=user_id,
            response_url=slack_api.response_url(name),
        )
        response = dispatch(app, body)
        assert response.status == 200, response.body
        return Answer(response, answers_to(slack_api, response, name, count=count), name)

    return run


def acked_answer(response: BoltResponse) -> dict[str, Any] | None:
    """The answer Slack got in the ack itself (deskbot answers there when it is quick)."""
    return answer_in_ack(response.body or "")


def answers_to(
    slack_api: FakeSlackWebApi, response: BoltResponse, name: str, *, count: int = 1
) -> list[dict[str, Any]]:
    """A command's answers: the ack's, if it carried one, then what went to its response_url."""
    acked = acked_answer(response)
    if acked is None:
        return slack_api.wait_for_responses(name, count=count)
    later = slack_api.wait_for_responses(name, count=count - 1) if count > 1 else []
    return [acked, *later]


Click = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def click(app: App, slack_api: FakeSlackWebApi) -> Click:
    """`click(button, user_id=...)`: press a button of an ephemeral answer; returns the posts."""

    def run(button: dict[str, Any], *, user_id: str = SUPERVISOR_USER_ID) -> list[dict[str, Any]]:
        name = f"click-{next(_names)}"
        body = block_action_body(
            button["action_id"],
            button.get("value"),
            user_id=user_id,
            is_ephemeral=True,
            response_url=slack_api.response_url(name),
        )
        response = dispatch(app, body)
        assert response.status == 200, response.body
        return slack_api.wait_for_responses(name)

    return run


@pytest.fixture(autouse=True)
def ack_deadline_with_room_for_a_busy_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that expect the answer in the ack must not flake on a loaded CI machine: give
    the app most of Slack's 3 s (in production it waits 1 s before saying "looking up…")."""
    monkeypatch.setattr(handlers.commands.desk, "ANSWER_IN_ACK_SECONDS", 2.5)


@pytest.fixture
def answers_follow_the_ack(
    ack_deadline_with_room_for_a_busy_ci: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when the vendor is slow: the ack says "looking that up…" and answers follow it."""
    monkeypatch.setattr(handlers.commands.desk, "ANSWER_IN_ACK_SECONDS", 0)


@pytest.fixture(autouse=True)
def slack_accepted_every_post(slack_api: FakeSlackWebApi) -> Iterator[None]:
    """After each test: Slack refused nothing the app posted (the fake enforces Block Kit)."""
    yield
    rejected = [post for post in slack_api.response_posts() if not post.delivered]
    assert rejected == [], rejected
