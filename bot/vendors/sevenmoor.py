"""7moor (七陌) webChat skill-group API: signing, answers and quirks, in one place.

Quirks handled here so nothing above has to know them (see api-docs/NOTES.md, section A):
- the sig timestamp is Beijing time (configurable), never the machine's own zone;
- list answers carry no `code`: success is `success: true` with `data`, never `code` alone;
- error codes come in the body (HTTP 200) or, possibly, as the HTTP status: both are read;
- the over-limit answer is undocumented: HTTP 429, body code 429 or a "too frequent" message;
- `priority` is a number going in and a string coming out; booleans may be strings;
- `count` may exceed one page: further pages are fetched only while members are missing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Generator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.budget import Budget, EndpointLimit, Priority
from bot.clock import Clock
from bot.errors import (
    AuthRejected,
    BadRequest,
    MalformedAnswer,
    RateLimited,
    RequestFailed,
    VendorFailure,
)
from bot.models import AgentClaim, GroupClaims, Member, NewGroup, SkillGroup
from bot.settings import SevenMoorSettings
from bot.vendors._http import Retry, VendorHttp, json_object

VENDOR = "7moor"
API_VERSION = "v20210827"
PAGE_SIZE = 100

ADD_QUEUE = "addQueue"
UPDATE_MEMBERS = "updateQueueAssignMembers"
QUERY_GROUPS = "queueQueue"
CLAIM_STATUS = "queueQueueAgentClaimStatus"

# Documented per-endpoint limits. queueQueue keeps 6 calls a minute for writes: each change
# re-reads before and verifies after, and an Undo does the same.
LIMITS: dict[str, EndpointLimit] = {
    ADD_QUEUE: EndpointLimit(calls=20),
    UPDATE_MEMBERS: EndpointLimit(calls=20),
    QUERY_GROUPS: EndpointLimit(calls=20, reserve=6),
    CLAIM_STATUS: EndpointLimit(calls=100),
}

_TOO_FREQUENT = re.compile(r"limit|frequen|too many|频繁|频率|次数|限流", re.IGNORECASE)


def sig_timestamp(now: float, timezone: str) -> str:
    """`yyyyMMddHHmmss` in the vendor's zone (Asia/Shanghai by default)."""
    return datetime.fromtimestamp(now, ZoneInfo(timezone)).strftime("%Y%m%d%H%M%S")


def sign(account_id: str, api_secret: str, timestamp: str) -> str:
    """The `sig` query parameter: upper-case hex MD5 of account + secret + timestamp."""
    digest = hashlib.md5(f"{account_id}{api_secret}{timestamp}".encode(), usedforsecurity=False)
    return digest.hexdigest().upper()


def authorization(account_id: str, timestamp: str) -> str:
    """The `Authorization` header: Base64 of `account:timestamp`."""
    return base64.b64encode(f"{account_id}:{timestamp}".encode()).decode()


