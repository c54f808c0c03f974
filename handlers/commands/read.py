"""Read-only subcommands: open to everyone in the workspace."""

from __future__ import annotations

from handlers.commands.registry import SUBCOMMANDS, Invocation, subcommand, usage_of
from handlers.render import Reply, context, error_reply, section
from handlers.render.reads import (
    claims_reply,
    groups_reply,
    im_agents_reply,
    log_reply,
    templates_reply,
)


@subcommand("help", slow=False)
def desk_help(call: Invocation) -> Reply:
    """Every subcommand with one line each."""
    lines = [f"`/desk {sub.usage}` — {sub.summary}" for sub in SUBCOMMANDS.values()]
    footer = "A group is its exten or its name (quote names with spaces). An agent is a number, or @someone mapped by the operator."
    if call.desk.is_admin(call.user_id):
        footer += " You are a deskbot admin: you can change groups and send messages."
    return Reply(text="deskbot help", blocks=[section("\n".join(lines)), context(footer)])


@subcommand("who <group>")
def desk_who(call: Invocation) -> Reply:
    """Members of a skill group and whether they claim chats on PC and on the APP."""
    query = call.rest()
    if not query:
        return error_reply(
            "Which group?", f'Use {usage_of("who")}, e.g. `/desk who "Night Shift"`.'
        )
    return claims_reply(call.desk.claims(query), call.desk.clock.time())


@subcommand("groups [filter]")
def desk_groups(call: Invocation) -> Reply:
    """Skill groups with member counts, assignment rule and memory setting."""
    filter_text = call.rest() or None
    return groups_reply(call.desk.groups(filter_text), call.desk.clock.time(), filter_text)


@subcommand("agents [im-agent-id]")
def desk_agents(call: Invocation) -> Reply:
    """Tencent IM customer-service accounts and their language settings."""
    wanted = call.rest() or None
    return im_agents_reply(call.desk.im_agents(wanted), call.desk.clock.time(), wanted)


@subcommand("templates", slow=False)
def desk_templates(call: Invocation) -> Reply:
    """Customer message templates and their variables."""
    return templates_reply(call.desk.message_templates())


@subcommand("log [group]")
def desk_log(call: Invocation) -> Reply:
    """Recent changes to skill groups (who, when, what, outcome)."""
    query = call.rest() or None
    return log_reply(call.desk.recent_changes(query), query)  # log_reply escapes it
