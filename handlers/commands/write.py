"""Subcommands that change skill groups: admins only, verified, undoable, audited."""

from __future__ import annotations

import re

from bot.errors import DeskError
from handlers.commands.registry import Invocation, subcommand, usage_of
from handlers.parsing import Token, mention_user_id
from handlers.render import Reply, escape
from handlers.render.changes import change_reply
from handlers.views.create import open_create_modal
from handlers.views.members import open_members_modal

_AGENT_NUMBER = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
MAX_PRIORITY = 999


class InputError(DeskError):
    """What was typed cannot be used; nothing was written."""


def agent_number(call: Invocation, token: Token) -> str:
    """An agent number as typed, `me`, or a mapped Slack mention."""
    text = token.text.strip()
    if text.casefold() == "me":
        agent = call.desk.agent_for(call.user_id)
        if agent is None:
            raise InputError(
                "deskbot does not know your agent number.",
                "Type your agent number instead, or ask the operator to add you to DESK_AGENT_MAP.",
            )
        return agent
    if (user_id := mention_user_id(text)) is not None:
        agent = call.desk.agent_for(user_id)
        if agent is None:
            # The sentence is escaped when shown, so the mention itself goes in the next step.
            raise InputError(
                "deskbot does not know the agent number of the person you mentioned.",
                f"Type <@{user_id}>'s agent number instead, or ask the operator to add them "
                "to DESK_AGENT_MAP.",
            )
        return agent
    if not _AGENT_NUMBER.match(text):
        raise InputError(
            f"“{token.value}” is not an agent number.",
            "Give the agent's number (e.g. 8001), `me`, or an @mention the operator has mapped.",
        )
    return text


def priority_of(token: Token | None) -> int:
    if token is None:
        return 0
    text = token.text
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_PRIORITY:
        raise InputError(
            f"“{token.value}” is not a priority.",
            f"A priority is a whole number from 0 to {MAX_PRIORITY}.",
        )
    return int(text)


def _arguments(call: Invocation, name: str, least: int, most: int) -> list[Token]:
    if not least <= len(call.args) <= most:
        hint = " Quote a group name that has spaces." if len(call.args) > most else ""
        raise InputError(f"That is not how {usage_of(name)} goes.{hint}", "See `/desk help`.")
    return call.args


@subcommand("add <group> <agent> [priority]", writes=True)
def desk_add(call: Invocation) -> Reply:
    """Add one agent to a skill group (admins; runs at once, with Undo)."""
    call.desk.require_admin(call.user_id)
    group, agent, *rest = _arguments(call, "add", 2, 3)
    number, priority = agent_number(call, agent), priority_of(rest[0] if rest else None)
    result = call.desk.add_member(call.user_id, group.value, number, priority)
    return change_reply(result, actor=call.user_id)


@subcommand("remove <group> <agent>", writes=True)
def desk_remove(call: Invocation) -> Reply:
    """Take one agent out of a skill group (admins; with Undo)."""
    call.desk.require_admin(call.user_id)
    group, agent = _arguments(call, "remove", 2, 2)
    result = call.desk.remove_member(call.user_id, group.value, agent_number(call, agent))
    return change_reply(result, actor=call.user_id)


@subcommand("swap <group> <old> <new>", writes=True)
def desk_swap(call: Invocation) -> Reply:
    """Hand-over: the new agent takes the old agent's place and priority (admins; with Undo)."""
    call.desk.require_admin(call.user_id)
    group, old, new = _arguments(call, "swap", 3, 3)
    result = call.desk.swap_members(
        call.user_id, group.value, agent_number(call, old), agent_number(call, new)
    )
    return change_reply(result, actor=call.user_id)


@subcommand("members <group>")
def desk_members(call: Invocation) -> Reply | None:
    """Edit a group's member list in a form: see the diff, then confirm (admins)."""
    query = call.rest()
    if not query:
        raise InputError("Which group?", f"Use {escape(usage_of('members'))}.")
    return open_members_modal(call, query)


@subcommand("create", slow=False)
def desk_create(call: Invocation) -> Reply | None:
    """Create a skill group in a form: name, assignment rule, memory, members (admins)."""
    return open_create_modal(call)