class SevenMoorAuth(httpx.Auth):
    """Signs each request (each retry too) with a fresh timestamp; performs no I/O."""

    def __init__(self, settings: SevenMoorSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        timestamp = sig_timestamp(self._clock.time(), self._settings.timezone)
        account = self._settings.account_id
        request.url = request.url.copy_merge_params(
            {"sig": sign(account, self._settings.api_secret, timestamp)}
        )
        request.headers["Authorization"] = authorization(account, timestamp)
        yield request


def interpret(endpoint: str, response: httpx.Response) -> dict[str, Any]:
    """The body of a successful answer; any other answer becomes the matching VendorError."""
    context = {"vendor": VENDOR, "endpoint": endpoint}
    if response.status_code == 429:
        raise RateLimited(
            "7moor says deskbot is calling too often.",
            "Try again in a minute.",
            code=429,
            retry_after=_retry_after(response),
            **context,
        )
    body = json_object(VENDOR, endpoint, response)
    code = _int_or_none(body.get("code"))
    message = str(body.get("message") or "")
    failed = not _bool(body.get("success")) or (code is not None and code != 200)
    if response.status_code >= 400 and code is None:
        code = response.status_code
        failed = True
    if not failed:
        return body
    if code == 429 or _TOO_FREQUENT.search(message):
        raise RateLimited(
            "7moor says deskbot is calling too often.",
            "Try again in a minute.",
            code=code,
            vendor_message=message,
            retry_after=_retry_after(response),
            **context,
        )
    if code in (401, 403):
        raise AuthRejected(
            "7moor rejected deskbot's credentials or signature.",
            "An operator should check SEVENMOOR_ACCOUNT_ID, SEVENMOOR_API_SECRET, "
            "SEVENMOOR_TIMEZONE and the server clock (`deskbot check`).",
            code=code,
            vendor_message=message,
            **context,
        )
    if code == 400:
        raise BadRequest(
            f"7moor refused the request ({message or 'bad parameters'}).",
            "Check the group and agent numbers; nothing was changed.",
            code=code,
            vendor_message=message,
            **context,
        )
    if code is not None and code >= 500:
        raise VendorFailure(
            "7moor had an internal error.",
            "Try again in a minute.",
            code=code,
            vendor_message=message,
            **context,
        )
    raise RequestFailed(
        f"7moor did not accept the request (code {code}: {message or 'no message'}).",
        "Try again; if it keeps failing, an operator can look it up in 7moor's console.",
        code=code,
        vendor_message=message,
        **context,
    )


class SevenMoorClient:
    """Typed calls to the four skill-group endpoints."""

    def __init__(
        self,
        settings: SevenMoorSettings,
        *,
        budget: Budget,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._account = settings.account_id
        self._http = VendorHttp(
            vendor=VENDOR,
            base_url=settings.host,
            budget=budget,
            budget_scope=f"7moor:{settings.account_id}",
            limits=LIMITS,
            clock=clock,
            interpret=interpret,
            auth=SevenMoorAuth(settings, clock),
            headers={"Content-Type": "application/json;charset=utf-8"},
            transport=transport,
        )

    def query_groups(
        self,
        *,
        exten: str | None = None,
        display_name: str | None = None,
        priority: Priority = Priority.READ,
    ) -> list[SkillGroup]:
        """Every group matching (all pages), or the one group with `exten` ([] if none)."""
        query: dict[str, Any] = {"exten": exten} if exten else {}
        if display_name and not exten:
            query["displayName"] = display_name
        rows = self._all_pages(QUERY_GROUPS, query, priority)
        return [_group(row) for row in rows]

    def count_groups(self) -> int:
        """One cheap call (a page of one) that proves URL, account, signature and clock."""
        answer = self._http.call(
            QUERY_GROUPS,
            self._path(QUERY_GROUPS),
            {"page": 1, "pageSize": 1},
            priority=Priority.READ,
            retry=Retry.READ,
        )
        rows, count = _page(QUERY_GROUPS, answer.get("data") or {"list": [], "count": 0})
        return count if count else len(rows)

    def claim_status(self, exten: str, *, priority: Priority = Priority.READ) -> GroupClaims | None:
        rows = self._all_pages(CLAIM_STATUS, {"exten": exten}, priority)
        matching = [row for row in rows if str(row.get("exten", "")) == exten]
        return _claims(matching[0]) if matching else None

    def add_queue(self, group: NewGroup) -> str:
        body: dict[str, Any] = {
            "displayName": group.display_name,
            "assignRule": group.assign_rule,
            "isMemory": group.is_memory,
            "assignMembers": _member_payload(group.members),
        }
        if group.is_memory and group.memory_time is not None:
            body["memoryTime"] = str(group.memory_time)
        answer = self._http.call(
            ADD_QUEUE, self._path(ADD_QUEUE), body, priority=Priority.WRITE, retry=Retry.NEVER
        )
        exten = str((answer.get("data") or {}).get("exten") or "")
        if not exten:
            raise MalformedAnswer(
                "7moor said the group was created but did not say its exten.",
                "Look for it with `/desk groups` before creating it again.",
                vendor=VENDOR,
                endpoint=ADD_QUEUE,
            )
        return exten

    def update_members(self, exten: str, members: Sequence[Member]) -> None:
        """Replace the whole member list (the vendor skips unknown agents silently)."""
        self._http.call(
            UPDATE_MEMBERS,
            self._path(UPDATE_MEMBERS),
            {"exten": exten, "assignMembers": _member_payload(members)},
            priority=Priority.WRITE,
            retry=Retry.IDEMPOTENT,
        )

    def budget_key(self, endpoint: str) -> str:
        return self._http.budget_key(endpoint)

    def close(self) -> None:
        self._http.close()

    def _path(self, endpoint: str) -> str:
        return f"/{API_VERSION}/webChat/{endpoint}/{self._account}"

    def _all_pages(
        self, endpoint: str, query: dict[str, Any], priority: Priority
    ) -> list[dict[str, Any]]:
        """Rows of every page, each group once (by exten), in the vendor's order."""
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        page, size = 1, PAGE_SIZE
        while True:
            answer = self._http.call(
                endpoint,
                self._path(endpoint),
                {**query, "page": page, "pageSize": size},
                priority=priority,
                retry=Retry.READ,
            )
            data = answer.get("data")
            if data is None:  # "wrong exten gives an empty result"
                return rows
            page_rows, count = _page(endpoint, data)
            # A group added or removed meanwhile shifts the pages: never list one twice.
            fresh = [row for row in page_rows if not _seen(row, seen)]
            rows.extend(fresh)
            # Stop on a page with nothing new too: a vendor that caps pageSize below ours is
            # followed page by page, and one that ignores `page` cannot loop us.
            if not fresh or len(rows) >= count or "exten" in query:
                return rows
            if page == 1 and len(page_rows) < size:
                # The vendor caps pages below our size. Ask for its size from now on, so page N
                # starts at the same group whether it counts offsets in our size or in its own.
                size = len(page_rows)
            page += 1


def _page(endpoint: str, data: Any) -> tuple[list[dict[str, Any]], int]:
    listing = data.get("list") if isinstance(data, dict) else data
    if not isinstance(listing, list) or not all(isinstance(row, dict) for row in listing):
        raise MalformedAnswer(
            "7moor sent a list deskbot cannot read.",
            "Nothing was assumed from it. Try again in a minute.",
            vendor=VENDOR,
            endpoint=endpoint,
        )
    count = _int_or_none(data.get("count")) if isinstance(data, dict) else None
    return listing, count if count is not None else len(listing)


def _seen(row: dict[str, Any], seen: set[str]) -> bool:
    """Whether the row's group was listed already (and remember it); rows without exten: never."""
    exten = str(row.get("exten") or "")
    if not exten:
        return False
    if exten in seen:
        return True
    seen.add(exten)
    return False


def _member_payload(members: Sequence[Member]) -> list[dict[str, Any]]:
    return [{"agentNumber": m.agent_number, "priority": m.priority} for m in members]


def _group(row: dict[str, Any]) -> SkillGroup:
    members = tuple(
        Member(
            agent_number=str(raw.get("agentNumber", "")),
            priority=_int_or_none(raw.get("priority")) or 0,
            name=str(raw.get("agentName") or ""),
        )
        for raw in _rows(row.get("assignMembers"))
    )
    return SkillGroup(
        exten=str(row.get("exten", "")),
        display_name=str(row.get("displayName") or ""),
        assign_rule=str(row.get("assignRule") or "random"),
        is_memory=_bool(row.get("isMemory")),
        memory_time=_int_or_none(row.get("memoryTime")) if _bool(row.get("isMemory")) else None,
        update_time=str(row.get("updateTime") or ""),
        update_agent=str(row.get("updateAgent") or ""),
        members=members,
    )


def _claims(row: dict[str, Any]) -> GroupClaims:
    return GroupClaims(
        exten=str(row.get("exten", "")),
        display_name=str(row.get("displayName") or ""),
        assign_rule=str(row.get("assignRule") or "random"),
        agents=tuple(
            AgentClaim(
                agent_number=str(raw.get("agentNumber", "")),
                name=str(raw.get("agentName") or ""),
                priority=_int_or_none(raw.get("priority")) or 0,
                pc_claim=_bool(raw.get("pcAutoClaim")),
                app_claim=_bool(raw.get("mobileAutoClaim")),
                phone=str(raw.get("phone") or ""),
            )
            for raw in _rows(row.get("assignMembers"))
        ),
    )


def _rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _retry_after(response: httpx.Response) -> float:
    header = response.headers.get("Retry-After", "")
    return float(header) if header.isdigit() else 60.0
