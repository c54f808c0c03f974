"""Typed results of the facade: what handlers see instead of vendor JSON.

Vendor quirks (priority "0" vs 0, missing fields, 0/1 booleans) are normalised before a
value reaches these classes, in `bot.vendors`; everything here is already clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

T = TypeVar("T")

ASSIGN_RULES: tuple[str, ...] = ("random", "queue", "least", "priority")
MEMORY_TIMES: tuple[int, ...] = (120, 1440, 10080, 43200)  # minutes, the only values 7moor takes


@dataclass(frozen=True, slots=True)
class Member:
    """One agent in a skill group's assignment list."""

    agent_number: str
    priority: int = 0
    name: str = ""


@dataclass(frozen=True, slots=True)
class SkillGroup:
    exten: str
    display_name: str
    assign_rule: str
    is_memory: bool
    memory_time: int | None
    update_time: str
    update_agent: str
    members: tuple[Member, ...]

    def roster(self) -> dict[str, int]:
        """agent number → priority: what a write compares and replaces."""
        return {m.agent_number: m.priority for m in self.members}


@dataclass(frozen=True, slots=True)
class AgentClaim:
    """A member's claiming state: does the agent take new chats on PC, on the mobile APP?"""

    agent_number: str
    name: str
    priority: int
    pc_claim: bool
    app_claim: bool
    phone: str = field(default="", repr=False)

    @property
    def claiming(self) -> bool:
        return self.pc_claim or self.app_claim

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


@dataclass(frozen=True, slots=True)
class GroupClaims:
    exten: str
    display_name: str
    assign_rule: str
    agents: tuple[AgentClaim, ...]

    @property
    def claiming_count(self) -> int:
        return sum(1 for agent in self.agents if agent.claiming)


@dataclass(frozen=True, slots=True)
class ImAgentLanguage:
    code: str
    is_default: bool
    welcome_message: str
    work_time_type: int  # 0 off, 1 weekly plan, 2 statutory working days
    assignment_strategy: int  # 0 automatic, 1 user picks a group, 2 business server
    satisfaction_invitation: int  # 0 off, 1 after session, 2 agent invites, 3 both


@dataclass(frozen=True, slots=True)
class ImAgent:
    """A Tencent IM Desk customer-service account (客服号) and its language settings."""

    user_id: str
    nick: str
    chatbot_enabled: bool
    robot_id: str
    group_chat_mode: int  # 0 none, 1 agents take group chats, 2 robot answers when @-mentioned
    agent_group_id: int | None
    languages: tuple[ImAgentLanguage, ...]

    @property
    def default_language(self) -> str | None:
        for language in self.languages:
            if language.is_default:
                return language.code
        return self.languages[0].code if self.languages else None


@dataclass(frozen=True, slots=True)
class NewGroup:
    """What `create_group` sends; validated before it goes, since 7moor silently defaults."""

    display_name: str
    assign_rule: str = "random"
    is_memory: bool = False
    memory_time: int | None = None
    members: tuple[Member, ...] = ()

    def problems(self) -> dict[str, str]:
        """field name → what is wrong; empty when the group can be created."""
        found: dict[str, str] = {}
        if not self.display_name.strip():
            found["display_name"] = "Give the group a name."
        elif len(self.display_name) > 64:
            found["display_name"] = "Keep the name to 64 characters or fewer."
        if self.assign_rule not in ASSIGN_RULES:
            found["assign_rule"] = f"Choose one of: {', '.join(ASSIGN_RULES)}."
        if self.is_memory and self.memory_time not in MEMORY_TIMES:
            found["memory_time"] = "Memory needs a duration: 2 hours, 1 day, 1 week or 30 days."
        if not self.is_memory and self.memory_time is not None:
            found["memory_time"] = "A memory duration only applies when memory is on."
        return found


@dataclass(frozen=True, slots=True)
class TextMessage:
    text: str


@dataclass(frozen=True, slots=True)
class CardMessage:
    """The Desk product card (custom message src 22)."""

    header: str
    desc: str
    pic: str
    url: str


RenderedMessage = TextMessage | CardMessage


@dataclass(frozen=True, slots=True)
class MessageTarget:
    """Where send_msg delivers: a Desk session, or agent account → user (app/client integration)."""

    session_id: str | None = None
    from_account: str | None = None
    to_account: str | None = None

    def __post_init__(self) -> None:
        by_session = self.session_id is not None
        by_accounts = self.from_account is not None and self.to_account is not None
        if by_session == by_accounts:
            raise ValueError("give a session ID, or both a from-account and a to-account")

    def describe(self) -> str:
        if self.session_id:
            return f"session {self.session_id}"
        return f"{self.from_account} → {self.to_account}"


SessionState = Literal["NotInSession", "Chatbot", "WaitingForAgentAnswering", "Queueing", "Agent"]


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """A value read from a vendor, with when it was read and whether it is stale.

    `stale` is true when a fresh read was not possible (budget spent, vendor down) and the
    last good answer is served instead; `stale_reason` says why, in a supervisor's words.
    """

    value: T
    fetched_at: float
    stale: bool = False
    stale_reason: str = ""

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


_PHONE_DIGITS = re.compile(r"\d")


def mask_phone(phone: str) -> str:
    """Keep the first three and last two digits: 15711356914 → 157******14."""
    digits = _PHONE_DIGITS.findall(phone)
    if len(digits) < 6:
        return "*" * len(digits)
    return "".join(digits[:3]) + "*" * (len(digits) - 5) + "".join(digits[-2:])
