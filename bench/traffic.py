"""Supervisors typing `/desk`: correctly signed slash commands POSTed as Slack would.

Two shapes of load, both asyncio in this process (the apps and Slack's side run in other
processes):

- `open_loop`: N supervisors, each sending one command every `every` seconds, staggered
  evenly, whatever the app's speed (what `/desk who` traffic looks like);
- `closed_loop`: C clients, each sending the next command as soon as the last was acked
  (saturation: the most commands an app can ack per second).

Commands go over plain keep-alive HTTP/1.1 connections (`Connection`), not a full HTTP
client: on two cores an httpx client spent a whole core at 32 concurrent requests and
became the bottleneck it was meant to measure. Each command carries its own response_url
name, so its answer can be found later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.slack_stub import SlackStub, texts
from handlers.commands.desk import answer_in_ack
from tests.slack_fakes import SIGNING_SECRET, signed_headers, slash_command_body

START_DELAY = 0.5  # seconds between building the schedule and its first command
CONNECTIONS_PER_APP = 16  # open loop: Slack's side keeps a few connections to each app
ANSWER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Ack:
    name: str  # the response_url name the answer is posted under
    app: int  # index of the app it was sent to
    sent: float  # wall-clock seconds
    seconds: float  # until the HTTP answer (Slack's 3 s ack deadline is on this)
    status: int  # HTTP status; 0 when no answer came (refused, reset, timed out)
    answer: str = ""  # the answer's texts when it came in the ack itself (deskbot does so
    # when it is ready within a second); "" when the ack was empty or "looking that up…"


@dataclass(frozen=True)
class Commands:
    """Signed `/desk` commands whose answers go to the fake Slack under a name."""

    slack: SlackStub
    secret: str = SIGNING_SECRET

    def signed(self, text: str, user: int, name: str) -> tuple[str, dict[str, str]]:
        body = slash_command_body(
            text,
            user_id=f"U0SUP{user:05d}",
            user_name=f"supervisor{user}",
            response_url=self.slack.response_url(name),
        )
        return body, signed_headers(body, self.secret)


class Connection:
    """One keep-alive HTTP/1.1 connection: POST, read the whole answer, keep it open."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """The answer's HTTP status and body; 0 when the connection failed (it reconnects
        next time)."""
        payload = body.encode()
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"{self._head}{lines}Content-Length: {len(payload)}\r\n\r\n".encode() + payload
        try:
            if self._streams is None:
                self._streams = await asyncio.open_connection(self._host, self._port)
            reader, writer = self._streams
            writer.write(request)
            return await asyncio.wait_for(self._answer(reader), ANSWER_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
            self.close()
            return 0, b""

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        status = int((await reader.readline()).split()[1])
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        body = b""
        if headers.get("transfer-encoding") == "chunked":
            while size := int((await reader.readline()).split(b";")[0], 16):
                body += (await reader.readexactly(size + 2))[:-2]
            await reader.readline()
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class Pool:
    """A few connections to one app, shared by many senders."""

    def __init__(self, url: str, size: int = CONNECTIONS_PER_APP) -> None:
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        self._all = [Connection(url) for _ in range(size)]
        for connection in self._all:
            self._idle.put_nowait(connection)

    async def post(self, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
        connection = await self._idle.get()
        try:
            return await connection.post(body, headers)
        finally:
            self._idle.put_nowait(connection)

    def close(self) -> None:
        for connection in self._all:
            connection.close()


async def send(
    target: Connection | Pool, app: int, commands: Commands, text: str, user: int, name: str
) -> Ack:
    """Sign and POST one command, timing it to the HTTP answer."""
    body, headers = commands.signed(text, user, name)
    sent, started = time.time(), time.perf_counter()
    status, answer = await target.post(body, headers)
    return Ack(name, app, sent, time.perf_counter() - started, status, acked_text(answer))


def acked_text(body: bytes) -> str:
    """The texts of an answer that came in the ack, or ""."""
    message = answer_in_ack(body.decode())
    return "\n".join(texts(message)) if message else ""


async def open_loop(
    urls: Sequence[str],
    commands: Commands,
    *,
    supervisors: int,
    every: float,
    seconds: float,
    groups: Sequence[str],
) -> list[Ack]:
    """Supervisor i sends `who <group>` at (i/supervisors + k)·every, for each round k.

    Supervisors are spread over the apps (i mod apps) and rotate through `groups`.
    """
    loop = asyncio.get_running_loop()
    start = loop.time() + START_DELAY
    rounds = max(1, round(seconds / every))
    pools = [Pool(url) for url in urls]

    async def supervisor(i: int) -> list[Ack]:
        acks, app = [], i % len(pools)
        for k in range(rounds):
            await asyncio.sleep(max(0.0, start + (i / supervisors + k) * every - loop.time()))
            text = f"who {groups[(i + k) % len(groups)]}"
            acks.append(await send(pools[app], app, commands, text, i, f"s{i:03d}-{k:02d}"))
        return acks

    try:
        done = await asyncio.gather(*(supervisor(i) for i in range(supervisors)))
    finally:
        for pool in pools:
            pool.close()
    return [ack for acks in done for ack in acks]


async def closed_loop(
    url: str, commands: Commands, *, clients: int, seconds: float, groups: Sequence[str], tag: str
) -> tuple[list[Ack], float]:
    """Each client sends its next command as soon as the last is acked; (acks, wall seconds)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + seconds

    async def client(c: int) -> list[Ack]:
        connection, acks, n = Connection(url), [], 0
        try:
            while loop.time() < deadline:
                text = f"who {groups[(c + n) % len(groups)]}"
                acks.append(await send(connection, 0, commands, text, c, f"{tag}{c:02d}-{n:05d}"))
                n += 1
        finally:
            connection.close()
        return acks

    done = await asyncio.gather(*(client(c) for c in range(clients)))
    return [ack for acks in done for ack in acks], loop.time() - started
