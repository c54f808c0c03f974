"""`FakeSlackWebApi`: Slack's Web API and response_url endpoints on loopback.

Why a real HTTP server instead of mocking `WebClient`: the app under test must be exactly
the production wiring (`WebClient(base_url=SLACK_API_URL)`, Bolt's `respond()`, the Socket
Mode client's `apps.connections.open`), so the only thing a test swaps is the URL. The fake
answers like Slack (HTTP 200 with `{"ok": false, "error": ...}`, 429 with `Retry-After`),
keeps just enough state to be honest (messages can be updated and deleted, views carry a
hash, trigger ids are single-use) and enforces Block Kit limits (see `block_kit`).

Usage::

    with FakeSlackWebApi() as fake:
        client = WebClient(base_url=fake.url, token=BOT_TOKEN)
        client.chat_postMessage(channel="C0DESK001", text="hi")
        [request] = fake.requests("chat.postMessage")
        assert request.params["text"] == "hi" and request.token == BOT_TOKEN

        url = fake.response_url("who")          # give it to a payload builder
        ...                                     # the listener calls respond("…")
        [reply] = fake.wait_for_responses("who")

        fake.rate_limit("chat.postMessage", times=1, retry_after=2)   # next call: 429
        fake.fail("views.open", "expired_trigger_id")                 # next call: ok=false
        fake.rate_limit_response_url("who", times=1, retry_after=1)   # next post there: 429

Listeners run on Bolt's worker threads after `ack()`, so assert on what they send with
`wait_for(...)` / `wait_for_responses(...)`, which block on a `threading.Condition`
until the request arrived (or raise `TimeoutError` listing what did arrive).
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Protocol, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tests.slack_fakes.block_kit import message_problems, modal_problems
from tests.slack_fakes.defaults import (
    API_APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 5.0
"""Seconds `wait_for*` waits for a background thread before giving up."""

RESPONSE_URL_MAX_USES: Final = 5
"""Slack accepts at most this many posts to one response_url (NOTES.md §C)."""

NO_SOCKET_MODE_SERVER: Final = "fake_no_socket_mode_server"
"""The fake's own error for apps.connections.open when no socket server is attached."""

_SHUTDOWN_POLL_SECONDS: Final = 0.01
"""How often serve_forever checks for shutdown; every test stops a fake, so keep it short."""

_API_PREFIX: Final = "/api/"
_RESPONSE_PREFIX: Final = "/response/"
_FORM_ENCODED_JSON_FIELDS: Final = frozenset({"blocks", "attachments", "view", "metadata"})
_APP_TOKEN_METHODS: Final = frozenset({"apps.connections.open"})


class SocketModeUrlIssuer(Protocol):
    """What apps.connections.open needs from a Socket Mode server: a fresh ws:// URL."""

    def issue_url(self) -> str:
        """Return a new connection URL (Slack hands out one ticket per call)."""
        ...


@dataclass(frozen=True)
class RecordedRequest:
    """One Web API call as the fake saw it, with what it answered.

    `params` is the merged view a test usually wants (query string, form fields and JSON
    body) with Slack's form-encoded JSON fields (`blocks`, `view`, `attachments`,
    `metadata`) decoded, so assertions do not depend on whether slack_sdk chose JSON or a
    form for that method. `form`/`json`/`query` keep what was literally sent.
    """

    method: str
    http_method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str]
    json: Mapping[str, Any] | None
    params: Mapping[str, Any]
    token: str | None
    status: int
    response: Mapping[str, Any]

    @property
    def content_type(self) -> str:
        """The request's Content-Type header ("" when absent)."""
        return self.headers.get("content-type", "")

    @property
    def sent_as_json(self) -> bool:
        """True when the body was `application/json` (slack_sdk does that per method)."""
        return self.json is not None


