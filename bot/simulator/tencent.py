"""Tencent Cloud IM Desk REST API (`/v4/desk_http_svc/{command}`), as the documents
(im-desk-*.txt) and api-docs/NOTES.md section B describe it.

Every business answer is HTTP 200 with the verdict in the body: `ActionStatus`, `ErrorCode`,
`ErrorInfo`. Order of checks: known command and POST (60002), URL parameters `contenttype`
and `random` (60002), SDKAppID (60006), UserSig (70001/70003/70009/70013), administrator
(60010; 90009 for send_msg, which documents it), rate limit (60007), then the body.

Decisions where the documents are silent:
- the rate limit is `tencent_limit_per_second` calls per command per second (default 200,
  the figure for other IM REST APIs);
- an unknown command answers 60002 (the URL cannot be served);
- send_msg checks the 12 KB limit (93000) before parsing, and de-duplicates a repeat of the
  same target and MsgRandom within 1 s of the first delivery ("within the same second"):
  the repeat is acknowledged OK and not delivered again;
- an ended session answers get_session_state with `NotInSession` (it exists, nobody is in
  it) and send_msg with 141005;
- an empty `IMAgentUserIDList` means "all", like a missing one; unknown IDs are skipped.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from bot.simulator.faults import FaultSwitches
from bot.simulator.limits import SlidingWindowLimiter
from bot.simulator.signatures import SignatureRefused, verify_usersig
from bot.simulator.wire import Outcome, Request, json_answer
from bot.simulator.world import SentMessage, World, delivery_key

VENDOR = "tencent"
AGENT_LIST = "get_im_agent_list_multilingual"
SEND_MSG = "send_msg"
SESSION_STATE = "get_session_state"

RATE_WINDOW = 1.0
MAX_SEND_BODY_BYTES = 12 * 1024
DEDUP_WINDOW = 1.0
MAX_UINT32 = 0xFFFFFFFF

HTTP_PARSE_ERROR = 60002
JSON_PARSE_ERROR = 60003
BAD_SDKAPPID = 60006
RATE_OVER_LIMIT = 60007
NEEDS_ADMIN = 60010
MSG_JSON_PARSE_ERROR = 90001
MSG_BAD_RANDOM = 90005
MSG_BODY_NOT_ARRAY = 90007
MSG_NEEDS_ADMIN = 90009
MSG_TOO_LONG = 93000
INTERNAL_ERROR = 141002
INVALID_PARAMETER = 141004
NO_SESSION = 141005

_PATH = re.compile(r"^/v4/desk_http_svc/(?P<command>[^/]+)$")
_MESSAGE_TYPES = ("TIMTextElem", "TIMCustomElem")

Handler = Callable[[dict[str, Any], float], Outcome]


class TencentDeskApi:
    """Answers the Desk commands from a `World`."""

    vendor = VENDOR

    def __init__(
        self,
        world: World,
        limiter: SlidingWindowLimiter,
        *,
        sdkappid: int,
        secret_key: str,
        admin: str,
    ) -> None:
        self._world = world
        self._limiter = limiter
        self._sdkappid = sdkappid
        self._secret_key = secret_key
        self._admin = admin
        self._commands: dict[str, Handler] = {
            AGENT_LIST: self._agent_list,
            SEND_MSG: self._send_msg,
            SESSION_STATE: self._session_state,
        }

    def route(self, path: str) -> str | None:
        """The command name when `path` is a desk_http_svc path, else None."""
        match = _PATH.match(path)
        return match["command"] if match else None

    def handle(
        self, request: Request, command: str, switches: FaultSwitches, now: float
    ) -> Outcome:
        handler = self._commands.get(command)
        if handler is None:
            return _fail(HTTP_PARSE_ERROR, f"unknown command {command}")
        refused = self._check_url(request, command, now)
        if refused is not None:
            return refused
        if switches.over_limit or not self._limiter.try_acquire(
            (self._sdkappid, command),
            limit=switches.tencent_limit_per_second,
            window=RATE_WINDOW,
            now=now,
        ):
            return dataclasses.replace(
                _fail(RATE_OVER_LIMIT, "REST API call rate over limit"), over_limit=True
            )
        return dataclasses.replace(
            self._accepted(request, command, handler, switches, now), accepted=True
        )

    def _check_url(self, request: Request, command: str, now: float) -> Outcome | None:
        """The answer refusing the method or a URL parameter, or None when all hold."""
        if request.method != "POST":
            return _fail(HTTP_PARSE_ERROR, f"HTTP method {request.method} not supported, use POST")
        if request.query.get("contenttype") != "json":
            return _fail(HTTP_PARSE_ERROR, "contenttype must be json")
        if not _is_uint32(_digits(request.query.get("random"))):
            return _fail(HTTP_PARSE_ERROR, "random must be a 32-bit unsigned integer")
        if _digits(request.query.get("sdkappid")) != self._sdkappid:
            return _fail(BAD_SDKAPPID, "SDKAppID is invalid")
        identifier = request.query.get("identifier", "")
        try:
            verify_usersig(
                request.query.get("usersig", ""),
                sdkappid=self._sdkappid,
                secret_key=self._secret_key,
                identifier=identifier,
                now=now,
            )
        except SignatureRefused as refused:
            return _fail(refused.code, refused.reason)
        if identifier != self._admin:
            code = MSG_NEEDS_ADMIN if command == SEND_MSG else NEEDS_ADMIN
            return _fail(code, "the request needs App administrator permissions")
        return None

    def _accepted(
        self,
        request: Request,
        command: str,
        handler: Handler,
        switches: FaultSwitches,
        now: float,
    ) -> Outcome:
        if switches.internal_error:
            return _fail(INTERNAL_ERROR, "internal error, please retry")
        if command == SEND_MSG and len(request.body) > MAX_SEND_BODY_BYTES:
            return _fail(MSG_TOO_LONG, "JSON packet too long: keep the body within 12 KB")
        parse_error = MSG_JSON_PARSE_ERROR if command == SEND_MSG else JSON_PARSE_ERROR
        try:
            body = request.json()
        except ValueError:
            return _fail(parse_error, "JSON parse error: the body is not valid JSON")
        if not isinstance(body, dict):
            return _fail(parse_error, "JSON parse error: the body must be a JSON object")
        with self._world.lock:
            return handler(body, now)

    def _agent_list(self, body: dict[str, Any], now: float) -> Outcome:
        wanted = body.get("IMAgentUserIDList")
        agents = self._world.im_agents
        if wanted is None or wanted == []:
            return _ok(Data=[agent.document for agent in agents.values()])
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
            return _fail(INVALID_PARAMETER, "IMAgentUserIDList must be an array of strings")
        chosen = [agents[i].document for i in dict.fromkeys(wanted) if i in agents]
        return _ok(Data=chosen)

    def _session_state(self, body: dict[str, Any], now: float) -> Outcome:
        session_id = body.get("SessionId")
        if not isinstance(session_id, str) or not session_id:
            return _fail(INVALID_PARAMETER, "SessionId is required")
        session = self._world.sessions.get(session_id)
        if session is None:
            return _fail(NO_SESSION, "session does not exist or has ended")
        return _ok(CurrentState=session.state, AgentId=session.agent_id)

    def _send_msg(self, body: dict[str, Any], now: float) -> Outcome:
        msg_random = body.get("MsgRandom")
        if not _is_uint32(msg_random):
            return _fail(MSG_BAD_RANDOM, "MsgRandom is missing or not a 32-bit unsigned integer")
        msg_body = body.get("MsgBody")
        if not isinstance(msg_body, list):
            return _fail(MSG_BODY_NOT_ARRAY, "MsgBody is not an array")
        problem = _message_problem(msg_body) or _options_problem(body)
        if problem:
            return _fail(INVALID_PARAMETER, f"invalid parameter: {problem}")
        target = self._target(body)
        if isinstance(target, Outcome):
            return target
        session_id, sender, receiver = target
        message = SentMessage(
            time=now,
            session_id=session_id,
            from_account=sender,
            to_account=receiver,
            msg_random=msg_random,
            msg_body=msg_body,
            cloud_custom_data=body.get("CloudCustomData"),
        )
        if not self._is_repeat(message, now):
            self._world.delivered.append(message)
        return _ok()

    def _target(self, body: dict[str, Any]) -> tuple[str | None, str, str] | Outcome:
        """(session id or None, from, to) of a send, or the answer refusing it.

        A SessionId wins over FromAccount/ToAccount, as the document says; an empty one
        counts as absent.
        """
        session_id = body.get("SessionId")
        if session_id is not None and session_id != "":
            if not isinstance(session_id, str):
                return _fail(INVALID_PARAMETER, "invalid parameter: SessionId must be a string")
            session = self._world.sessions.get(session_id)
            if session is None or session.ended:
                return _fail(NO_SESSION, "session does not exist or has ended")
            return session_id, session.im_agent_id, session.user_id
        sender, receiver = body.get("FromAccount"), body.get("ToAccount")
        if not (isinstance(sender, str) and sender and isinstance(receiver, str) and receiver):
            return _fail(
                INVALID_PARAMETER, "invalid parameter: give SessionId, or FromAccount and ToAccount"
            )
        if sender not in self._world.im_agents:
            return _fail(
                INVALID_PARAMETER, "invalid parameter: FromAccount is not an IM agent account"
            )
        return None, sender, receiver

    def _is_repeat(self, message: SentMessage, now: float) -> bool:
        """A repeat of a message delivered to the same target less than DEDUP_WINDOW ago."""
        since = now - DEDUP_WINDOW
        key = delivery_key(message)
        return self._world.delivered_since(key, message.msg_random, since) is not None


def _message_problem(elements: list[Any]) -> str | None:
    """Why MsgBody is not a list of text or custom elements, or None when it is."""
    if not elements:
        return "MsgBody is empty"
    for element in elements:
        if not isinstance(element, dict) or element.get("MsgType") not in _MESSAGE_TYPES:
            return "MsgType must be TIMTextElem or TIMCustomElem"
        content = element.get("MsgContent")
        if not isinstance(content, dict):
            return "MsgContent must be an object"
        if element["MsgType"] == "TIMTextElem" and not isinstance(content.get("Text"), str):
            return "TIMTextElem needs MsgContent.Text"
        if element["MsgType"] == "TIMCustomElem" and not _is_json_text(content.get("Data")):
            return "TIMCustomElem needs MsgContent.Data, a JSON string"
    return None


def _options_problem(body: dict[str, Any]) -> str | None:
    custom = body.get("CloudCustomData")
    if custom is not None and not isinstance(custom, str):
        return "CloudCustomData must be a string"
    exclude = body.get("ExcludeFromUserRespTimeout")
    if exclude is not None and (isinstance(exclude, bool) or exclude not in (0, 1)):
        return "ExcludeFromUserRespTimeout must be 0 or 1"
    return None


def _is_json_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def _is_uint32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UINT32


def _digits(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def _ok(**fields: Any) -> Outcome:
    return Outcome(
        json_answer({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, **fields}), code=0
    )


def _fail(code: int, info: str) -> Outcome:
    return Outcome(
        json_answer({"ActionStatus": "FAIL", "ErrorInfo": info, "ErrorCode": code}), code=code
    )
