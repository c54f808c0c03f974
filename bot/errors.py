"""Everything deskbot can tell a person went wrong, drawn once:

    DeskError                     .sentence: what happened; .next_step: what to do now
    ├── NotConfigured             a vendor is not set up; names the variables to set
    ├── BudgetExhausted           our own per-endpoint budget is spent; nothing was sent
    ├── GroupNotFound             no skill group matches what was typed
    ├── AmbiguousGroup            several match; .matches lists them (never guess)
    ├── ChangeConflict            the group changed since the supervisor looked
    ├── PermissionRefused         only DESK_ADMINS may write
    └── VendorError               a vendor was asked; .vendor, .endpoint, .code, .vendor_message
        ├── RequestError          no usable answer came back
        │   ├── VendorUnreachable connection reset mid-call, 5xx from a gateway
        │   │   └── ConnectFailed could not connect at all: the request never left
        │   ├── VendorTimeout     no answer within the read timeout
        │   └── MalformedAnswer   an answer that is not the documented JSON
        └── RequestFailed         the vendor answered and said no
            ├── AuthRejected      credentials, signature, clock, admin rights, IP allowlist
            ├── RateLimited       the vendor's limit (HTTP 429 or an error body); .retry_after
            ├── BadRequest        the vendor refused what we sent
            ├── NotFound          the thing is gone: an ended chat session, an unknown group
            └── VendorFailure     the vendor failed internally; trying later may work

Vendor clients raise these with the request context; handlers show `sentence` and
`next_step` and never need to know a vendor code.
"""

from __future__ import annotations

from collections.abc import Sequence


class DeskError(Exception):
    """Base of every error deskbot explains to a person."""

    def __init__(self, sentence: str, next_step: str = "") -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.next_step = next_step

    def __str__(self) -> str:
        return f"{self.sentence} {self.next_step}".strip()


# What a supervisor calls each vendor feature and endpoint; the vendors' names mean nothing to them.
_FEATURES = {"7moor": "Skill groups (7moor)", "Tencent IM Desk": "Chat sessions (Tencent IM Desk)"}
_CALLS = {
    "queueQueue": "skill-group look-ups",
    "queueQueueAgentClaimStatus": "claim-status look-ups",
    "updateQueueAssignMembers": "member changes",
    "addQueue": "group creations",
    "get_im_agent_list_multilingual": "IM agent look-ups",
    "send_msg": "messages to customers",
}


def calls_named(endpoint: str) -> str:
    """'skill-group look-ups' for 'queueQueue'; unknown names are shown as they are."""
    return _CALLS.get(endpoint, f"{endpoint} calls")


class NotConfigured(DeskError):
    def __init__(self, vendor: str, variables: Sequence[str]) -> None:
        super().__init__(
            f"{_FEATURES.get(vendor, vendor)} are not connected to this bot yet.",
            f"Ask the bot's operator to set {', '.join(variables)}; `deskbot check` shows what is missing.",
        )
        self.vendor = vendor
        self.variables = tuple(variables)


class BudgetExhausted(DeskError):
    def __init__(self, endpoint: str, retry_after: float) -> None:
        seconds = max(1, round(retry_after))
        super().__init__(
            f"The vendor allows only so many {calls_named(endpoint)} a minute and this "
            "minute's are used up, so deskbot did not make the call.",
            f"Try again in about {seconds} s.",
        )
        self.endpoint = endpoint
        self.retry_after = retry_after


class GroupNotFound(DeskError):
    def __init__(self, query: str) -> None:
        super().__init__(
            f"No skill group matches “{query}”." if query else "Which skill group? None was named.",
            "Check the spelling, quote names with spaces, or list them with `/desk groups`.",
        )
        self.query = query


class AmbiguousGroup(DeskError):
    def __init__(self, query: str, matches: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            f"{len(matches)} skill groups match “{query}”.",
            "Use the exten (number) of the one you mean.",
        )
        self.query = query
        self.matches = tuple(matches)  # (exten, display name)


class ChangeConflict(DeskError):
    def __init__(self, group_name: str, detail: str) -> None:
        super().__init__(
            f"“{group_name}” changed since you looked ({detail}), so nothing was written.",
            "Here is the group as it is now; make your change again on top of it.",
        )
        self.group_name = group_name


class VendorError(DeskError):
    """A vendor call failed. Carries the context an operator needs in the log."""

    def __init__(
        self,
        sentence: str,
        next_step: str = "",
        *,
        vendor: str,
        endpoint: str,
        code: int | str | None = None,
        vendor_message: str = "",
    ) -> None:
        super().__init__(sentence, next_step)
        self.vendor = vendor
        self.endpoint = endpoint
        self.code = code
        self.vendor_message = vendor_message

    def context(self) -> str:
        """One log line: which vendor, which call, which code (no secrets)."""
        code = f" code={self.code}" if self.code is not None else ""
        message = f" message={self.vendor_message!r}" if self.vendor_message else ""
        return f"{self.vendor} {self.endpoint}{code}{message}"


class RequestError(VendorError):
    pass


class VendorUnreachable(RequestError):
    pass


class ConnectFailed(VendorUnreachable):
    """The request surely never reached the vendor, so even a send may be retried."""


class VendorTimeout(RequestError):
    pass


class MalformedAnswer(RequestError):
    pass


class RequestFailed(VendorError):
    pass


class AuthRejected(RequestFailed):
    pass


class RateLimited(RequestFailed):
    def __init__(self, *args: object, retry_after: float = 60.0, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class BadRequest(RequestFailed):
    pass


class NotFound(RequestFailed):
    pass


class VendorFailure(RequestFailed):
    pass


def may_have_arrived(error: BaseException) -> bool:
    """True when a request failed after it may have reached the vendor, so the vendor may
    have done it (a timeout, a dropped connection, an unreadable answer, a gateway error)."""
    return isinstance(error, RequestError) and not isinstance(error, ConnectFailed)


class PermissionRefused(DeskError):
    """Only DESK_ADMINS may change groups or send messages."""

    def __init__(self, admins: frozenset[str]) -> None:
        if admins:
            names = ", ".join(f"<@{user}>" for user in sorted(admins)[:5])
            super().__init__(
                "Only deskbot admins can change skill groups or send messages; reading stays open to everyone.",
                f"Ask an admin ({names}) to do it, or an operator to add you to DESK_ADMINS.",
            )
        else:
            super().__init__(
                "Changes and sends are switched off: no deskbot admins are configured.",
                "An operator can set DESK_ADMINS to a comma-separated list of Slack user IDs and restart the bot.",
            )
