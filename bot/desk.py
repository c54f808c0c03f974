"""The facade: every domain operation a handler can ask for, and nothing about Slack.

Handlers call one method here and render what comes back (dataclasses from `bot.models`,
`ChangeResult`, `Preview`, `SendResult`) or the `DeskError` it raises. Behind it: the vendor
clients (the only code that knows a vendor), the budget, the read cache, per-group locks and
the durable state. Permissions are checked here too, so no handler can forget them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from bot import roster
from bot.budget import Budget
from bot.cache import ReadCache
from bot.cache_shared import SharedReads
from bot.changes import ChangeConflictWithState, ChangeResult, GroupVersion, MemberChanges
from bot.clock import SYSTEM_CLOCK, Clock
from bot.errors import (
    AmbiguousGroup,
    DeskError,
    GroupNotFound,
    NotConfigured,
    PermissionRefused,
    RequestError,
    may_have_arrived,
)
from bot.locks import GroupLocks, SharedGroupLocks
from bot.messages import MessageTemplates, TemplateInfo
from bot.models import (
    GroupClaims,
    ImAgent,
    MessageTarget,
    NewGroup,
    Reading,
    SkillGroup,
)
from bot.sending import MessageSender, Preview, SendAttempt, SendResult
from bot.settings import Settings
from bot.shared import SharedRedis
from bot.state import ChangeRecord, SqliteStateStore, StateStore
from bot.state_redis import RedisStateStore
from bot.vendors.sevenmoor import SevenMoorClient
from bot.vendors.tencent import TencentDeskClient

logger = logging.getLogger(__name__)

GROUPS_TTL = 60.0  # the group list changes rarely, and every write through us invalidates it
CLAIMS_TTL = 15.0  # claiming state moves with agents' clicks; 15 s is "right now" enough
IM_AGENTS_TTL = 300.0

SEVENMOOR_VARIABLES = ("SEVENMOOR_HOST", "SEVENMOOR_ACCOUNT_ID", "SEVENMOOR_API_SECRET")
TENCENT_VARIABLES = ("TENCENT_IM_SDKAPPID", "TENCENT_IM_SECRET_KEY")


class InvalidGroup(DeskError):
    """A new group's fields are wrong; `.problems` maps field → sentence (for a modal)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(" ".join(problems.values()), "Nothing was created.")
        self.problems = dict(problems)


