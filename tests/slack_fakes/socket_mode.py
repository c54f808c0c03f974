"""`FakeSocketModeServer`: Slack's Socket Mode WebSocket endpoint on loopback.

Why: `deskbot run` uses Bolt's `SocketModeHandler`, whose slack_sdk client first calls
`apps.connections.open` and then speaks a small protocol over the returned URL: Slack sends
`hello`, then envelopes (`{"envelope_id", "type", "payload", "accepts_response_payload"}`);
the app answers each with an ack (`{"envelope_id", "payload"?}`) within 3 seconds. This
server plays Slack's side with the `websockets` library on its own event loop thread, so
the production handler runs unmodified.

Usage::

    with FakeSlackWebApi() as fake, FakeSocketModeServer(web_api=fake) as server:
        app = App(signing_secret=SIGNING_SECRET, client=WebClient(base_url=fake.url, token=BOT_TOKEN))
        with socket_mode_handler(app, server):     # SocketModeHandler(app, APP_TOKEN).connect()
            envelope_id = server.send_envelope("slash_commands", slash_command_payload("help"))
            assert server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}

Close the handler before the servers (the context manager does), else its client tries
to reconnect into a stopped server and logs errors. Prefer `close_socket_mode_handler`
over a bare `handler.close()`, which blocks 3-4 s inside slack_sdk (see its docstring).

Keepalive: the slack_sdk client pings the server right after connecting and every
`ping_interval` seconds; `websockets` answers those pongs automatically. The server does
not ping on its own unless given `ping_interval`; `ping_clients()` pings on demand and
returns the round-trip times, proving the client answers pings.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Final, Self, TypeVar

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.slack_fakes.defaults import API_APP_ID, APP_TOKEN
from tests.slack_fakes.web_api import DEFAULT_TIMEOUT, FakeSlackWebApi

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

CLOSE_TIMEOUT: Final = 1.0
"""Seconds the server waits for a client's close frame when shutting down.

