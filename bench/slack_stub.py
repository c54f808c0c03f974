"""Slack's side for the benchmarks: the tests' fake Web API, in a process of its own.

`deskbot run --http` posts its answers to the response_url of each command and calls the Web
API (auth.test at start, chat.postMessage for audits). Both land in
`tests.slack_fakes.FakeSlackWebApi`, run here in a child process so that serving them does
not take the load generator's CPU (and skew its clock) in the parent.

    with slack_stub() as slack:
        slack.url                      # SLACK_API_URL
        slack.response_url("s001-00")  # a response_url recorded under that name
        report = slack.report()        # every post so far: name, status, text, arrival time
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import quote

from tests.slack_fakes import BOT_TOKEN, FakeSlackWebApi, ResponseUrlPost

REPLY_SECONDS = 60.0
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class Post:
    """One POST to a response_url, as the supervisor would read it."""

    name: str
    status: int
    text: str  # the message's text and every text in its blocks, one per line
    arrived: float  # wall-clock seconds

    @property
    def delivered(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class SlackReport:
    posts: list[Post]
    web_api_calls: dict[str, int]  # method → calls


def texts(value: Any) -> Iterator[str]:
    """Every `text` string in a Slack message, depth first (blocks, elements, fields)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


class _TimedFake(FakeSlackWebApi):
    """The fake records what arrived at a response_url; this also notes when."""

    def __init__(self) -> None:
        super().__init__(bot_token=BOT_TOKEN)
        self.arrivals: dict[str, list[float]] = defaultdict(list)

    def _record_response_post(self, post: ResponseUrlPost) -> None:
        self.arrivals[post.name].append(time.time())
        super()._record_response_post(post)

    def report(self) -> SlackReport:
        posts = [
            Post(post.name, post.status, "\n".join(texts(post.body)), arrived)
            for name, arrivals in list(self.arrivals.items())
            for post, arrived in zip(self.response_posts(name), arrivals, strict=False)
        ]
        calls = Counter(request.method for request in self.requests())
        return SlackReport(posts, dict(calls))


def _serve(connection: Connection) -> None:
    """The child: serve until told to stop, answering report requests."""
    with _TimedFake() as fake:
        connection.send((fake.url, fake.response_url("")))
        while (command := connection.recv()) != "stop":
            if command == "report":
                connection.send(fake.report())


class SlackStub:
    """The parent's handle on the child: its URLs and its report."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.url, self._response_urls = self._receive("start")  # SLACK_API_URL

    def response_url(self, name: str) -> str:
        """A response_url whose posts are reported under `name`."""
        return self._response_urls + quote(name, safe="")

    def report(self) -> SlackReport:
        self._connection.send("report")
        report: SlackReport = self._receive("report")
        return report

    def _receive(self, what: str) -> Any:
        if not self._connection.poll(REPLY_SECONDS):
            raise RuntimeError(f"the fake Slack did not {what} within {REPLY_SECONDS:.0f} s")
        try:
            return self._connection.recv()
        except EOFError:
            raise RuntimeError(f"the fake Slack exited instead of answering {what!r}") from None


@contextlib.contextmanager
def slack_stub() -> Iterator[SlackStub]:
    """Run the fake Slack in a child process for the duration of the block."""
    context = multiprocessing.get_context("spawn")
    connection, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), name="slack-stub", daemon=True)
    process.start()
    try:
        yield SlackStub(connection)
    finally:
        if process.is_alive():
            with contextlib.suppress(OSError):
                connection.send("stop")
            process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
