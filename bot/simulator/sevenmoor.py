"""7moor webChat skill-group API, as its document (webchat-skill-group-queue-api.txt) and
api-docs/NOTES.md section A describe it.

Order of checks for every request: known endpoint (404), POST (405), account in the path,
sig and Authorization (403), rate limit (429), then the body (400) and the endpoint itself.
Only requests that pass the rate limit count toward its window.

Decisions where the documents are silent (each is a fault switch or documented here):
- error answers are HTTP 200 with the code in the body, unless
  `sevenmoor_error_http_status` is on; over-limit answers are HTTP 429 (body code 429),
  unless `sevenmoor_over_limit_http_200` is on;
- `displayName` filters by substring; `exten` wins over everything, paging included;
- a missing or non-array `assignMembers` in updateQueueAssignMembers is a 400, not "replace
  with nothing": the field is the whole point of the call;
- memoryTime outside the four allowed values becomes "120" when memory is on, "" when off;
- failures of updateQueueAssignMembers carry the message the document shows for it,
  "create Queue error" (the vendor's document reuses addQueue's).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from bot.simulator.beijing import update_time
from bot.simulator.faults import FaultSwitches
from bot.simulator.limits import SlidingWindowLimiter
from bot.simulator.signatures import SignatureRefused, verify_sevenmoor
from bot.simulator.wire import Outcome, Request, json_answer
from bot.simulator.world import (
    ASSIGN_RULES,
    MEMORY_TIMES,
    GroupMember,
    SkillGroup,
    World,
)

VENDOR = "7moor"
ADD_QUEUE = "addQueue"
UPDATE_MEMBERS = "updateQueueAssignMembers"
QUERY_GROUPS = "queueQueue"
CLAIM_STATUS = "queueQueueAgentClaimStatus"

LIMITS_PER_MINUTE: dict[str, int] = {
    ADD_QUEUE: 20,
    UPDATE_MEMBERS: 20,
    QUERY_GROUPS: 20,
    CLAIM_STATUS: 100,
}
RATE_WINDOW = 60.0
DEFAULT_PAGE = 1
DEFAULT_PAGE_SIZE = 10
DEFAULT_ASSIGN_RULE = "random"
DEFAULT_MEMORY_TIME = "120"

CREATE_FAILED = "create Queue error"
UPDATE_FAILED = "create Queue error"
LIST_OK = "200 ok!"
WRITE_OK = "success!"

_PATH = re.compile(r"^/v20210827/webChat/(?P<endpoint>[^/]+)/(?P<account>[^/]*)$")


class SevenMoorApi:
    """Answers the four skill-group endpoints from a `World`."""

    vendor = VENDOR

    def __init__(
        self,
        world: World,
        limiter: SlidingWindowLimiter,
        *,
        account_id: str,
        api_secret: str,
    ) -> None:
        self._world = world
        self._limiter = limiter
        self._account_id = account_id
        self._api_secret = api_secret

    def route(self, path: str) -> str | None:
        """The endpoint name when `path` is a webChat API path, else None."""
        match = _PATH.match(path)
        return match["endpoint"] if match else None

    def handle(
        self, request: Request, endpoint: str, switches: FaultSwitches, now: float
    ) -> Outcome:
        if endpoint not in LIMITS_PER_MINUTE:
            return _failure(404, f"no such endpoint: {endpoint}", http_status=404)
        if request.method != "POST":
            return _failure(
                405, f"Request method '{request.method}' not supported", http_status=405
            )
        match = _PATH.match(request.path)
        account = match["account"] if match else ""
        if account != self._account_id:
            return _error(switches, 403, "auth failed: unknown account")
        try:
            verify_sevenmoor(
                account_id=account,
                api_secret=self._api_secret,
                sig=request.query.get("sig"),
                authorization=request.headers.get("authorization"),
                now=now,
            )
        except SignatureRefused as refused:
            return _error(switches, refused.code, f"auth failed: {refused.reason}")
        limit = LIMITS_PER_MINUTE[endpoint]
        if switches.over_limit or not self._limiter.try_acquire(
            (account, endpoint), limit=limit, window=RATE_WINDOW, now=now
        ):
            return _over_limit(switches, limit)
        return dataclasses.replace(self._accepted(request, endpoint, switches, now), accepted=True)

    def _accepted(
        self, request: Request, endpoint: str, switches: FaultSwitches, now: float
    ) -> Outcome:
        if switches.internal_error:
            return _error(switches, 500, "server error")
        try:
            body = request.json()
        except ValueError:
            return _error(switches, 400, "request body is not JSON")
        if not isinstance(body, dict):
            return _error(switches, 400, "request body must be a JSON object")
        with self._world.lock:
            if endpoint == QUERY_GROUPS:
                return self._query_groups(body)
            if endpoint == CLAIM_STATUS:
                return self._claim_status(body)
            if endpoint == UPDATE_MEMBERS:
                return self._update_members(body, switches)
            return self._add_queue(body, switches, now)

    def _query_groups(self, body: dict[str, Any]) -> Outcome:
        count, groups = self._select_page(body)
        return _listing(count, [self._group_row(group) for group in groups])

    def _claim_status(self, body: dict[str, Any]) -> Outcome:
        count, groups = self._select_page(body)
        return _listing(count, [self._claim_row(group) for group in groups])

    def _update_members(self, body: dict[str, Any], switches: FaultSwitches) -> Outcome:
        exten = _text(body.get("exten"))
        group = self._world.group(exten) if exten else None
        if group is None or not isinstance(body.get("assignMembers"), list):
            return _error(switches, 400, UPDATE_FAILED)
        group.members = self._known_members(body["assignMembers"])
        self._world.touch(group)
        return Outcome(json_answer({"code": 200, "success": True, "message": WRITE_OK}), code=200)

    def _add_queue(self, body: dict[str, Any], switches: FaultSwitches, now: float) -> Outcome:
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            return _error(switches, 400, CREATE_FAILED)
        rule = body.get("assignRule")
        is_memory = _flag(body.get("isMemory"))
        memory_time = _memory_time(body.get("memoryTime"))
        group = self._world.add_group(
            SkillGroup(
                exten=self._world.next_exten(),
                display_name=name,
                assign_rule=rule if rule in ASSIGN_RULES else DEFAULT_ASSIGN_RULE,
                is_memory=is_memory,
                memory_time=memory_time or (DEFAULT_MEMORY_TIME if is_memory else ""),
                update_time=update_time(now),
                update_agent="",
                members=self._known_members(body.get("assignMembers")),
            )
        )
        answer = {"code": 200, "success": True, "message": WRITE_OK, "data": {"exten": group.exten}}
        return Outcome(json_answer(answer), code=200)

    def _select_page(self, body: dict[str, Any]) -> tuple[int, list[SkillGroup]]:
        """(total count, groups on the requested page); an exten ignores everything else."""
        exten = _text(body.get("exten"))
        if exten:
            group = self._world.group(exten)
            return (1, [group]) if group else (0, [])
        name = _text(body.get("displayName"))
        groups = [g for g in self._world.groups.values() if not name or name in g.display_name]
        page = _positive(body.get("page"), DEFAULT_PAGE)
        size = _positive(body.get("pageSize"), DEFAULT_PAGE_SIZE)
        start = (page - 1) * size
        return len(groups), groups[start : start + size]

    def _known_members(self, raw: Any) -> list[GroupMember]:
        """Members the directory knows, first mention wins; the rest skipped silently."""
        members: list[GroupMember] = []
        seen: set[str] = set()
        for entry in raw if isinstance(raw, list) else []:
            if not isinstance(entry, dict):
                continue
            number = _text(entry.get("agentNumber"))
            if not number or number in seen or number not in self._world.agents:
                continue
            seen.add(number)
            members.append(GroupMember(number, _priority(entry.get("priority"))))
        return members

    def _group_row(self, group: SkillGroup) -> dict[str, Any]:
        return {
            "displayName": group.display_name,
            "exten": group.exten,
            "assignRule": group.assign_rule,
            "isMemory": group.is_memory,
            "memoryTime": group.memory_time,
            "updateTime": group.update_time,
            "updateAgent": group.update_agent,
            "assignMembers": [
                {
                    "agentNumber": member.agent_number,
                    "agentName": self._world.agent_name(member.agent_number),
                    "priority": str(member.priority),
                }
                for member in group.members
            ],
        }

    def _claim_row(self, group: SkillGroup) -> dict[str, Any]:
        rows = []
        for member in group.members:
            agent = self._world.agents.get(member.agent_number)
            rows.append(
                {
                    "agentNumber": member.agent_number,
                    "agentName": self._world.agent_name(member.agent_number),
                    "pcAutoClaim": agent.pc_claim if agent else False,
                    "mobileAutoClaim": agent.app_claim if agent else False,
                    "priority": str(member.priority),
                    "phone": agent.phone if agent else "",
                }
            )
        return {
            "displayName": group.display_name,
            "exten": group.exten,
            "assignRule": group.assign_rule,
            "assignMembers": rows,
        }


def _listing(count: int, rows: list[dict[str, Any]]) -> Outcome:
    """A list answer: no `code` field, exactly as the document's examples."""
    answer = {"success": True, "data": {"count": count, "list": rows}, "message": LIST_OK}
    return Outcome(json_answer(answer), code=200)


def _failure(code: int, message: str, *, http_status: int) -> Outcome:
    return Outcome(
        json_answer({"code": code, "success": False, "message": message}, http_status), code=code
    )


def _error(switches: FaultSwitches, code: int, message: str) -> Outcome:
    """A business error: body code with HTTP 200, or the matching HTTP status if switched."""
    return _failure(
        code, message, http_status=code if switches.sevenmoor_error_http_status else 200
    )


def _over_limit(switches: FaultSwitches, limit: int) -> Outcome:
    message = f"request too frequent: limit {limit} per minute (接口调用过于频繁)"
    status = 200 if switches.sevenmoor_over_limit_http_200 else 429
    return dataclasses.replace(_failure(429, message, http_status=status), over_limit=True)


def _text(value: Any) -> str | None:
    """A string field as the vendor's JSON binding reads it: numbers become strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _positive(value: Any, default: int) -> int:
    number = _whole_number(value)
    return number if number is not None and number >= 1 else default


def _priority(value: Any) -> int:
    """Missing, not a number, or negative: 0, the documented default."""
    number = _whole_number(value)
    return number if number is not None and number >= 0 else 0


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _memory_time(value: Any) -> str | None:
    text = _text(value)
    return text if text in MEMORY_TIMES else None
