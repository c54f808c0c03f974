"""`AckOnce`: one ack per command, with the answer when it is quick, else a placeholder."""

from __future__ import annotations

import threading
from typing import Any

from handlers.commands.desk import AckOnce
from handlers.render import Reply, section


class RecordedAck:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.called = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))
        self.called.set()


ANSWER = Reply(text="4 of 4 claiming", blocks=[section("*4 of 4* claiming")])


def test_a_quick_answer_is_the_ack() -> None:
    ack = RecordedAck()
    once = AckOnce(ack, "looking…", within=60)

    assert once.answer(ANSWER) is True
    assert ack.calls == [((), ANSWER.payload())]


def test_when_time_is_up_the_placeholder_goes_and_the_answer_must_be_posted() -> None:
    ack = RecordedAck()
    once = AckOnce(ack, "looking…", within=0.01)
    assert ack.called.wait(5)

    assert once.answer(ANSWER) is False
    assert ack.calls == [(("looking…",), {})]  # acked exactly once


def test_a_modal_opened_in_time_gets_an_empty_ack() -> None:
    ack = RecordedAck()
    once = AckOnce(ack, "", within=60)

    assert once.answer(None) is True
    assert ack.calls == [((), {})]


def test_nothing_to_post_after_an_empty_placeholder() -> None:
    ack = RecordedAck()
    once = AckOnce(ack, "", within=0)

    assert once.answer(None) is True  # nothing left to deliver
    assert ack.calls == [((), {})]