@dataclass(frozen=True)
class ResponseUrlPost:
    """One POST to a response_url: the parsed JSON body and what the fake answered."""

    name: str
    body: Mapping[str, Any]
    headers: Mapping[str, str]
    status: int
    answer: str

    @property
    def delivered(self) -> bool:
        """True when Slack would have shown it (HTTP 200 "ok")."""
        return self.status == HTTPStatus.OK


@dataclass(frozen=True)
class _InjectedAnswer:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


class _SlackError(Exception):
    """Raised by a method handler to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.body: dict[str, Any] = {"ok": False, "error": error, **extra}


def _invalid_arguments(*messages: str) -> _SlackError:
    return _SlackError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {message}" for message in messages]},
    )


def _text_param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


class FakeSlackWebApi:
    """A loopback Slack Web API: answers, records, and fails on request.

    Construct, then `start()` (or use as a context manager). Every keyword has a
    default from `tests.slack_fakes.defaults`, so `FakeSlackWebApi()` is a complete
    workspace whose only valid tokens are `BOT_TOKEN` and `APP_TOKEN`.
    """

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        team_id: str = TEAM_ID,
        team_name: str = TEAM_NAME,
        team_domain: str = TEAM_DOMAIN,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        app_id: str = API_APP_ID,
        response_url_max_uses: int = RESPONSE_URL_MAX_USES,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.response_url_max_uses = response_url_max_uses

        self._changed = threading.Condition(threading.RLock())
        self._requests: list[RecordedRequest] = []
        self._response_posts: list[ResponseUrlPost] = []
        self._injected: dict[str, deque[_InjectedAnswer]] = defaultdict(deque)
        self._injected_response_urls: dict[str, deque[_InjectedAnswer]] = defaultdict(deque)
        self._response_url_uses: dict[str, int] = defaultdict(int)

        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._used_trigger_ids: set[str] = set()
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._serial = itertools.count(1)
        self._ts_base = int(time.time())
        self._socket_mode: SocketModeUrlIssuer | None = None

        self._handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "apps.connections.open": self._apps_connections_open,
        }
        self._server: _FakeHttpServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind a free loopback port and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlackWebApi is already running")
        server = _FakeHttpServer(("127.0.0.1", 0), _FakeSlackRequestHandler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
            name=f"FakeSlackWebApi:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and join the thread (idempotent)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=DEFAULT_TIMEOUT)

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
        if self._server is None:
            raise RuntimeError("FakeSlackWebApi is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL, for `WebClient(base_url=...)` and `SLACK_API_URL`."""
        return f"{self.base_url}{_API_PREFIX}"

    def response_url(self, name: str = "default") -> str:
        """A response_url whose posts are recorded under `name` (see `responses`)."""
        return f"{self.base_url}{_RESPONSE_PREFIX}{quote(name, safe='')}"

    def attach_socket_mode(self, server: SocketModeUrlIssuer | None) -> None:
        """Make apps.connections.open hand out `server`'s URLs (None detaches)."""
        with self._changed:
            self._socket_mode = server

    # ------------------------------------------------------------------ queries

    def requests(self, method: str | None = None) -> list[RecordedRequest]:
        """Recorded Web API calls in arrival order, optionally for one method."""
        with self._changed:
            return [r for r in self._requests if method is None or r.method == method]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = DEFAULT_TIMEOUT
    ) -> list[RecordedRequest]:
        """Block until `count` calls of `method` arrived; return all of them so far.

        Raises TimeoutError (naming what did arrive) when they do not come in time.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests(method)) >= count, timeout):
                seen = [r.method for r in self._requests]
                raise TimeoutError(
                    f"waited {timeout}s for {count} x {method}, got "
                    f"{len(self.requests(method))}; all calls so far: {seen}"
                )
            return self.requests(method)

    def responses(self, name: str | None = None) -> list[dict[str, Any]]:
        """JSON bodies delivered (HTTP 200) to response_url `name`, or to any, in order.

        Rejected posts (bad blocks, sixth use, injected failures) are not here because
        the user never saw them; `response_posts` has every attempt.
        """
        return [dict(post.body) for post in self.response_posts(name) if post.delivered]

    def response_posts(self, name: str | None = None) -> list[ResponseUrlPost]:
        """Every POST to response_url `name` (or to any), delivered or not."""
        with self._changed:
            return [p for p in self._response_posts if name is None or p.name == name]

    def wait_for_responses(
        self, name: str | None = None, count: int = 1, timeout: float = DEFAULT_TIMEOUT
    ) -> list[dict[str, Any]]:
        """Block until `count` messages were delivered to response_url `name`."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.responses(name)) >= count, timeout):
                attempts = [(p.name, p.status, p.answer) for p in self._response_posts]
                raise TimeoutError(
                    f"waited {timeout}s for {count} response(s) at {name or 'any response_url'}, "
                    f"got {len(self.responses(name))}; all posts so far: {attempts}"
                )
            return self.responses(name)

    def clear(self) -> None:
        """Forget recorded calls and response_url posts (state and failures stay)."""
        with self._changed:
            self._requests.clear()
            self._response_posts.clear()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages as they stand now (after updates, without deleted ones).

        Each carries its `channel` so audit-channel assertions read naturally.
        """
        with self._changed:
            return [
                {"channel": key[0], **message}
                for key, message in self._messages.items()
                if channel is None or key[0] == channel
            ]

    def view(self, view_id: str) -> dict[str, Any]:
        """The current state of a view opened through the fake (KeyError if unknown)."""
        with self._changed:
            return json.loads(json.dumps(self._views[view_id]))

    def views(self) -> list[dict[str, Any]]:
        """All views opened or pushed through the fake, oldest first."""
        with self._changed:
            return [self.view(view_id) for view_id in self._views]

    # ------------------------------------------------------------------ configuration

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 like Slack does."""
        answer = _InjectedAnswer(
            status=HTTPStatus.TOO_MANY_REQUESTS,
            body={"ok": False, "error": "ratelimited"},
            headers={"Retry-After": str(retry_after)},
        )
        with self._changed:
            self._injected[method].extend([answer] * times)

    def fail(
        self,
        method: str,
        error: str = "channel_not_found",
        *,
        times: int = 1,
        status: int = HTTPStatus.OK,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`.

        Slack reports almost every error with HTTP 200; pass `status` for the rare 5xx.
        """
        answer = _InjectedAnswer(status=status, body={"ok": False, "error": error, **(extra or {})})
        with self._changed:
            self._injected[method].extend([answer] * times)

    def fail_response_url(
        self,
        name: str,
        *,
        status: int = HTTPStatus.NOT_FOUND,
        body: str = "expired_url",
        times: int = 1,
    ) -> None:
        """Reject the next `times` posts to response_url `name` (e.g. an expired URL)."""
        answer = _InjectedAnswer(status=status, body={"answer": body})
        with self._changed:
            self._injected_response_urls[name].extend([answer] * times)

    def rate_limit_response_url(self, name: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` posts to response_url `name` with 429 + Retry-After."""
        answer = _InjectedAnswer(
            status=HTTPStatus.TOO_MANY_REQUESTS,
            body={"answer": "rate_limited"},
            headers={"Retry-After": str(retry_after)},
        )
        with self._changed:
            self._injected_response_urls[name].extend([answer] * times)

    def set_user(self, user_id: str, **fields: Any) -> None:
        """Override fields users.info returns for `user_id` (others are synthesized)."""
        with self._changed:
            self._users.setdefault(user_id, {}).update(fields)

    def set_channel(self, channel_id: str, **fields: Any) -> None:
        """Override conversations.info fields; `is_member=False` / `is_archived=True`
        also make posts to it fail with `not_in_channel` / `is_archived`, as in Slack."""
        with self._changed:
            self._channels.setdefault(channel_id, {}).update(fields)

    # ------------------------------------------------------------------ dispatch

    def _answer_api(
        self, method: str, params: Mapping[str, Any], token: str | None
    ) -> _InjectedAnswer:
        handler = self._handlers.get(method)
        if handler is None:
            return _InjectedAnswer(
                HTTPStatus.OK, {"ok": False, "error": "unknown_method", "req_method": method}
            )
        with self._changed:
            if token is None or token == "":
                return _InjectedAnswer(HTTPStatus.OK, {"ok": False, "error": "not_authed"})
            if token not in (self.bot_token, self.app_token):
                return _InjectedAnswer(HTTPStatus.OK, {"ok": False, "error": "invalid_auth"})
            if (token == self.app_token) != (method in _APP_TOKEN_METHODS):
                return _InjectedAnswer(
                    HTTPStatus.OK, {"ok": False, "error": "not_allowed_token_type"}
                )
            if self._injected[method]:
                return self._injected[method].popleft()
            try:
                return _InjectedAnswer(HTTPStatus.OK, handler(params))
            except _SlackError as error:
                return _InjectedAnswer(HTTPStatus.OK, error.body)

    def _record_api(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _answer_response_url(self, name: str, body: Mapping[str, Any]) -> _InjectedAnswer:
        """The answer to one post: status, `{"answer": text}` and any extra headers."""
        with self._changed:
            if self._injected_response_urls[name]:
                return self._injected_response_urls[name].popleft()
            if self._response_url_uses[name] >= self.response_url_max_uses:
                return _InjectedAnswer(HTTPStatus.NOT_FOUND, {"answer": "used_url"})
            has_content = any(body.get(key) for key in ("text", "blocks", "attachments"))
            if not body.get("delete_original") and not has_content:
                return _InjectedAnswer(HTTPStatus.BAD_REQUEST, {"answer": "no_text"})
            if "blocks" in body and message_problems(body["blocks"]):
                return _InjectedAnswer(HTTPStatus.BAD_REQUEST, {"answer": "invalid_blocks"})
            self._response_url_uses[name] += 1
            return _InjectedAnswer(HTTPStatus.OK, {"answer": "ok"})

    def _record_response_post(self, post: ResponseUrlPost) -> None:
        with self._changed:
            self._response_posts.append(post)
            self._changed.notify_all()

    # ------------------------------------------------------------------ helpers

    def _next_serial(self) -> int:
        return next(self._serial)

    def _next_ts(self) -> str:
        return f"{self._ts_base}.{self._next_serial():06d}"

    def _resolve_channel(self, channel: str) -> str:
        """Posting to a user id opens their DM, as Slack does: U123 -> D123."""
        if channel[:1] in ("U", "W"):
            return f"D{channel[1:]}"
        return channel

    def _check_postable(self, channel: str) -> None:
        settings = self._channels.get(channel, {})
        if settings.get("is_archived"):
            raise _SlackError("is_archived")
        if settings.get("is_member") is False:
            raise _SlackError("not_in_channel")

    def _check_message_content(self, params: Mapping[str, Any]) -> None:
        if not any(params.get(key) for key in ("text", "blocks", "attachments")):
            raise _SlackError("no_text")
        if "blocks" in params:
            problems = message_problems(params["blocks"])
            if problems:
                raise _SlackError(
                    "invalid_blocks",
                    errors=problems,
                    response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
                )

    def _bot_message(self, params: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": _text_param(params, "text"),
            "ts": ts,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": "deskbot",
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in params:
                message[key] = params[key]
        return message

    def _view_from(
        self,
        view: Mapping[str, Any],
        *,
        view_id: str,
        root_view_id: str,
        previous_view_id: str | None,
    ) -> dict[str, Any]:
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": list(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{self._next_serial():08d}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _checked_view(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        view = params.get("view")
        if view is None:
            raise _invalid_arguments("missing required field: view")
        if not isinstance(view, Mapping):
            raise _invalid_arguments("failed to parse view as a JSON object")
        problems = modal_problems(view)
        if problems:
            raise _invalid_arguments(*problems)
        external_id = view.get("external_id")
        if external_id and any(v["external_id"] == external_id for v in self._views.values()):
            raise _SlackError("duplicate_external_id")
        return view

    def _exchange_trigger(self, params: Mapping[str, Any]) -> str:
        trigger_id = _text_param(params, "trigger_id") or _text_param(
            params, "interactivity_pointer"
        )
        if not trigger_id:
            raise _invalid_arguments("missing required field: trigger_id")
        if trigger_id in self._used_trigger_ids:
            raise _invalid_arguments("invalid `trigger_id`")
        return trigger_id

    # ------------------------------------------------------------------ methods

    def _auth_test(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "deskbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel = _text_param(params, "channel")
        if not channel:
            raise _SlackError("channel_not_found")
        channel = self._resolve_channel(channel)
        self._check_postable(channel)
        self._check_message_content(params)
        ts = self._next_ts()
        message = self._bot_message(params, ts)
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel = _text_param(params, "channel")
        if not channel:
            raise _SlackError("channel_not_found")
        if not _text_param(params, "user"):
            raise _SlackError("user_not_found")
        self._check_postable(self._resolve_channel(channel))
        self._check_message_content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _stored_message(self, params: Mapping[str, Any]) -> tuple[tuple[str, str], dict[str, Any]]:
        channel = self._resolve_channel(_text_param(params, "channel"))
        key = (channel, _text_param(params, "ts"))
        message = self._messages.get(key)
        if message is None:
            raise _SlackError("message_not_found")
        return key, message

    def _chat_update(self, params: Mapping[str, Any]) -> dict[str, Any]:
        (channel, ts), message = self._stored_message(params)
        self._check_message_content(params)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": message,
        }

    def _chat_delete(self, params: Mapping[str, Any]) -> dict[str, Any]:
        (channel, ts), _ = self._stored_message(params)
        del self._messages[(channel, ts)]
        return {"ok": True, "channel": channel, "ts": ts}

    def _views_open(self, params: Mapping[str, Any]) -> dict[str, Any]:
        trigger_id = self._exchange_trigger(params)
        view = self._checked_view(params)
        view_id = f"V{self._next_serial():08d}"
        stored = self._view_from(view, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        self._used_trigger_ids.add(trigger_id)
        self._views[view_id] = stored
        return {"ok": True, "view": stored}

    def _views_push(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return self._views_open(params)

    def _views_update(self, params: Mapping[str, Any]) -> dict[str, Any]:
        view_id = _text_param(params, "view_id")
        external_id = _text_param(params, "external_id")
        if not view_id and external_id:
            view_id = next(
                (vid for vid, v in self._views.items() if v["external_id"] == external_id), ""
            )
        current = self._views.get(view_id)
        if current is None:
            raise _SlackError("not_found")
        expected_hash = _text_param(params, "hash")
        if expected_hash and expected_hash != current["hash"]:
            raise _SlackError("hash_conflict")
        view = params.get("view")
        if not isinstance(view, Mapping):
            raise _invalid_arguments("missing required field: view")
        problems = modal_problems(view)
        if problems:
            raise _invalid_arguments(*problems)
        updated = self._view_from(
            view,
            view_id=view_id,
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        self._views[view_id] = updated
        return {"ok": True, "view": updated}

    def _users_info(self, params: Mapping[str, Any]) -> dict[str, Any]:
        user_id = _text_param(params, "user")
        if user_id[:1] not in ("U", "W"):
            raise _SlackError("user_not_found")
        name = user_id.lower()
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": f"User {user_id}",
            "tz": "Asia/Shanghai",
            "tz_label": "China Standard Time",
            "tz_offset": 28800,
            "profile": {
                "real_name": f"User {user_id}",
                "display_name": name,
                "team": self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": self._ts_base,
        }
        user.update(self._users.get(user_id, {}))
        return {"ok": True, "user": user}

    def _conversations_info(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel_id = _text_param(params, "channel")
        if channel_id[:1] not in ("C", "G", "D"):
            raise _SlackError("channel_not_found")
        channel: dict[str, Any] = {
            "id": channel_id,
            "name": channel_id.lower(),
            "is_channel": channel_id.startswith("C"),
            "is_group": channel_id.startswith("G"),
            "is_im": channel_id.startswith("D"),
            "is_private": not channel_id.startswith("C"),
            "is_archived": False,
            "is_general": False,
            "is_member": True,
            "created": self._ts_base,
            "creator": self.bot_user_id,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
        channel.update(self._channels.get(channel_id, {}))
        return {"ok": True, "channel": channel}

    def _apps_connections_open(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self._socket_mode is None:
            raise _SlackError(NO_SOCKET_MODE_SERVER)
        return {"ok": True, "url": self._socket_mode.issue_url()}


class _FakeHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlackWebApi


class _FakeSlackRequestHandler(BaseHTTPRequestHandler):
    """Parses like Slack's edge (form, JSON or query string) and delegates to the fake."""

    server: _FakeHttpServer
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith(_API_PREFIX):
            self._handle_api(path.removeprefix(_API_PREFIX))
        elif path.startswith(_RESPONSE_PREFIX) and self.command == "POST":
            self._handle_response_url(unquote(path.removeprefix(_RESPONSE_PREFIX)))
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not_found", "text/plain; charset=utf-8")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle_api(self, method: str) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query, True).items()}
        body = self._read_body()
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        form: dict[str, str] = {}
        json_body: dict[str, Any] | None = None
        answer: _InjectedAnswer | None = None
        if content_type == "application/json":
            try:
                decoded = json.loads(body or b"{}")
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                json_body = decoded
            else:
                answer = _InjectedAnswer(HTTPStatus.OK, {"ok": False, "error": "invalid_json"})
        elif content_type == "application/x-www-form-urlencoded":
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), True).items()}

        params: dict[str, Any] = {**query, **form, **(json_body or {})}
        for name in _FORM_ENCODED_JSON_FIELDS & params.keys():
            if isinstance(params[name], str):
                try:
                    params[name] = json.loads(params[name])
                except ValueError:
                    logger.debug("form field %s is not JSON; keeping the string", name)

        authorization = headers.get("authorization", "")
        token: str | None = None
        if authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip()
        elif isinstance(params.get("token"), str):
            token = params["token"]

        fake = self.server.fake
        if answer is None:
            answer = fake._answer_api(method, params, token)
        # Record before answering: a client's next call can then never be recorded first.
        fake._record_api(
            RecordedRequest(
                method=method,
                http_method=self.command,
                path=self.path,
                headers=headers,
                query=query,
                form=form,
                json=json_body,
                params=params,
                token=token,
                status=int(answer.status),
                response=answer.body,
            )
        )
        payload = json.dumps(answer.body).encode("utf-8")
        self._send(answer.status, payload, "application/json; charset=utf-8", answer.headers)

    def _handle_response_url(self, name: str) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        raw = self._read_body()
        try:
            decoded = json.loads(raw or b"{}")
        except ValueError:
            decoded = None
        fake = self.server.fake
        if isinstance(decoded, dict):
            body: dict[str, Any] = decoded
            reply = fake._answer_response_url(name, body)
        else:
            body, reply = {}, _InjectedAnswer(HTTPStatus.BAD_REQUEST, {"answer": "invalid_payload"})
        answer = str(reply.body["answer"])
        fake._record_response_post(
            ResponseUrlPost(
                name=name, body=body, headers=headers, status=int(reply.status), answer=answer
            )
        )
        self._send(reply.status, answer.encode("utf-8"), "text/html", reply.headers)

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
