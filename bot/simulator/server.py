"""The HTTP plumbing: a quiet, threaded, keep-alive stdlib server around one handler.

Kept apart from the vendor logic so the handlers stay plain functions of `Request`. One
thread per connection (daemon threads), HTTP/1.1 keep-alive, a deep accept queue for a
hundred concurrent clients, and no per-request logging. `stop()` also closes connections
that are idle in keep-alive, so a stopped simulator cannot go on answering pooled clients.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.simulator.wire import Answer, Request

Handler = Callable[[Request], Answer]

IDLE_CONNECTION_TIMEOUT = 300.0  # seconds a keep-alive connection may sit unused
ACCEPT_QUEUE = 512
SHUTDOWN_POLL_INTERVAL = 0.01  # how soon stop() takes effect; tests stop a server each


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = ACCEPT_QUEUE

    def __init__(self, address: tuple[str, int], handler: Handler) -> None:
        self.handler = handler
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hang up mid-request all the time; that is not worth a traceback."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_TIMEOUT
    # Status line, headers and body leave in one segment, without waiting for Nagle: with
    # keep-alive, split writes meet the client's delayed ACK and cost 40 ms per answer.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024
    server: _QuietServer
    server_version = "deskbot-simulator"
    sys_version = ""

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a benchmark makes thousands of requests."""

    def _serve(self) -> None:
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query={
                key: values[0]
                for key, values in parse_qs(url.query, keep_blank_values=True).items()
            },
            headers={key.lower(): value for key, value in self.headers.items()},
            body=self._read_body(),
        )
        answer = self.server.handler(request)
        if answer.drop_connection:
            self._drop()
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _drop(self) -> None:
        """Reset the connection: no status line, no body, as a crashed vendor would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class SimulatorServer:
    """Serves `handler` on `host:port` (0 picks a free port), in the background or blocking."""

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self._server = _QuietServer((host, port), handler)
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._closed = False

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}"

    def start_background(self) -> None:
        self._serving.set()  # before the thread runs, so an immediate stop() still shuts down
        self._thread = threading.Thread(target=self._serve, name="deskbot-simulator", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Block until `stop()` from another thread or Ctrl-C; always closes the socket."""
        try:
            self._serve()
        except KeyboardInterrupt:
            pass
        finally:
            self._close()

    def stop(self) -> None:
        """Stop accepting, close every open connection; safe to call more than once."""
        if self._serving.is_set():
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._close()

    def _serve(self) -> None:
        self._serving.set()
        try:
            self._server.serve_forever(poll_interval=SHUTDOWN_POLL_INTERVAL)
        finally:
            self._serving.clear()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._server.server_close()
        self._server.close_connections()
