"""How every listener answers when its work fails, so no two of them explain it differently.

A `DeskError` is expected (a typo, a refusal, a vendor that said no): its sentence and next
step are the answer, and a vendor's code goes to the log for the operator. Anything else is
a bug: logged with its traceback and a short reference the person can quote, and answered
with an apology that claims nothing it cannot know — after a write, whether it happened.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from logging import Logger
from typing import TypeVar

from bot.errors import DeskError, VendorError
from handlers.render import Reply, error_reply

R = TypeVar("R", bound=Reply | None)


def answer_safely(
    logger: Logger, what: str, work: Callable[[], R], *, writes: bool = False
) -> R | Reply:
    """`work()`'s reply, or the explanation of why there is none. `what` names it in logs."""
    try:
        return work()
    except DeskError as error:
        return explain(logger, what, error)
    except Exception:
        return apology(logger, what, writes=writes)


def explain(logger: Logger, what: str, error: DeskError) -> Reply:
    if isinstance(error, VendorError):
        logger.warning("%s: %s", what, error.context())
    return error_reply(error.sentence, error.next_step)


def apology(logger: Logger, what: str, *, writes: bool = False) -> Reply:
    """An unexpected failure, logged with a reference the person can quote to the operator."""
    reference = secrets.token_hex(4)
    logger.exception("%s failed unexpectedly (reference %s)", what, reference)
    if writes:  # it may have failed before, during or after the vendor call: say how to look
        next_step = (
            "It may or may not have taken effect: check with `/desk log` or `/desk who` before "
            "trying again. If it happens again, give the reference to the bot's operator."
        )
    else:
        next_step = (
            "Nothing was changed. Please try again; if it happens again, give the reference "
            "to the bot's operator."
        )
    return error_reply(
        f"Sorry, something went wrong on deskbot's side (reference {reference}).", next_step
    )
