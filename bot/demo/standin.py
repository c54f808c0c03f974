"""A minimal Slack for `deskbot demo`: records what the bot posts, answers what it asks.

It serves the few Web API methods the bot calls (auth.test, chat.postMessage, views.open,
views.update) and response_url endpoints, on loopback, so the real app runs unchanged and
the demo can print what Slack would show. It is not a test double: tests use the fuller fake
under tests/slack_fakes.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

_ids = itertools.count(1)


class SlackStandIn:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []  # (where, payload) in arrival order
        self._changed = threading.Condition()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep the demo's output clean
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                payload = _parse(raw, self.headers.get("Content-Type", ""))
                answer = standin._answer(self.path, payload)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def response_url(self, name: str) -> str:
        return self.url.replace("/api/", f"/response/{name}")

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, count: int, timeout: float = 30.0) -> list[tuple[str, dict[str, Any]]]:
        """Block until at least `count` posts have arrived; return them all."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.posts) >= count, timeout)
            return list(self.posts)

    def wait_until(
        self, done: Callable[[list[tuple[str, dict[str, Any]]]], bool], timeout: float = 30.0
    ) -> list[tuple[str, dict[str, Any]]]:
        """Block until `done(posts)` holds (or `timeout` passes); return the posts."""
        with self._changed:
            self._changed.wait_for(lambda: done(self.posts), timeout)
            return list(self.posts)

    def wait_for(self, where: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Block until something was posted to `where` (a response_url name); return all of it."""
        with self._changed:
            self._changed.wait_for(lambda: any(w == where for w, _ in self.posts), timeout)
            return [payload for w, payload in self.posts if w == where]

    def _answer(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        method = path.rsplit("/", 1)[-1]
        answer: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            answer.update(
                user="deskbot",
                user_id="U0DESKBOT",
                team="Demo Contact Center",
                team_id="T0DEMO",
                bot_id="B0DESKBOT",
            )
        elif method in ("views.open", "views.update"):
            view = payload.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            answer["view"] = {**(view or {}), "id": payload.get("view_id") or f"V0DEMO{next(_ids)}"}
            payload = {**payload, "view": answer["view"]}
        elif method == "chat.postMessage":
            answer.update(channel=payload.get("channel"), ts=f"1700000000.{next(_ids):06d}")
        with self._changed:
            self.posts.append(
                (path.split("/", 2)[-1] if path.startswith("/response/") else method, payload)
            )
            self._changed.notify_all()
        return answer


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return json.loads(raw or "{}")
    return {key: values[-1] for key, values in parse_qs(raw).items()}