slack_sdk's builtin client answers Slack's close frame by dropping the socket without a
close frame of its own, so waiting websockets' default 10 s would only slow tests down.
"""


def default_accepts_response_payload(payload_type: str, payload: Mapping[str, Any]) -> bool:
    """Whether Slack lets the ack carry a payload for this kind of envelope.

    Slash commands (the ack text is the visible reply), view submissions (response_action)
    and option requests do; block actions, shortcuts and events do not.
    """
    if payload_type == "slash_commands":
        return True
    if payload_type == "interactive":
        return payload.get("type") in ("view_submission", "block_suggestion")
    return False


class FakeSocketModeServer:
    """A loopback Socket Mode server that sends envelopes and records acks.

    With `web_api=`, `start()` attaches itself so that fake's `apps.connections.open`
    hands out this server's `ws://` URLs; `stop()` detaches it.
    """

    def __init__(
        self,
        *,
        web_api: FakeSlackWebApi | None = None,
        app_id: str = API_APP_ID,
        ping_interval: float | None = None,
    ) -> None:
        self.app_id = app_id
        self._web_api = web_api
        self._ping_interval = ping_interval
        self._changed = threading.Condition(threading.RLock())
        self._received: list[dict[str, Any]] = []
        self._sent: list[dict[str, Any]] = []
        self._active: list[ServerConnection] = []
        self._retired: set[ServerConnection] = set()
        self._accepted = 0
        self._round_robin = itertools.count()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start the event loop thread, bind a free port and attach to the web API fake."""
        if self._thread is not None:
            raise RuntimeError("FakeSocketModeServer is already running")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="FakeSocketModeServer", daemon=True)
        self._thread.start()
        if not self._ready.wait(DEFAULT_TIMEOUT):
            raise RuntimeError("FakeSocketModeServer did not start in time")
        if self._startup_error is not None:
            self._thread.join(DEFAULT_TIMEOUT)
            self._thread = None
            raise RuntimeError("FakeSocketModeServer failed to start") from self._startup_error
        if self._web_api is not None:
            self._web_api.attach_socket_mode(self)
        return self

    def stop(self) -> None:
        """Close every connection (code 1001, as Slack does), stop the loop, join the thread."""
        if self._web_api is not None:
            self._web_api.attach_socket_mode(None)
        loop, stopping, thread = self._loop, self._stopping, self._thread
        self._thread = None
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:
                logger.debug("event loop already closed")
        if thread is not None:
            thread.join(DEFAULT_TIMEOUT + CLOSE_TIMEOUT)
        self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._port is None:
            raise RuntimeError("FakeSocketModeServer is not running; call start() first")
        return self._port

    def issue_url(self) -> str:
        """A fresh `ws://` URL with a new ticket, shaped like Slack's `wss://…/link/?ticket=`.

        The path matters: slack_sdk's client sends `GET {path}?{query}` verbatim.
        """
        return f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"

    # ------------------------------------------------------------------ talking to clients

    def send_envelope(
        self,
        payload_type: str = "slash_commands",
        payload: Mapping[str, Any] | None = None,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> str:
        """Deliver one envelope to a connected client and return its `envelope_id`.

        `payload_type` is Slack's envelope type: `slash_commands`, `interactive` or
        `events_api`. Waits up to `timeout` for a client to be connected; with several,
        deliveries rotate over them as Slack spreads them over an app's connections.
        """
        body = dict(payload or {})
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "payload": body,
            "type": payload_type,
            "accepts_response_payload": (
                default_accepts_response_payload(payload_type, body)
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if payload_type == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        self._send_to_client(envelope, timeout)
        return str(envelope["envelope_id"])

    def send_disconnect(
        self,
        reason: str = "refresh_requested",
        *,
        close_after_reconnect: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Tell every connected client to reconnect, the way Slack refreshes a link.

        Waits up to `timeout` for a client to be connected first. The clients get Slack's `disconnect` message and are retired: no envelope goes to
        them any more. With `close_after_reconnect` (Slack's behaviour) this waits for a
        fresh connection and then closes the retired ones, which also spares slack_sdk's
        client the 3 s it would otherwise block on the old socket before switching.
        """
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self._deliverable()), timeout):
                raise TimeoutError(f"no Socket Mode client connected within {timeout}s")
            retiring = self._deliverable()
            self._retired.update(retiring)
            accepted_before = self._accepted
            self._sent.extend(dict(message) for _ in retiring)
        for connection in retiring:
            self._run_on_loop(connection.send(json.dumps(message)), timeout)
        if close_after_reconnect:
            self.wait_for_connections(accepted_before + len(retiring), timeout)
            self._close(retiring, 1001, "refreshed", timeout)

    def close_connections(
        self, code: int = 1001, reason: str = "", *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Close every client connection with a close frame (as Slack does on restarts).

        A slack_sdk client with auto-reconnect on reconnects through apps.connections.open;
        `socket_mode_handler` turns that off first and uses this to stop the client fast.
        """
        with self._changed:
            connections = list(self._active)
        self._close(connections, code, reason, timeout)

    def ping_clients(self, timeout: float = DEFAULT_TIMEOUT) -> list[float]:
        """Ping every connected client and return the round-trip seconds of each pong."""

        async def ping_all() -> list[float]:
            with self._changed:
                connections = list(self._active)
            waiters = [await connection.ping() for connection in connections]
            return list(await asyncio.gather(*waiters))

        return self._run_on_loop(ping_all(), timeout)

    # ------------------------------------------------------------------ queries

    def wait_for_ack(self, envelope_id: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Block until the client acked `envelope_id`; return the ack message.

        Raises TimeoutError (listing what the client did send) otherwise; note that Bolt
        sends no ack at all when no listener acked (its 404 "unhandled" case).
        """
        with self._changed:
            ack = self._changed.wait_for(lambda: self._ack_for(envelope_id), timeout)
            if ack is None:
                raise TimeoutError(
                    f"no ack for envelope {envelope_id} within {timeout}s; "
                    f"client sent: {self._received}"
                )
            return dict(ack)

    def wait_for_connections(self, count: int = 1, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Block until `count` connections were accepted in total; return the total."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._accepted >= count, timeout):
                raise TimeoutError(
                    f"{self._accepted} connection(s) within {timeout}s, expected {count}"
                )
            return self._accepted

    def received(self) -> list[dict[str, Any]]:
        """Every message clients sent (acks, mostly), parsed, in arrival order."""
        with self._changed:
            return [dict(message) for message in self._received]

    def acks(self) -> list[dict[str, Any]]:
        """The client messages that acknowledge an envelope."""
        return [message for message in self.received() if "envelope_id" in message]

    def sent(self) -> list[dict[str, Any]]:
        """Every message the server sent (hello, envelopes, disconnects), in order."""
        with self._changed:
            return [dict(message) for message in self._sent]

    @property
    def connection_count(self) -> int:
        """Connections accepted since start (reconnects count again)."""
        with self._changed:
            return self._accepted

    @property
    def active_connection_count(self) -> int:
        """Connections open right now."""
        with self._changed:
            return len(self._active)

    # ------------------------------------------------------------------ internals

    def _close(
        self, connections: list[ServerConnection], code: int, reason: str, timeout: float
    ) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(connection.close(code, reason) for connection in connections))

        self._run_on_loop(close_all(), timeout)
        with self._changed:
            if not self._changed.wait_for(
                lambda: not any(c in self._active for c in connections), timeout
            ):
                raise TimeoutError(f"clients still connected after {timeout}s")

    def _ack_for(self, envelope_id: str) -> dict[str, Any] | None:
        return next((m for m in self._received if m.get("envelope_id") == envelope_id), None)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self._startup_error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server: Server = await serve(
            self._handle_connection,
            "127.0.0.1",
            0,
            compression=None,
            ping_interval=self._ping_interval,
            close_timeout=CLOSE_TIMEOUT,
        )
        try:
            self._port = int(server.sockets[0].getsockname()[1])
            self._ready.set()
            await self._stopping.wait()
        finally:
            server.close()
            await server.wait_closed()

    async def _handle_connection(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": self.active_connection_count + 1,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        await connection.send(json.dumps(hello))
        with self._changed:
            self._sent.append(hello)
            self._active.append(connection)
            self._accepted += 1
            self._changed.notify_all()
        try:
            async for raw in connection:
                self._record_received(raw)
        except ConnectionClosed:
            logger.debug("client dropped the connection without a close frame")
        finally:
            with self._changed:
                self._active.remove(connection)
                self._retired.discard(connection)
                self._changed.notify_all()

    def _record_received(self, raw: str | bytes) -> None:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        with self._changed:
            self._received.append(message if isinstance(message, dict) else {"raw": text})
            self._changed.notify_all()

    def _send_to_client(self, message: Mapping[str, Any], timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self._deliverable()), timeout):
                raise TimeoutError(f"no Socket Mode client connected within {timeout}s")
            deliverable = self._deliverable()
            connection = deliverable[next(self._round_robin) % len(deliverable)]
            self._sent.append(dict(message))
        self._run_on_loop(connection.send(json.dumps(message)), timeout)

    def _deliverable(self) -> list[ServerConnection]:
        return [c for c in self._active if c not in self._retired]

    def _run_on_loop(self, coroutine: Coroutine[Any, Any, _T], timeout: float) -> _T:
        if self._loop is None or self._thread is None:
            coroutine.close()
            raise RuntimeError("FakeSocketModeServer is not running; call start() first")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)


@contextmanager
def socket_mode_handler(
    app: App, server: FakeSocketModeServer, *, app_token: str = APP_TOKEN
) -> Iterator[SocketModeHandler]:
    """Connect Bolt's builtin `SocketModeHandler` for `app` to `server`; close it fast on exit.

    The app's client must point at the `FakeSlackWebApi` that `server` is attached to
    (that is where the handler calls apps.connections.open).
    """
    handler = SocketModeHandler(app, app_token)
    handler.connect()
    try:
        yield handler
    finally:
        close_socket_mode_handler(handler, server)


def close_socket_mode_handler(handler: SocketModeHandler, server: FakeSocketModeServer) -> None:
    """`handler.close()` without its 3-4 s of dead time, and without reconnecting.

    slack_sdk's builtin client blocks `close()` on its receive lock until a `recv()` with a
    3 s socket timeout returns, and its message processor waits up to 1 s on its queue.
    So: switch auto-reconnect off, let the server send a close frame (which wakes the
    receive thread; it then closes its own socket) and put a `None` in the queue to wake
    the processor. The receive thread closes the socket while holding the session's two
    socket locks, and `Connection.disconnect` tests `sock is not None` *before* taking
    them, so `close()` must wait for those locks or it can race into `None.close()`.
    """
    client = handler.client
    client.auto_reconnect_enabled = False
    client.closed = True
    client.message_queue.put(None)
    session = client.current_session
    if server.active_connection_count:
        server.close_connections(1000, "test finished")
        if session is not None:
            with session.sock_send_lock, session.sock_receive_lock:
                pass
    handler.close()
