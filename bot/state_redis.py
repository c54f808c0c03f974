"""`StateStore` in Redis, shared by every instance: same contract as `SqliteStateStore`.

History, Undo reservations and exactly-once sends behave exactly as in SQLite (the lifecycle
in `bot.state`), and the contract tests run against both. Each write is one Lua script
(`bot.state_scripts`), so a claim is decided in one step no other instance can cut into;
reads are plain hash reads.

When Redis cannot be reached, every operation raises `SharedStateUnavailable`: a sentence
for the supervisor saying what did not happen (nothing is written, nothing is sent) or, after
the vendor was called, what happened and that it will not be repeated. It never guesses: a
send whose outcome could not be recorded stays claimed and later counts as unknown, so it is
never sent twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from redis.commands.core import Script

from bot import state_scripts as scripts
from bot.clock import SYSTEM_CLOCK, Clock
from bot.shared import UNREACHABLE, RedisDown, SharedRedis, SharedStateUnavailable
from bot.state import (
    CANCELLED_DETAIL,
    DEFAULT_CLAIM_TIMEOUT,
    DEFAULT_RETENTION,
    EXPIRED_DETAIL,
    REFUSAL_BY_STATUS,
    SEND_OUTCOMES,
    ChangeLog,
    ChangeRecord,
    PendingSend,
    SendClaim,
    SendOutcome,
    SendRecord,
    SendStatus,
    StateError,
    abandoned_detail,
    change_columns,
    change_from_row,
    check_timeouts,
    missing_undone_change,
    preview_from_row,
    send_record_from_row,
)

logger = logging.getLogger(__name__)

_CHANGE_INTS = ("id", "undo_of", "undone_by")
_SEND_JSON = ("session_id", "from_account", "to_account", "language")


class RedisStateStore(ChangeLog):
    """History, Undo and sends in one Redis, under `<prefix>:state:`."""

    def __init__(
        self,
        shared: SharedRedis,
        *,
        clock: Clock = SYSTEM_CLOCK,
        claim_timeout: float = DEFAULT_CLAIM_TIMEOUT,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        check_timeouts(claim_timeout, retention)
        self._redis = shared
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._retention = retention
        self._prefix = shared.key("state")
        self._closed = False
        client = shared.client
        self._scripts: dict[str, Script] = {
            name: client.register_script(scripts.PRELUDE + body)
            for name, body in scripts.WRITES.items()
        }

    def close(self) -> None:
        """Stop using the store; the shared connection closes with it. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._redis.close()

    # ---- changes ---------------------------------------------------------------------------

    def _append_change(self, draft: ChangeRecord) -> tuple[int, float]:
        answer, now = self._write(
            "RECORD_CHANGE",
            [*change_columns(draft), _text(draft.undo_of)],
            unreachable=(
                f"deskbot could not record this {draft.action} on group {draft.exten} "
                f"(outcome: {draft.outcome}) in its history: {UNREACHABLE}."
            ),
            next_step="Check the group with `/desk who` before changing it again.",
        )
        if answer == "missing":
            assert draft.undo_of is not None  # only an undo names another change
            raise StateError(missing_undone_change(draft.undo_of))
        return int(answer), now

    def change(self, change_id: int) -> ChangeRecord | None:
        fields = self._read(lambda client: client.hgetall(self._key("change", str(change_id))))
        return change_from_row(_change_row(fields)) if fields else None

    def recent_changes(self, *, exten: str | None = None, limit: int = 20) -> list[ChangeRecord]:
        """Newest first by recording order (IDs), which a clock jump cannot reorder."""
        if limit <= 0:
            return []
        index = self._key("changes") if exten is None else self._key("changes", "exten", exten)
        ids = self._read(lambda client: client.zrevrange(index, 0, limit - 1))
        rows = self._hashes([self._key("change", change_id) for change_id in ids])
        return [change_from_row(_change_row(fields)) for fields in rows if fields]

    def claim_undo(self, change_id: int, *, user_id: str) -> bool:
        claim_before = self._clock.time() - self._claim_timeout
        answer, _now = self._write(
            "CLAIM_UNDO",
            [str(change_id), user_id, repr(claim_before)],
            unreachable=f"deskbot cannot undo change #{change_id} now: {UNREACHABLE}. Nothing was changed.",
        )
        if answer == 1:
            logger.info("undo of change #%d claimed by %s", change_id, user_id)
        return answer == 1

    def finish_undo(self, change_id: int, *, undo_change_id: int | None) -> None:
        answer, _now = self._write(
            "FINISH_UNDO",
            [str(change_id), _text(undo_change_id)],
            unreachable=(
                f"deskbot could not note in its history whether change #{change_id} was "
                f"undone: {UNREACHABLE}."
            ),
            next_step="See `/desk log` and `/desk who` for what the group holds now.",
        )
        if answer == "missing":
            raise StateError(f"Change #{change_id} does not exist, so it cannot be undone.")
        if answer == "missing_undo":
            raise StateError(
                f"Change #{undo_change_id} does not exist, so it cannot mark "
                f"change #{change_id} undone."
            )
        if answer == "released":
            logger.info("undo of change #%d released for another try", change_id)
        elif str(answer).startswith("kept:"):
            logger.warning(
                "change #%d was already undone by #%s; keeping that, #%d also undid it",
                change_id,
                str(answer).removeprefix("kept:"),
                undo_change_id,
            )
        else:
            logger.info("change #%d undone by #%d", change_id, undo_change_id)

    # ---- sends -----------------------------------------------------------------------------

    def save_preview(self, preview: PendingSend) -> None:
        target = preview.target
        answer, _now = self._write(
            "SAVE_PREVIEW",
            [
                preview.id,
                repr(preview.created_at),
                preview.user_id,
                json.dumps(target.session_id),
                json.dumps(target.from_account),
                json.dumps(target.to_account),
                preview.template,
                json.dumps(preview.language),
                str(preview.msg_random),
                preview.body_json,
            ],
            unreachable=f"deskbot cannot keep this preview for Send: {UNREACHABLE}. Nothing was sent.",
        )
        if answer == "exists":
            raise StateError(
                f"A preview with ID {preview.id} is already stored: make a new preview."
            )
        logger.info("preview %s saved (template %s)", preview.id, preview.template)

    def preview(self, preview_id: str) -> PendingSend | None:
        fields = self._read(lambda client: client.hgetall(self._key("send", preview_id)))
        if not fields:
            return None
        return preview_from_row(
            _send_row(fields), now=self._clock.time(), retention=self._retention
        )

    def claim_send(self, preview_id: str) -> SendClaim:
        answer, _now = self._write(
            "CLAIM_SEND",
            [preview_id],
            unreachable=(
                f"deskbot cannot make sure this message goes out only once: {UNREACHABLE}. "
                "Nothing was sent."
            ),
        )
        if answer == "claimed":
            result = SendClaim.CLAIMED
        elif answer == "not_found":
            result = SendClaim.NOT_FOUND
        else:
            result = REFUSAL_BY_STATUS[SendStatus(answer)]
        logger.info("send %s: claim answered %s", preview_id, result.value)
        return result

    def finish_send(self, preview_id: str, *, outcome: SendOutcome, detail: str) -> None:
        if outcome not in SEND_OUTCOMES:
            raise ValueError(f"unknown send outcome {outcome!r}; use one of {SEND_OUTCOMES}")
        answer, _now = self._write(
            "FINISH_SEND",
            [preview_id, outcome, detail],
            unreachable=f"{_UNRECORDED_SEND[outcome]}, and deskbot could not record that: {UNREACHABLE}.",
            next_step=(
                "It will not be sent again from this preview. Check the chat in the Desk "
                "workbench before sending anything else."
            ),
        )
        if answer == "missing":
            raise StateError(f"No preview {preview_id} is stored, so it cannot be finished.")
        if str(answer).startswith("not_in_progress:"):
            status = str(answer).removeprefix("not_in_progress:")
            raise StateError(
                f"Send {preview_id} is {status}, not in progress: its outcome cannot be recorded."
            )
        logger.info("send %s finished: %s", preview_id, outcome)

    def cancel_preview(self, preview_id: str) -> bool:
        answer, _now = self._write(
            "CANCEL_PREVIEW",
            [preview_id, CANCELLED_DETAIL],
            unreachable=f"deskbot cannot cancel this preview now: {UNREACHABLE}. Nothing was sent.",
        )
        if answer == 1:
            logger.info("preview %s cancelled", preview_id)
        return answer == 1

    def claim_form(self, form_id: str) -> bool:
        self._live()
        key = self._key("form", form_id)
        ttl = max(1, round(self._retention))
        try:
            claimed = self._redis.run(lambda client: client.set(key, "1", nx=True, ex=ttl))
        except RedisDown:
            raise SharedStateUnavailable(
                f"deskbot cannot take this form now: {UNREACHABLE}. Nothing was changed.",
                "Try again in a minute.",
            ) from None
        if not claimed:
            logger.warning("form %s was delivered again; only the first delivery counts", form_id)
        return bool(claimed)

    def recent_sends(self, *, limit: int = 20) -> list[SendRecord]:
        if limit <= 0:
            return []
        members = self._read(lambda client: client.zrevrange(self._key("sends"), 0, limit - 1))
        ids = [member.split(":", 1)[1] for member in members]
        rows = self._hashes([self._key("send", preview_id) for preview_id in ids])
        return [send_record_from_row(_send_row(fields)) for fields in rows if fields]

    # ---- plumbing --------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def _live(self) -> None:
        if self._closed:
            raise StateError("The state store was closed: it cannot be used after shutdown.")

    def _write(
        self,
        script: str,
        args: list[str],
        *,
        unreachable: str,
        next_step: str = "Try again in a minute.",
    ) -> tuple[Any, float]:
        """Run one write script after settling time; its answer and the time it ran at."""
        self._live()
        now = self._clock.time()
        fixed = [
            self._prefix,
            repr(now),
            repr(now - self._claim_timeout),
            repr(now - self._retention),
            abandoned_detail(self._claim_timeout),
            EXPIRED_DETAIL,
        ]
        run = self._scripts[script]
        try:
            abandoned, expired, answer = self._redis.run(lambda _client: run(args=fixed + args))
        except RedisDown:
            raise SharedStateUnavailable(unreachable, next_step) from None
        for preview_id in abandoned:
            logger.warning("send %s abandoned mid-send; outcome unknown", preview_id)
        if expired:
            logger.info("expired %d unsent preview(s) past retention", expired)
        return answer, now

    def _read(self, action: Callable[[Any], Any]) -> Any:
        self._live()
        try:
            return self._redis.run(action)
        except RedisDown:
            raise SharedStateUnavailable(
                f"deskbot cannot read its history and previews right now: {UNREACHABLE}.",
                "Nothing was changed or sent; try again in a minute.",
            ) from None

    def _hashes(self, keys: list[str]) -> list[dict[str, str]]:
        def fetch(client: Any) -> list[dict[str, str]]:
            with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hgetall(key)
                return list(pipe.execute())

        return self._read(fetch) if keys else []


# What a supervisor is told when a send's outcome could not be recorded, by that outcome.
_UNRECORDED_SEND: dict[str, str] = {
    "sent": "The message was sent",
    "failed": "The message was not sent",
    "retryable": "The message was not sent",
    "unknown": "The message may or may not have arrived",
}


def _text(number: int | None) -> str:
    return "" if number is None else str(number)


def _change_row(fields: dict[str, str]) -> dict[str, Any]:
    """A stored change hash as the typed row `change_from_row` reads ('' is NULL)."""
    row: dict[str, Any] = dict(fields)
    for name in _CHANGE_INTS:
        row[name] = int(fields[name]) if fields[name] else None
    row["at"] = float(fields["at"])
    return row


def _send_row(fields: dict[str, str]) -> dict[str, Any]:
    """A stored send hash as the typed row the shared builders read ('' is NULL)."""
    row: dict[str, Any] = dict(fields)
    for name in _SEND_JSON:
        row[name] = json.loads(fields[name])
    row["created_at"] = float(fields["created_at"])
    row["msg_random"] = int(fields["msg_random"])
    row["finished_at"] = float(fields["finished_at"]) if fields["finished_at"] else None
    return row