@dataclass
class Desk:
    sevenmoor: SevenMoorClient | None
    tencent: TencentDeskClient | None
    state: StateStore
    templates: MessageTemplates
    admins: frozenset[str] = frozenset()
    agent_map: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = SYSTEM_CLOCK
    cache: ReadCache = field(default_factory=ReadCache)
    locks: GroupLocks = field(default_factory=GroupLocks)
    on_change: Callable[[ChangeRecord], None] = lambda _record: None
    on_send: Callable[[SendAttempt], None] = lambda _attempt: None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        state: StateStore | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Desk:
        """The facade for `settings`; with DESK_REDIS_URL, everything shared lives in Redis."""
        shared = SharedRedis(settings.redis_url, clock=clock) if settings.redis_url else None
        if shared is not None:
            logger.info("sharing budget, cache, locks and state through Redis at %s", shared.label)
        budget = Budget(clock=clock, shared=shared)
        if state is None:
            state = (
                SqliteStateStore(settings.state_path, clock=clock)
                if shared is None
                else RedisStateStore(shared, clock=clock)
            )
        return cls(
            sevenmoor=SevenMoorClient(
                settings.sevenmoor, budget=budget, clock=clock, transport=transport
            )
            if settings.sevenmoor
            else None,
            tencent=TencentDeskClient(
                settings.tencent, budget=budget, clock=clock, transport=transport
            )
            if settings.tencent
            else None,
            state=state,
            templates=MessageTemplates(),
            admins=settings.admins,
            agent_map=dict(settings.agent_map),
            clock=clock,
            cache=ReadCache(
                clock=clock, shared=SharedReads(shared, clock=clock) if shared else None
            ),
            locks=SharedGroupLocks(shared) if shared else GroupLocks(),
        )

    # ---- reading ----------------------------------------------------------------------

    def groups(self, filter_text: str | None = None) -> Reading[list[SkillGroup]]:
        """All skill groups (every page), optionally those whose name or exten contains the text."""
        client = self._sevenmoor()
        reading = self.cache.get(("groups",), GROUPS_TTL, client.query_groups)
        if not filter_text:
            return reading
        needle = filter_text.casefold()
        matching = [
            g for g in reading.value if needle in g.display_name.casefold() or needle in g.exten
        ]
        return Reading(matching, reading.fetched_at, reading.stale, reading.stale_reason)

    def find_group(self, query: str) -> SkillGroup:
        """Exact exten, then exact name, then a unique partial name; never a guess."""
        text = query.strip()
        if not text:  # "" is a substring of every name: it would match them all
            raise GroupNotFound(text)
        groups = self.groups().value
        for matches in (
            [g for g in groups if g.exten == text],
            [g for g in groups if g.display_name == text],
            [g for g in groups if g.display_name.casefold() == text.casefold()],
            [g for g in groups if text.casefold() in g.display_name.casefold()],
        ):
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise AmbiguousGroup(text, [(g.exten, g.display_name) for g in matches])
        raise GroupNotFound(text)

    def claims(self, query: str) -> Reading[GroupClaims]:
        """Who in the group claims chats on PC and on the APP, right now (cached ~15 s)."""
        group = self.find_group(query)
        client = self._sevenmoor()

        def fetch() -> GroupClaims:
            found = client.claim_status(group.exten)
            if found is None:  # the list said it exists; claim status disagrees: show it empty
                return GroupClaims(group.exten, group.display_name, group.assign_rule, ())
            return found

        return self.cache.get(("claims", group.exten), CLAIMS_TTL, fetch)

    def im_agents(self, user_id: str | None = None) -> Reading[list[ImAgent]]:
        client = self._tencent()
        reading = self.cache.get(("im_agents",), IM_AGENTS_TTL, client.im_agents)
        if user_id is None:
            return reading
        matching = [a for a in reading.value if a.user_id == user_id]
        return Reading(matching, reading.fetched_at, reading.stale, reading.stale_reason)

    def recent_changes(self, group_query: str | None = None, limit: int = 15) -> list[ChangeRecord]:
        exten = self.find_group(group_query).exten if group_query else None
        return self.state.recent_changes(exten=exten, limit=limit)

    def message_templates(self) -> list[TemplateInfo]:
        return self.templates.list()

    def agent_for(self, slack_user_id: str) -> str | None:
        """The agent number a Slack user is mapped to by DESK_AGENT_MAP."""
        return self.agent_map.get(slack_user_id)

    def is_admin(self, slack_user_id: str) -> bool:
        return slack_user_id in self.admins

    # ---- changing skill groups --------------------------------------------------------

    def add_member(
        self, actor: str, group_query: str, agent: str, priority: int = 0
    ) -> ChangeResult:
        group = self._writable(actor, group_query)
        return self._changes().change(
            actor=actor,
            action="add",
            exten=group.exten,
            edit=lambda g: roster.add(g.members, agent, priority),
        )

    def remove_member(self, actor: str, group_query: str, agent: str) -> ChangeResult:
        group = self._writable(actor, group_query)
        return self._changes().change(
            actor=actor,
            action="remove",
            exten=group.exten,
            edit=lambda g: roster.remove(g.members, agent),
        )

    def swap_members(self, actor: str, group_query: str, old: str, new: str) -> ChangeResult:
        group = self._writable(actor, group_query)
        return self._changes().change(
            actor=actor,
            action="swap",
            exten=group.exten,
            edit=lambda g: roster.swap(g.members, old, new),
        )

    def group_for_edit(self, actor: str, group_query: str) -> tuple[SkillGroup, GroupVersion]:
        """The group fresh from the vendor, and the version a later edit must still match."""
        group = self._writable(actor, group_query)
        current = self._changes().read_fresh(group.exten)
        return current, GroupVersion.of(current)

    def edit_members(self, actor: str, seen: GroupVersion, members: roster.Roster) -> ChangeResult:
        self._permit(actor)
        return self._changes().change(
            actor=actor, action="edit", exten=seen.exten, edit=lambda _g: tuple(members), seen=seen
        )

    def undo(self, actor: str, change_id: int) -> ChangeResult:
        """Restore the exact list before `change_id`, if the group still is as it left it."""
        self._permit(actor)
        record = self.state.change(change_id)
        if record is None:
            raise DeskError(f"There is no change #{change_id}.", "See `/desk log`.")
        if record.outcome not in ("ok", "partial"):
            raise DeskError(
                f"Change #{change_id} did not take effect ({record.outcome}), so there is "
                "nothing to undo.",
                "See `/desk log` for what happened.",
            )
        if record.undone_by is not None:
            raise DeskError(
                f"Change #{change_id} was already undone (by #{record.undone_by}).",
                "Nothing was written.",
            )
        if record.action == "create":
            raise DeskError(
                "A newly created group cannot be undone from Slack.",
                "Remove its members with `/desk members`, or delete it in 7moor's console.",
            )
        if not self.state.claim_undo(change_id, user_id=actor):
            raise DeskError(
                f"Change #{change_id} is already being undone.",
                "Nothing more was written; see the result in `/desk log` in a moment.",
            )
        undo_change: int | None = None
        try:
            seen = GroupVersion.of(
                SkillGroup(record.exten, record.group_name, "", False, None, "", "", record.after)
            )
            try:
                result = self._changes().change(
                    actor=actor,
                    action="undo",
                    exten=record.exten,
                    edit=lambda _g: record.before,
                    seen=seen,
                    undo_of=change_id,
                )
            except ChangeConflictWithState as conflict:
                conflict.sentence = (
                    f"“{conflict.current.display_name}” changed after change #{change_id} "
                    f"({conflict.detail}), so undoing it would overwrite that; nothing was written."
                )
                conflict.next_step = (
                    "Here is the group as it is now; use `/desk members` if it should still change."
                )
                raise
            if result.verified:
                undo_change = result.record.id
            return result
        finally:
            self.state.finish_undo(change_id, undo_change_id=undo_change)

    def create_group(self, actor: str, group: NewGroup) -> ChangeResult:
        self._permit(actor)
        if problems := group.problems():
            raise InvalidGroup(problems)
        try:
            return self._changes().create(actor=actor, group=group)
        except RequestError as error:
            if not may_have_arrived(error):
                raise
            raise DeskError(
                f"{error.sentence} The group may or may not have been created.",
                "Look for it with `/desk groups` before creating it again.",
            ) from error

    # ---- customer messages ------------------------------------------------------------

    def preview_message(
        self,
        actor: str,
        target: MessageTarget,
        template: str,
        values: Mapping[str, str],
        language: str | None = None,
    ) -> Preview:
        """Render and store a preview; nothing reaches the customer before `send_preview`.

        Sent from an IM agent account (`--from`), the account must exist, and without
        `lang=` the message is written in that account's default language.
        """
        self._permit(actor)
        if target.from_account:
            agents = self.im_agents(target.from_account).value
            if not agents:
                raise DeskError(
                    f"“{target.from_account}” is not a customer-service account of this "
                    "Tencent IM app, so nothing was previewed.",
                    "List the accounts with `/desk agents`.",
                )
            if language is None:
                language = agents[0].default_language
        return self._sender().preview(
            actor=actor, target=target, template=template, values=values, language=language
        )

    def send_preview(self, actor: str, preview_id: str) -> SendResult:
        """Send a preview at most once; only the supervisor who made it may send it."""
        self._permit(actor)
        sender = self._sender()
        self._own_preview(sender, actor, preview_id, "sent")
        result = sender.send(preview_id=preview_id)
        if result.attempt is not None:
            try:
                self.on_send(result.attempt)
            except Exception:  # the audit must never turn a sent message into an error
                logger.exception("audit of send %s failed", preview_id)
        return result

    def cancel_preview(self, actor: str, preview_id: str) -> bool:
        """Cancel a pending preview (its text is discarded); False when it is not pending."""
        self._permit(actor)
        sender = self._sender()
        self._own_preview(sender, actor, preview_id, "cancelled")
        return sender.cancel(preview_id=preview_id)

    def _own_preview(self, sender: MessageSender, actor: str, preview_id: str, verb: str) -> None:
        """Only the supervisor who made a preview (and saw it: it is ephemeral) may act on it."""
        owner = sender.owner(preview_id)
        if owner is not None and owner != actor:
            raise DeskError(
                f"Only the supervisor who made this preview can send or cancel it, "
                f"so nothing was {verb}.",
                f"It belongs to <@{owner}>. Make your own preview with `/desk send`.",
            )

    # ---- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the vendor connections and the state store; the desk is unusable afterwards."""
        for client in (self.sevenmoor, self.tencent):
            if client is not None:
                client.close()
        self.state.close()

    def claim_form(self, form_id: str) -> bool:
        """True for the first delivery of a submitted form, False for any repeat of it, on
        every instance: a submission delivered twice must not write twice."""
        return self.state.claim_form(form_id)

    def require_admin(self, actor: str) -> None:
        """PermissionRefused unless `actor` is in DESK_ADMINS (checked again by every write)."""
        self._permit(actor)

    def _permit(self, actor: str) -> None:
        if actor not in self.admins:
            raise PermissionRefused(self.admins)

    def _writable(self, actor: str, group_query: str) -> SkillGroup:
        self._permit(actor)
        return self.find_group(group_query)

    def _sevenmoor(self) -> SevenMoorClient:
        if self.sevenmoor is None:
            raise NotConfigured("7moor", SEVENMOOR_VARIABLES)
        return self.sevenmoor

    def _tencent(self) -> TencentDeskClient:
        if self.tencent is None:
            raise NotConfigured("Tencent IM Desk", TENCENT_VARIABLES)
        return self.tencent

    def _changes(self) -> MemberChanges:
        return MemberChanges(
            self._sevenmoor(),
            state=self.state,
            cache=self.cache,
            locks=self.locks,
            on_change=self.on_change,
            group_ttl=GROUPS_TTL,
        )

    def _sender(self) -> MessageSender:
        return MessageSender(
            self._tencent(), templates=self.templates, state=self.state, clock=self.clock
        )
