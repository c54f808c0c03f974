"""`/desk send`: preview a templated customer message; Send and Cancel are buttons."""

from __future__ import annotations

import re

from bot.errors import DeskError
from bot.models import CardMessage, MessageTarget
from handlers.commands.registry import Invocation, subcommand, usage_of
from handlers.parsing import Token, parse_assignments
from handlers.render import Reply
from handlers.render.messages import preview_reply

_SESSION_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_ACCOUNT = re.compile(r"^@?[A-Za-z0-9_@#.\-]{1,64}$")


class SendInputError(DeskError):
    """The send command cannot be used as typed; nothing was sent."""


def _target(args: list[Token]) -> tuple[MessageTarget, list[Token]]:
    """`<session-id> …` or `--from <agent-account> --to <user> …`."""
    if args and args[0].value == "--from":
        if len(args) < 4 or args[2].value != "--to":
            raise SendInputError(
                "Give both accounts: `--from @agent-account --to user-id`.",
                f"See {usage_of('send')}.",
            )
        sender, receiver = args[1].value, args[3].value
        for account in (sender, receiver):
            if not _ACCOUNT.match(account):
                raise SendInputError(
                    f"“{account}” is not an IM account ID.",
                    "List the agent accounts with `/desk agents`.",
                )
        return MessageTarget(from_account=sender, to_account=receiver), args[4:]
    if not args:
        raise SendInputError(
            "Which chat session? Give its session ID first.", f"Use {usage_of('send')}."
        )
    session = args[0].value
    if not _SESSION_ID.match(session):
        raise SendInputError(
            f"“{session}” is not a Desk session ID: a session ID looks like "
            "fd8a2e30-54de-4e40-bcaf-02718409c5cf.",
            "Copy it from the Desk workbench, or send from an account with "
            "`--from @agent-account --to user-id` instead.",
        )
    return MessageTarget(session_id=session.lower()), args[1:]


@subcommand("send <session-id> <template> [key=value ...]")
def desk_send(call: Invocation) -> Reply | None:
    """Preview a templated message to a customer's chat; it is sent only when you press Send (admins)."""
    call.desk.require_admin(call.user_id)
    target, rest = _target(call.args)
    if not rest:
        names = ", ".join(info.name for info in call.desk.message_templates())
        raise SendInputError(
            f"Which template? The templates are: {names}.",
            "See what each one says and takes with `/desk templates`.",
        )
    template, values = rest[0].value, parse_assignments(rest[1:])
    language = values.pop("lang", None)
    preview = call.desk.preview_message(call.user_id, target, template, values, language)
    reply = preview_reply(preview)
    if not (isinstance(preview.message, CardMessage) and preview.message.pic):
        return reply
    # Slack refuses a whole message whose picture it cannot download: show the preview
    # without it, and say so, rather than leave the supervisor with no preview at all.
    if call.respond(replace_original=True, **reply.payload()).status_code == 200:
        return None
    call.logger.warning("preview %s: Slack refused the card with its picture", preview.id)
    return preview_reply(preview, picture_failed=True)
