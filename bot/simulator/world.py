"""The simulated world both vendors answer from: agents, skill groups, IM agents, sessions.

Plain mutable dataclasses, so a test can arrange a situation directly (an agent stops
claiming, a session ends, someone edits a group in the vendor console) and then watch how
the bot copes. The vendor handlers read and change the same objects.

`World.lock` serialises the server threads; tests that change the world while requests are
in flight take it too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.clock import Clock
from bot.simulator.beijing import update_time

AssignRule = Literal["random", "queue", "least", "priority"]
SessionState = Literal["NotInSession", "Chatbot", "WaitingForAgentAnswering", "Queueing", "Agent"]

ASSIGN_RULES: tuple[str, ...] = ("random", "queue", "least", "priority")
MEMORY_TIMES: tuple[str, ...] = ("120", "1440", "10080", "43200")
SESSION_STATES: tuple[str, ...] = (
    "NotInSession",
    "Chatbot",
    "WaitingForAgentAnswering",
    "Queueing",
    "Agent",
)
ENDED_STATE: SessionState = "NotInSession"


@dataclass(slots=True)
class Agent:
    """A 7moor agent (坐席) in the account's directory, with where they claim new chats."""

    number: str
    name: str
    phone: str
    pc_claim: bool
    app_claim: bool


@dataclass(slots=True)
class GroupMember:
    agent_number: str
    priority: int = 0


@dataclass(slots=True)
class SkillGroup:
    """A 7moor webChat skill group (技能组); `memory_time` is a string, as the vendor keeps it."""

    exten: str
    display_name: str
    assign_rule: str
    is_memory: bool
    memory_time: str
    update_time: str
    update_agent: str
    members: list[GroupMember] = field(default_factory=list)

    def member_numbers(self) -> list[str]:
        return [member.agent_number for member in self.members]


@dataclass(slots=True)
class ImAgent:
    """A Tencent IM Desk customer-service account (客服号); `document` is its vendor JSON."""

    user_id: str
    document: dict[str, Any]


@dataclass(slots=True)
class Session:
    """A Tencent IM Desk chat session between a customer and a customer-service account."""

    session_id: str
    im_agent_id: str
    user_id: str
    state: SessionState
    agent_id: str = ""

    @property
    def ended(self) -> bool:
        return self.state == ENDED_STATE


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message send_msg delivered (duplicates it acknowledged without delivering are absent)."""

    time: float
    session_id: str | None
    from_account: str
    to_account: str
    msg_random: int
    msg_body: list[dict[str, Any]]
    cloud_custom_data: str | None = None


class World:
    """Everything the simulated vendors know. Change it freely between requests."""

    def __init__(self, clock: Clock) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self.agents: dict[str, Agent] = {}
        self.groups: dict[str, SkillGroup] = {}
        self.im_agents: dict[str, ImAgent] = {}
        self.sessions: dict[str, Session] = {}
        self.delivered: list[SentMessage] = []

    def replace_with(self, other: World) -> None:
        """Take over `other`'s contents in place, so references to this world stay valid."""
        with self.lock:
            self.agents = other.agents
            self.groups = other.groups
            self.im_agents = other.im_agents
            self.sessions = other.sessions
            self.delivered = other.delivered

    # 7moor ---------------------------------------------------------------------------------

    def group(self, exten: str) -> SkillGroup | None:
        return self.groups.get(exten)

    def agent_name(self, number: str) -> str:
        """The directory name, or the number itself (the vendor shows "23235" for 23235)."""
        agent = self.agents.get(number)
        return agent.name if agent and agent.name else number

    def set_claim(
        self, agent_number: str, *, pc: bool | None = None, app: bool | None = None
    ) -> None:
        """Switch an agent's PC and/or APP claiming, as the agent would in their client."""
        with self.lock:
            agent = self.agents[agent_number]
            if pc is not None:
                agent.pc_claim = pc
            if app is not None:
                agent.app_claim = app

    def replace_members(
        self,
        exten: str,
        members: Iterable[tuple[str, int] | GroupMember],
        *,
        update_agent: str = "",
    ) -> SkillGroup:
        """Replace a group's member list and stamp it, as a console edit or the API does.

        Unlike the API, this does not skip unknown agents: a test may want a member the
        directory no longer has.
        """
        with self.lock:
            group = self.groups[exten]
            group.members = [
                m if isinstance(m, GroupMember) else GroupMember(m[0], m[1]) for m in members
            ]
            self.touch(group, update_agent=update_agent)
            return group

    def touch(self, group: SkillGroup, *, update_agent: str = "") -> None:
        """Stamp a change: the vendor updates `updateTime` (Beijing time) on every change."""
        group.update_time = update_time(self._clock.time())
        group.update_agent = update_agent

    def next_exten(self) -> str:
        numeric = [int(exten) for exten in self.groups if exten.isdigit()]
        return str(max(numeric, default=10019000) + 1)

    def add_group(self, group: SkillGroup) -> SkillGroup:
        with self.lock:
            self.groups[group.exten] = group
            return group

    def remove_group(self, exten: str) -> None:
        """Delete a group, as someone might in the vendor console (the API cannot)."""
        with self.lock:
            del self.groups[exten]

    # Tencent IM Desk -------------------------------------------------------------------------

    def end_session(self, session_id: str) -> None:
        """End a session, as a customer or agent closing the chat would."""
        self.set_session_state(session_id, ENDED_STATE)

    def set_session_state(self, session_id: str, state: SessionState, agent_id: str = "") -> None:
        if state not in SESSION_STATES:
            raise ValueError(f"unknown session state {state!r}")
        with self.lock:
            session = self.sessions[session_id]
            session.state = state
            session.agent_id = agent_id if state == "Agent" else ""

    def delivered_since(
        self, key: tuple[str, ...], msg_random: int, since: float
    ) -> SentMessage | None:
        """A message delivered after `since` to the same target with the same MsgRandom."""
        for message in reversed(self.delivered):
            if message.time <= since:
                return None
            if message.msg_random == msg_random and delivery_key(message) == key:
                return message
        return None


def delivery_key(message: SentMessage) -> tuple[str, ...]:
    """What "the same target" means for de-duplication: the session, or from → to."""
    if message.session_id is not None:
        return ("session", message.session_id)
    return ("accounts", message.from_account, message.to_account)
