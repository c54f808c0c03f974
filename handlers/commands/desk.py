"""`/desk`: ack at once, parse, run one subcommand, answer; never die of one request."""

from __future__ import annotations

import difflib
import json
import threading
from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.desk import Desk
from bot.errors import AmbiguousGroup
from bot.messages import TemplateError
from handlers.commands.registry import SUBCOMMANDS, Invocation, Subcommand
from handlers.failures import answer_safely
from handlers.parsing import ParseError, split_args
from handlers.render import Reply, error_reply, escape, section

LOOKING_UP = ":mag: Looking that up…"
ANSWER_IN_ACK_SECONDS = 1.0  # Slack waits 3 s for the ack; later answers follow "looking up…"
QUOTING_HINT = 'Close the quote, e.g. `/desk who "Night Shift"`, or see `/desk help`.'


def handle_desk_command(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    desk: Desk,
    logger: Logger,
) -> None:
    try:
        args = split_args(command.get("text", ""))
    except ParseError as error:
        ack(**error_reply(str(error), QUOTING_HINT).payload())
        return
    name = args[0].value.casefold() if args else "help"
    sub = SUBCOMMANDS.get(name)
    if sub is None:
        ack(**unknown_subcommand(args[0].value).payload())
        return
    once = AckOnce(ack, LOOKING_UP if sub.slow else "", within=ANSWER_IN_ACK_SECONDS)
    invocation = Invocation(
        args=args[1:],
        user_id=command.get("user_id", ""),
        channel_id=command.get("channel_id", ""),
        trigger_id=command.get("trigger_id", ""),
        response_url=command.get("response_url", ""),
        desk=desk,
        client=client,
        respond=respond,
        logger=logger,
    )
    reply = run_safely(sub, invocation, logger)
    if not once.answer(reply):
        deliver(respond, reply, logger, f"/desk {sub.name}")


class AckOnce:
    """A command's one ack: with the answer itself when it is ready `within` seconds (most
    are: the cache answers in microseconds), else with `placeholder` when the time is up, so
    Slack always has its ack well inside 3 s.

    Answering in the ack spares a post to the response_url, and it keeps the order right: a
    "looking that up…" ack and an answer posted at once race each other to Slack, and the
    answer could arrive first and be left under a placeholder that never goes away.
    """

    def __init__(self, ack: Ack, placeholder: str, *, within: float) -> None:
        self._ack = ack
        self._placeholder = placeholder
        self._lock = threading.Lock()
        self._done = False
        self._timer: threading.Timer | None = None
        if within <= 0:
            self._acknowledge_waiting()
        else:
            self._timer = threading.Timer(within, self._acknowledge_waiting)
            self._timer.daemon = True
            self._timer.start()

    def answer(self, reply: Reply | None) -> bool:
        """Ack with `reply` (nothing when None) unless the placeholder went first: then False,
        and the reply still has to be posted."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._done:
                return reply is None
            self._done = True
        if reply is None:
            self._ack()
        else:
            self._ack(**reply.payload())
        return True

    def _acknowledge_waiting(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        if self._placeholder:
            self._ack(self._placeholder)
        else:
            self._ack()


def answer_in_ack(body: str) -> dict[str, Any] | None:
    """The message an ack's body carries when `AckOnce` answered in it (JSON with blocks);
    None for an empty ack or the plain-text placeholder. For Slack stand-ins and tests."""
    if not body.startswith("{"):
        return None
    message: dict[str, Any] = json.loads(body)
    return message if message.get("blocks") else None


def deliver(respond: Respond, reply: Reply, logger: Logger, what: str) -> None:
    """Post the answer in place of "looking that up"; if Slack refuses it, say so plainly
    rather than leave the person waiting for an answer that never comes."""
    answer = respond(replace_original=True, **reply.payload())
    if answer.status_code == 200:
        return
    logger.error(
        "%s: Slack refused the answer (HTTP %s: %s)", what, answer.status_code, answer.body
    )
    respond(
        replace_original=True,
        response_type="ephemeral",
        text=f":warning: deskbot has the answer, but Slack would not show it ({escape(answer.body)})."
        " Please try again; if it happens again, tell the bot's operator.",
    )


def run_safely(sub: Subcommand, invocation: Invocation, logger: Logger) -> Reply | None:
    """The subcommand's reply, or a kind explanation of why there is none."""

    def work() -> Reply | None:  # None: nothing to post (a modal opened instead)
        try:
            return sub.handler(invocation)
        except AmbiguousGroup as error:
            return ambiguous_group(error)
        except (TemplateError, ParseError) as error:
            return error_reply(str(error))

    return answer_safely(logger, f"/desk {sub.name}", work, writes=sub.writes)


def ambiguous_group(error: AmbiguousGroup) -> Reply:
    lines = [f":twisted_rightwards_arrows: {escape(error.sentence)} {error.next_step}"]
    lines += [f"• `{escape(exten)}`  {escape(name)}" for exten, name in error.matches[:40]]
    if len(error.matches) > 40:
        lines.append(f"…and {len(error.matches) - 40} more: narrow the name.")
    return Reply(text=escape(error.sentence), blocks=[section("\n".join(lines))])


def unknown_subcommand(name: str) -> Reply:
    """`name` as typed (Slack's escaping undone); error_reply escapes it for display."""
    close = difflib.get_close_matches(name.casefold(), list(SUBCOMMANDS), n=1)
    hint = f"Did you mean `/desk {close[0]}`? " if close else ""
    return error_reply(f"`/desk` has no “{name}” command.", f"{hint}See `/desk help`.")
