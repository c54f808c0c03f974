"""Tencent Cloud IM Desk (智能客服) REST API: UserSig, answers and error codes, in one place.

See api-docs/NOTES.md, section B. The HTTP status is 200 for every business error; the
verdict is in the body (`ActionStatus`, `ErrorCode`, `ErrorInfo`), and nothing counts as
success unless it says `OK` with code 0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.budget import Budget, EndpointLimit, Priority
from bot.clock import Clock
from bot.errors import (
    AuthRejected,
    BadRequest,
    NotFound,
    RateLimited,
    RequestFailed,
    VendorError,
    VendorFailure,
)
from bot.models import (
    CardMessage,
    ImAgent,
    ImAgentLanguage,
    MessageTarget,
    RenderedMessage,
    TextMessage,
)
from bot.settings import TencentSettings
from bot.vendors._http import Retry, VendorHttp, json_object

VENDOR = "Tencent IM"
AGENT_LIST = "get_im_agent_list_multilingual"
SEND_MSG = "send_msg"
SESSION_STATE = "get_session_state"

# The Desk API's own limit is unconfirmed (other IM REST APIs allow 200/s); we stay far below.
LIMITS: dict[str, EndpointLimit] = {
    AGENT_LIST: EndpointLimit(calls=60),
    SEND_MSG: EndpointLimit(calls=600, reserve=0),
    SESSION_STATE: EndpointLimit(calls=600),
}

MAX_BODY_BYTES = 12 * 1024  # send_msg refuses larger bodies with 93000
USERSIG_LIFETIME = 24 * 3600
USERSIG_RENEW_BEFORE = 3600  # renew an hour early: a sig that expires mid-call breaks a day

_ADMIN_FIX = "An operator should set TENCENT_IM_ADMIN to the app's administrator account."
_KEY_FIX = (
    "An operator should check TENCENT_IM_SDKAPPID and TENCENT_IM_SECRET_KEY (`deskbot check`)."
)

# code → (error class, sentence, next step). Every code in the vendor documents and NOTES.md.
ERROR_CODES: dict[int, tuple[type[RequestFailed], str, str]] = {
    60002: (
        BadRequest,
        "Tencent IM could not read deskbot's request.",
        "Please report this to the bot's operator.",
    ),
    60003: (
        BadRequest,
        "Tencent IM could not read deskbot's request as JSON.",
        "Please report this to the bot's operator.",
    ),
    60004: (AuthRejected, "Tencent IM rejected deskbot's account.", _ADMIN_FIX),
    60005: (AuthRejected, "Tencent IM rejected deskbot's signature.", _KEY_FIX),
    60006: (AuthRejected, "Tencent IM does not know deskbot's SDKAppID.", _KEY_FIX),
    60007: (RateLimited, "Tencent IM says deskbot is calling too often.", "Try again in a minute."),
    60008: (VendorFailure, "Tencent IM timed out on the request.", "Try again in a minute."),
    60010: (AuthRejected, "Tencent IM requires the app administrator for this.", _ADMIN_FIX),
    60011: (
        RateLimited,
        "Tencent IM says this app is calling too often.",
        "Try again in a minute.",
    ),
    60020: (
        AuthRejected,
        "The Tencent IM plan of this app has expired.",
        "An operator should renew it in the Tencent Cloud console.",
    ),
    60021: (
        AuthRejected,
        "Tencent IM does not accept calls from this server's IP address.",
        "An operator should add it to the app's IP allowlist in the Tencent Cloud console.",
    ),
    70001: (
        AuthRejected,
        "Tencent IM says deskbot's UserSig has expired.",
        "Check the server clock; deskbot renews its UserSig on its own.",
    ),
    70003: (AuthRejected, "Tencent IM says deskbot's UserSig is invalid.", _KEY_FIX),
    70009: (AuthRejected, "Tencent IM says the UserSig was made with another app's key.", _KEY_FIX),
    70013: (AuthRejected, "Tencent IM says the UserSig was made for another account.", _ADMIN_FIX),
    90001: (
        BadRequest,
        "Tencent IM could not parse the message as JSON.",
        "Please report this to the bot's operator.",
    ),
    90002: (
        BadRequest,
        "Tencent IM refused the message format.",
        "Please report this to the bot's operator.",
    ),
    90005: (
        BadRequest,
        "Tencent IM refused the message's de-duplication number (MsgRandom).",
        "Please report this to the bot's operator.",
    ),
    90007: (
        BadRequest,
        "Tencent IM refused the message body (MsgBody must be a list).",
        "Please report this to the bot's operator.",
    ),
    90009: (
        AuthRejected,
        "Tencent IM requires the app administrator to send messages.",
        _ADMIN_FIX,
    ),
    90010: (BadRequest, "Tencent IM refused the message.", "Check the message and try again."),
    93000: (
        BadRequest,
        "The message is longer than Tencent IM allows (12 KB).",
        "Shorten the values and preview again.",
    ),
    141000: (
        AuthRejected,
        "This Tencent IM app is not a Desk (智能客服) app.",
        "An operator should check TENCENT_IM_SDKAPPID.",
    ),
    141002: (VendorFailure, "Tencent IM Desk had an internal error.", "Try again in a minute."),
    141004: (
        BadRequest,
        "Tencent IM Desk refused the parameters.",
        "Check the session ID or accounts and try again.",
    ),
    141005: (
        NotFound,
        "That chat session does not exist or has already ended.",
        "Nothing was sent. Check the session ID in the Desk workbench.",
    ),
    141007: (
        VendorFailure,
        "Tencent IM Desk has reached its maximum number of service accounts.",
        "An operator can raise the limit in the Tencent Cloud console.",
    ),
    141008: (
        VendorFailure,
        "Tencent IM Desk has reached its maximum number of accounts.",
        "An operator can raise the limit in the Tencent Cloud console.",
    ),
}


def gen_usersig(
    sdkappid: int, secret_key: str, identifier: str, *, now: int, expire: int = USERSIG_LIFETIME
) -> str:
    """TLSSigAPIv2: HMAC-SHA256 over the documented fields, in zlib-compressed URL-safe JSON."""
    content = (
        f"TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\n"
        f"TLS.time:{now}\nTLS.expire:{expire}\n"
    )
    signature = hmac.new(secret_key.encode(), content.encode(), hashlib.sha256).digest()
    document = {
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": now,
        "TLS.sig": base64.b64encode(signature).decode(),
    }
    compressed = zlib.compress(json.dumps(document, separators=(",", ":")).encode())
    return base64.b64encode(compressed).decode().translate(str.maketrans("+/=", "*-_"))


class UserSigCache:
    """One UserSig for the admin account, renewed well before it expires. Thread-safe."""

    def __init__(self, settings: TencentSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._sig = ""
        self._expires_at = 0.0

    def current(self) -> str:
        with self._lock:
            now = self._clock.time()
            if now >= self._expires_at - USERSIG_RENEW_BEFORE:
                issued = int(now)
                self._sig = gen_usersig(
                    self._settings.sdkappid,
                    self._settings.secret_key,
                    self._settings.admin,
                    now=issued,
                )
                self._expires_at = issued + USERSIG_LIFETIME
            return self._sig


class TencentAuth(httpx.Auth):
    """Adds the REST query parameters, with a fresh 32-bit `random` per request."""

    def __init__(self, settings: TencentSettings, usersig: UserSigCache) -> None:
        self._settings = settings
        self._usersig = usersig

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(
            {
                "sdkappid": str(self._settings.sdkappid),
                "identifier": self._settings.admin,
                "usersig": self._usersig.current(),
                "random": str(secrets.randbits(32)),
                "contenttype": "json",
            }
        )
        yield request


def interpret(endpoint: str, response: httpx.Response) -> dict[str, Any]:
    body = json_object(VENDOR, endpoint, response)
    code = body.get("ErrorCode")
    if body.get("ActionStatus") == "OK" and code == 0:
        return body
    info = str(body.get("ErrorInfo") or "")
    code_number = code if isinstance(code, int) else -1
    cls, sentence, next_step = ERROR_CODES.get(
        code_number,
        (
            _generic_class(code_number),
            f"Tencent IM did not accept the request (code {code}: {info or 'no message'}).",
            "Try again; if it keeps failing, an operator can look the code up in Tencent's IM docs.",
        ),
    )
    context: dict[str, Any] = {
        "vendor": VENDOR,
        "endpoint": endpoint,
        "code": code,
        "vendor_message": info,
    }
    if cls is RateLimited:
        raise RateLimited(sentence, next_step, retry_after=60.0, **context)
    raise cls(sentence, next_step, **context)


def _generic_class(code: int) -> type[RequestFailed]:
    return AuthRejected if 70000 <= code < 80000 else RequestFailed


@dataclass(frozen=True, slots=True)
class PreparedSend:
    """A send_msg request body, ready and measured, identical on every retry."""

    body: dict[str, Any]
    size: int

    @property
    def msg_random(self) -> int:
        return int(self.body["MsgRandom"])


def msg_body(message: RenderedMessage) -> list[dict[str, Any]]:
    if isinstance(message, TextMessage):
        return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": message.text}}]
    assert isinstance(message, CardMessage)
    card = {
        "src": "22",
        "content": {
            "header": message.header,
            "desc": message.desc,
            "pic": message.pic,
            "url": message.url,
        },
        "customerServicePlugin": 0,
    }
    data = json.dumps(card, ensure_ascii=False, separators=(",", ":"))
    return [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": data}}]


def prepare_send(
    target: MessageTarget, body_elements: list[dict[str, Any]], msg_random: int
) -> PreparedSend:
    """Build and measure the send_msg body; BadRequest (93000's sentence) when over 12 KB."""
    body: dict[str, Any] = (
        {"SessionId": target.session_id}
        if target.session_id
        else {"FromAccount": target.from_account, "ToAccount": target.to_account}
    )
    body["MsgRandom"] = msg_random
    body["MsgBody"] = body_elements
    size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_BODY_BYTES:
        cls, sentence, next_step = ERROR_CODES[93000]
        raise cls(
            f"{sentence[:-1]}: this one is {size:,} bytes.",
            f"{next_step} Nothing was sent.",
            vendor=VENDOR,
            endpoint=SEND_MSG,
            code="size",
        )
    return PreparedSend(body=body, size=size)


class TencentDeskClient:
    def __init__(
        self,
        settings: TencentSettings,
        *,
        budget: Budget,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._usersig = UserSigCache(settings, clock)
        self._http = VendorHttp(
            vendor=VENDOR,
            base_url=settings.host,
            budget=budget,
            budget_scope=f"tencent:{settings.sdkappid}",
            limits=LIMITS,
            clock=clock,
            interpret=interpret,
            auth=TencentAuth(settings, self._usersig),
            headers={"Content-Type": "application/json"},
            transport=transport,
        )

    def im_agents(self, ids: Sequence[str] = ()) -> list[ImAgent]:
        body: dict[str, Any] = {"IMAgentUserIDList": list(ids)} if ids else {}
        answer = self._call(AGENT_LIST, body, Priority.READ, Retry.READ)
        return [_im_agent(row) for row in answer.get("Data") or [] if isinstance(row, dict)]

    def session_state(self, session_id: str) -> tuple[str, str]:
        """(CurrentState, AgentId) of a Desk session; NotFound when it is unknown or ended."""
        answer = self._call(SESSION_STATE, {"SessionId": session_id}, Priority.READ, Retry.READ)
        return str(answer.get("CurrentState") or ""), str(answer.get("AgentId") or "")

    def send(self, prepared: PreparedSend) -> None:
        """send_msg with the prepared body: the same MsgRandom on any retry."""
        self._call(SEND_MSG, prepared.body, Priority.WRITE, Retry.ONCE_UNLESS_UNSENT)

    def budget_key(self, endpoint: str) -> str:
        return self._http.budget_key(endpoint)

    def close(self) -> None:
        self._http.close()

    def _call(
        self, endpoint: str, body: dict[str, Any], priority: Priority, retry: Retry
    ) -> dict[str, Any]:
        return self._http.call(
            endpoint, f"/v4/desk_http_svc/{endpoint}", body, priority=priority, retry=retry
        )


def _im_agent(row: dict[str, Any]) -> ImAgent:
    settings = row.get("MultilingualSettings")
    languages = tuple(
        ImAgentLanguage(
            code=str(code),
            is_default=bool(lang.get("IsDefault")),
            welcome_message=str(lang.get("WelcomeMessage") or ""),
            work_time_type=_int(_dict(lang.get("WorkTimeConfig")).get("Type")),
            assignment_strategy=_int(lang.get("AssignmentStrategy")),
            satisfaction_invitation=_int(_dict(lang.get("Satisfaction")).get("InvitationMethod")),
        )
        for code, lang in (settings.items() if isinstance(settings, dict) else [])
        if isinstance(lang, dict)
    )
    group_id = row.get("AgentGroupId")
    return ImAgent(
        user_id=str(row.get("IMAgentUserID") or ""),
        nick=str(row.get("IMAgentNick") or ""),
        chatbot_enabled=not bool(row.get("ChatbotDisabled")),
        robot_id=str(row.get("RobotId") or ""),
        group_chat_mode=_int(row.get("GroupChatMode")),
        agent_group_id=group_id if isinstance(group_id, int) else None,
        languages=languages,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


__all__ = [
    "ERROR_CODES",
    "PreparedSend",
    "TencentDeskClient",
    "VendorError",
    "gen_usersig",
    "prepare_send",
]
