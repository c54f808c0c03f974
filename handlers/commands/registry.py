"""The /desk subcommands: one function each, registered with its usage.

A subcommand's docstring's first line is its help line, so `/desk help` is generated from
the code and cannot drift from it (errbot's rule).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from logging import Logger

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.desk import Desk
from handlers.parsing import Token
from handlers.render import Reply


@dataclass(frozen=True)
class Invocation:
    """Everything a subcommand may need about one /desk call."""

    args: list[Token]
    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str
    desk: Desk
    client: WebClient
    respond: Respond
    logger: Logger

    def rest(self, start: int = 0) -> str:
        """Arguments from `start` on, as typed (Slack's escaping undone), joined by spaces.

        So an unquoted name with spaces still works where it is the last argument.
        """
        return " ".join(token.value for token in self.args[start:]).strip()


Handler = Callable[[Invocation], Reply | None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    handler: Handler
    slow: bool  # calls a vendor: show "looking up…" first
    writes: bool  # changes a vendor's data: a failure must not be called harmless


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    usage: str, *, slow: bool = True, writes: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        name = usage.split()[0]
        summary = (inspect.getdoc(handler) or "").splitlines()[0]
        SUBCOMMANDS[name] = Subcommand(name, usage, summary, handler, slow, writes)
        return handler

    return register


def usage_of(name: str) -> str:
    return f"`/desk {SUBCOMMANDS[name].usage}`"
