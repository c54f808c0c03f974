"""Durable state: the audit of member-list changes, Undo reservations, and exactly-once sends.

Why a store at all: DESIGN.md promises "never lose or double a change" and "exactly once to
customers", and both must hold when two supervisors click at the same moment, when Bolt runs
the two clicks on two pool threads, and when the bot restarts between Preview and Send. So
every decision that must happen once (claim a send, claim an undo) is a single conditional
UPDATE inside a `BEGIN IMMEDIATE` transaction on a SQLite file (`DESK_STATE_PATH`), and its
answer comes from the row count, never from a read made earlier.

`StateStore` is the contract the change and send flows use; `SqliteStateStore` is the
single-host implementation, `bot.state_redis.RedisStateStore` the one shared by several
instances. Both keep the lifecycle below, and take what they share with each other from here.

Lifecycle of a send (the `sends.status` column)::

    pending ──claim_send──▶ in_progress ──finish_send("sent")──────▶ sent
       │  ▲                    │  │
       │  └─finish_send("retryable") (same msg_random)
       │                       │  └──finish_send("failed")─────────▶ failed
       │                       ├──finish_send("unknown")───────────▶ unknown
       │                       └──after claim_timeout (next write)─▶ unknown
       ├──cancel_preview───────────────────────────────────────────▶ cancelled
       └──older than retention (on the next write)─────────────────▶ expired

A late `finish_send` from a slow (not dead) sender still records the truth on an `unknown`
send. The message text (`body_json`) is blanked as soon as a send is sent, failed, cancelled
or expired, and in any case once it is older than the retention period (unless a send is in
flight at that moment); the audit columns stay.
"""

from __future__ import annotations

import abc
import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from bot.clock import SYSTEM_CLOCK, Clock
from bot.models import Member, MessageTarget

logger = logging.getLogger(__name__)

MEMORY_PATH = ":memory:"
DEFAULT_CLAIM_TIMEOUT = (
    120.0  # seconds a send or undo may stay claimed before it counts as abandoned
)
DEFAULT_RETENTION = 24 * 60 * 60.0  # seconds message text is kept at most
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds to wait for another process's write lock
MAX_MSG_RANDOM = 2**32 - 1  # Tencent IM's MsgRandom is a 32-bit unsigned integer

ChangeAction = Literal["add", "remove", "swap", "edit", "create", "undo"]
ChangeOutcome = Literal["ok", "partial", "unverified", "failed", "conflict", "refused"]
SendOutcome = Literal["sent", "failed", "retryable", "unknown"]

EXPIRED_DETAIL = "Never sent: the preview expired."
CANCELLED_DETAIL = "Cancelled before sending."

CHANGE_ACTIONS: tuple[str, ...] = get_args(ChangeAction)
CHANGE_OUTCOMES: tuple[str, ...] = get_args(ChangeOutcome)
SEND_OUTCOMES: tuple[str, ...] = get_args(SendOutcome)


class StateError(Exception):
    """The state file cannot be used. `str()` is one sentence a person can act on."""


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One audited change of a skill group's member list, whatever its outcome."""

    id: int
    at: float
    user_id: str
    action: str
    exten: str
    group_name: str
    before: tuple[Member, ...]
    after: tuple[Member, ...]
    outcome: str
    detail: str
    undo_of: int | None
    undone_by: int | None


class SendStatus(StrEnum):
    """Where a preview is in its life; stored as the value, so it compares equal to a str."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


class SendClaim(StrEnum):
    """The answer to a Send click. Only `CLAIMED` may call the vendor.

    `UNKNOWN`: an earlier send got no answer, or its claim was abandoned mid-send; the
    message may or may not have arrived, so it is never re-sent automatically. `EXPIRED`:
    the preview outlived the retention period and its text is gone. `NOT_FOUND`: no
    preview has that ID here.
    """

    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class PendingSend:
    """A previewed message, fixed at preview time so that Send delivers exactly what was shown.

    `msg_random` is Tencent IM's de-duplication key: one per preview, reused on every retry,
    so a retry after a lost answer cannot deliver the message twice. `body_json` is the
    customer text; it is left out of `repr` so it never reaches a log line.
    """

    id: str
    created_at: float
    user_id: str
    target: MessageTarget
    template: str
    language: str | None
    msg_random: int
    body_json: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a preview needs an ID")
        if not 0 <= self.msg_random <= MAX_MSG_RANDOM:
            raise ValueError("msg_random must be a 32-bit unsigned integer")

    @classmethod
    def new(
        cls,
        *,
        user_id: str,
        target: MessageTarget,
        template: str,
        language: str | None,
        body_json: str,
        clock: Clock = SYSTEM_CLOCK,
    ) -> PendingSend:
        """A preview with a fresh unguessable ID and a fresh non-zero MsgRandom."""
        return cls(
            id=secrets.token_urlsafe(16),
            created_at=clock.time(),
            user_id=user_id,
            target=target,
            template=template,
            language=language,
            msg_random=secrets.randbelow(MAX_MSG_RANDOM) + 1,
            body_json=body_json,
        )


@dataclass(frozen=True, slots=True)
class SendRecord:
    """The audit of one send: everything but the message text."""

    id: str
    created_at: float
    user_id: str
    target: str  # MessageTarget.describe()
    template: str
    msg_random: int
    status: SendStatus
    detail: str
    finished_at: float | None


@runtime_checkable
class StateStore(Protocol):
    """What the change and send flows need from durable state, whatever holds it."""

    def record_change(
        self,
        *,
        user_id: str,
        action: ChangeAction,
        exten: str,
        group_name: str,
        before: Sequence[Member],
        after: Sequence[Member],
        outcome: ChangeOutcome,
        detail: str,
        undo_of: int | None = None,
    ) -> ChangeRecord:
        """Append a change to the audit and return it with its ID."""

    def change(self, change_id: int) -> ChangeRecord | None:
        """One change, or None when there is no such ID."""

    def recent_changes(self, *, exten: str | None = None, limit: int = 20) -> list[ChangeRecord]:
        """Newest first, optionally only one skill group's."""

    def claim_undo(self, change_id: int, *, user_id: str) -> bool:
        """Reserve the undo of a change; False when it is undone or being undone already."""

    def finish_undo(self, change_id: int, *, undo_change_id: int | None) -> None:
        """Mark the change undone by `undo_change_id`, or release the reservation on None."""

    def save_preview(self, preview: PendingSend) -> None:
        """Store a new preview as pending."""

    def preview(self, preview_id: str) -> PendingSend | None:
        """A stored preview (its body is "" once the text has been discarded), or None."""

    def claim_send(self, preview_id: str) -> SendClaim:
        """Take the right to send; `CLAIMED` is answered at most once per attempt."""

    def finish_send(self, preview_id: str, *, outcome: SendOutcome, detail: str) -> None:
        """Record how a claimed send ended; "retryable" makes it pending again."""

    def cancel_preview(self, preview_id: str) -> bool:
        """Cancel a pending preview; False when it is not pending."""

    def recent_sends(self, *, limit: int = 20) -> list[SendRecord]:
        """The audit of sends, newest first, without message text."""

    def claim_form(self, form_id: str) -> bool:
        """True the first time a submitted form (a modal's view ID) is claimed; False for
        every later delivery of the same submission, so one submit writes once."""

    def close(self) -> None:
        """Release the store; it cannot be used afterwards."""


# Each entry brings the schema from version N to N+1; entries are never edited once released,
# only appended. Statements run one by one inside a single IMMEDIATE transaction.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE changes (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            at              REAL    NOT NULL,
            user_id         TEXT    NOT NULL,
            action          TEXT    NOT NULL,
            exten           TEXT    NOT NULL,
            group_name      TEXT    NOT NULL,
            before_json     TEXT    NOT NULL,
            after_json      TEXT    NOT NULL,
            outcome         TEXT    NOT NULL,
            detail          TEXT    NOT NULL,
            undo_of         INTEGER REFERENCES changes (id),
            undone_by       INTEGER REFERENCES changes (id),
            undo_claimed_at REAL,
            undo_claimed_by TEXT
        )
        """,
        "CREATE INDEX changes_by_exten ON changes (exten, id)",
        """
        CREATE TABLE sends (
            id           TEXT    PRIMARY KEY,
            created_at   REAL    NOT NULL,
            user_id      TEXT    NOT NULL,
            session_id   TEXT,
            from_account TEXT,
            to_account   TEXT,
            template     TEXT    NOT NULL,
            language     TEXT,
            msg_random   INTEGER NOT NULL,
            body_json    TEXT    NOT NULL,
            status       TEXT    NOT NULL,
            detail       TEXT    NOT NULL DEFAULT '',
            claimed_at   REAL,
            finished_at  REAL
        )
        """,
        "CREATE INDEX sends_by_created ON sends (created_at)",
        "CREATE INDEX sends_with_text ON sends (created_at) WHERE body_json <> ''",
    ),
    (
        """
        CREATE TABLE forms (
            id         TEXT PRIMARY KEY,
            claimed_at REAL NOT NULL
        )
        """,
        "CREATE INDEX forms_by_claimed ON forms (claimed_at)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


def migrate_schema(connection: sqlite3.Connection, *, label: str) -> int:
    """Bring the file's schema up to `SCHEMA_VERSION`; return the version found before.

    Runs in one `BEGIN IMMEDIATE` transaction, so two processes opening a fresh file at the
    same moment do not both create tables, and a crash mid-migration leaves the old version.
    A file from a newer deskbot is refused rather than written with an older idea of its tables.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise StateError(
                f"The state file {label} was written by a newer deskbot (schema {found}, this "
                f"one knows {SCHEMA_VERSION}): upgrade deskbot or check DESK_STATE_PATH."
            )
        for migration in _MIGRATIONS[found:]:
            for statement in migration:
                connection.execute(statement)
        if found != SCHEMA_VERSION:
            # PRAGMA takes no parameters; SCHEMA_VERSION is an int computed above.
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    if found != SCHEMA_VERSION:
        logger.info("state schema migrated from version %d to %d", found, SCHEMA_VERSION)
    return found


class ChangeLog(abc.ABC):
    """`record_change` for every store: refuse what the audit could not mean, build the
    record, log it. A store only appends the change and says its ID and time."""

    def record_change(
        self,
        *,
        user_id: str,
        action: ChangeAction,
        exten: str,
        group_name: str,
        before: Sequence[Member],
        after: Sequence[Member],
        outcome: ChangeOutcome,
        detail: str,
        undo_of: int | None = None,
    ) -> ChangeRecord:
        """Append a change to the audit. An "undo" must name the change it reverted."""
        if action not in CHANGE_ACTIONS:
            raise ValueError(f"unknown change action {action!r}; use one of {CHANGE_ACTIONS}")
        if outcome not in CHANGE_OUTCOMES:
            raise ValueError(f"unknown change outcome {outcome!r}; use one of {CHANGE_OUTCOMES}")
        if (action == "undo") != (undo_of is not None):
            raise ValueError("undo_of is given exactly when the action is 'undo'")
        draft = ChangeRecord(
            id=0,
            at=0.0,
            user_id=user_id,
            action=action,
            exten=exten,
            group_name=group_name,
            before=tuple(before),
            after=tuple(after),
            outcome=outcome,
            detail=detail,
            undo_of=undo_of,
            undone_by=None,
        )
        change_id, at = self._append_change(draft)
        logger.info("change #%d recorded: %s on %s, %s", change_id, action, exten, outcome)
        return replace(draft, id=change_id, at=at)

    @abc.abstractmethod
    def _append_change(self, draft: ChangeRecord) -> tuple[int, float]:
        """Store `draft` (its `undo_of` must exist) as a new change: its ID and time."""


class SqliteStateStore(ChangeLog):
    """`StateStore` on one SQLite file, safe across threads and across processes on one host.

    One connection (`check_same_thread=False`) is shared by all threads behind a lock: the
    bot's write rate is a few per minute, so serialising in-process costs nothing and keeps
    every transaction on one well-known connection. Across processes, each write is a
    `BEGIN IMMEDIATE` transaction (it takes the file's write lock before reading), and each
    claim is a conditional UPDATE whose row count is the answer, so no two stores on the
    same file can both win a claim. WAL lets readers proceed during a write; `busy_timeout`
    makes a second process wait for the lock instead of failing at once.

    Abandoned claims: a send claimed more than `claim_timeout` seconds ago whose process
    never reported back (it died mid-send) is stored as `unknown` by the next write, whoever
    makes it, and answered `SendClaim.UNKNOWN` from then on, never `CLAIMED` again. We cannot tell whether the vendor received it, and a
    second delivery to a customer is worse than asking the supervisor to look at the chat.
    An undo reservation older than `claim_timeout`, on the other hand, may be claimed again:
    an undo is a read-modify-write of the whole list that re-reads and refuses on conflict,
    so a retry after a dead process cannot apply a change twice.

    Message text is blanked as soon as a send ends, and lazily (on any write) once it is
    older than `retention` seconds, except during a send in flight; a pending preview that
    old becomes `expired`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = SYSTEM_CLOCK,
        claim_timeout: float = DEFAULT_CLAIM_TIMEOUT,
        retention: float = DEFAULT_RETENTION,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        check_timeouts(claim_timeout, retention)
        if busy_timeout < 0:
            raise ValueError("busy_timeout must be >= 0")
        self._label = str(path)
        self._clock = clock
        self._claim_timeout = claim_timeout
        self._retention = retention
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = self._open(path)

    # ---- lifecycle -------------------------------------------------------------------------

    def _open(self, path: str | Path) -> sqlite3.Connection:
        in_memory = self._label == MEMORY_PATH
        if not in_memory:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StateError(
                    f"The state file {self._label} is not writable (its folder cannot be "
                    f"created: {error.strerror or error}): check DESK_STATE_PATH."
                ) from error
        connection: sqlite3.Connection | None = None
        try:
            connection = sqlite3.connect(
                MEMORY_PATH if in_memory else Path(path),
                timeout=self._busy_timeout,
                isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
                check_same_thread=False,
            )
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000):d}")
            connection.execute("PRAGMA foreign_keys = ON")
            if not in_memory:
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    logger.warning(
                        "state file %s stays in %s journal mode (WAL unavailable here)",
                        self._label,
                        mode,
                    )
                # Every recorded change must survive a power cut, not just a crash.
                connection.execute("PRAGMA synchronous = FULL")
            migrate_schema(connection, label=self._label)
        except sqlite3.Error as error:
            if connection is not None:
                connection.close()
            raise self._translate(error) from error
        except BaseException:
            if connection is not None:
                connection.close()
            raise
        return connection

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> SqliteStateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- transactions and errors ----------------------------------------------------------

    def _translate(self, error: sqlite3.Error) -> StateError:
        """One sentence per way a state file fails, naming the file and the next step."""
        message = str(error).lower()
        label = self._label
        if "locked" in message or "busy" in message:
            return StateError(
                f"The state file {label} stayed locked by another process for more than "
                f"{self._busy_timeout:g} s: try again, and check that nothing else holds it open."
            )
        if "not a database" in message or "malformed" in message:
            return StateError(
                f"The state file {label} is not a deskbot state database or is damaged: "
                "check DESK_STATE_PATH."
            )
        if "full" in message:
            return StateError(
                f"The disk holding the state file {label} is full: free some space or "
                "point DESK_STATE_PATH elsewhere."
            )
        if any(
            hint in message
            for hint in ("readonly", "read-only", "unable to open", "disk i/o", "permission")
        ):
            return StateError(f"The state file {label} is not writable: check DESK_STATE_PATH.")
        return StateError(
            f"The state file {label} could not be used ({error}): check DESK_STATE_PATH."
        )

    def _live_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StateError("The state store was closed: it cannot be used after shutdown.")
        return self._connection

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads; a single SELECT needs no explicit transaction."""
        with self._lock:
            connection = self._live_connection()
            try:
                yield connection
            except sqlite3.Error as error:
                raise self._translate(error) from error

    @contextmanager
    def _writing(self) -> Iterator[tuple[sqlite3.Connection, float]]:
        """A `BEGIN IMMEDIATE` transaction and the time it started, after lazy retention.

        IMMEDIATE takes the file's write lock before the first read, so a conditional
        UPDATE inside it sees the latest committed row of every other process.
        """
        with self._lock:
            connection = self._live_connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._translate(error) from error
            try:
                now = self._clock.time()
                self._apply_retention(connection, now)
                yield connection, now
                connection.execute("COMMIT")
            except BaseException as failure:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if isinstance(failure, sqlite3.Error):
                    raise self._translate(failure) from failure
                raise

    def _apply_retention(self, connection: sqlite3.Connection, now: float) -> None:
        """Settle what time alone decides, inside the caller's write transaction.

        1. A claim older than `claim_timeout` was abandoned: it becomes `unknown`.
        2. A pending preview older than `retention` becomes `expired`.
        3. Text older than `retention` is blanked, except while a send is in flight (the
           sender is about to read it; an abandoned one became `unknown` in step 1).
        """
        abandoned = [
            row["id"]
            for row in connection.execute(
                "SELECT id FROM sends WHERE status = ? AND claimed_at < ?",
                (SendStatus.IN_PROGRESS, now - self._claim_timeout),
            )
        ]
        for preview_id in abandoned:
            connection.execute(
                "UPDATE sends SET status = ?, finished_at = ?, detail = ? WHERE id = ?",
                (
                    SendStatus.UNKNOWN,
                    now,
                    abandoned_detail(self._claim_timeout),
                    preview_id,
                ),
            )
            logger.warning("send %s abandoned mid-send; outcome unknown", preview_id)
        cutoff = now - self._retention
        expired = connection.execute(
            "UPDATE sends SET status = ?, finished_at = ?, detail = ?, body_json = '' "
            "WHERE status = ? AND created_at <= ?",
            (
                SendStatus.EXPIRED,
                now,
                EXPIRED_DETAIL,
                SendStatus.PENDING,
                cutoff,
            ),
        ).rowcount
        if expired:
            logger.info("expired %d unsent preview(s) past retention", expired)
        connection.execute(
            "UPDATE sends SET body_json = '' "
            "WHERE body_json <> '' AND created_at <= ? AND status <> ?",
            (cutoff, SendStatus.IN_PROGRESS),
        )
        connection.execute("DELETE FROM forms WHERE claimed_at <= ?", (cutoff,))

    # ---- changes ---------------------------------------------------------------------------

    def _append_change(self, draft: ChangeRecord) -> tuple[int, float]:
        with self._writing() as (connection, now):
            if draft.undo_of is not None and not _change_exists(connection, draft.undo_of):
                raise StateError(missing_undone_change(draft.undo_of))
            cursor = connection.execute(
                "INSERT INTO changes (at, user_id, action, exten, group_name, before_json, "
                "after_json, outcome, detail, undo_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, *change_columns(draft), draft.undo_of),
            )
            change_id = cursor.lastrowid
        assert change_id is not None  # an INSERT into a rowid table always has one
        return change_id, now

    def change(self, change_id: int) -> ChangeRecord | None:
        with self._reading() as connection:
            row = connection.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE id = ?", (change_id,)
            ).fetchone()
        return None if row is None else change_from_row(row)

    def recent_changes(self, *, exten: str | None = None, limit: int = 20) -> list[ChangeRecord]:
        """Newest first by recording order (IDs), which a clock jump cannot reorder."""
        limit = max(limit, 0)
        with self._reading() as connection:
            if exten is None:
                rows = connection.execute(
                    f"SELECT {_CHANGE_COLUMNS} FROM changes ORDER BY id DESC LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = connection.execute(
                    f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE exten = ? "
                    "ORDER BY id DESC LIMIT ?",
                    (exten, limit),
                ).fetchall()
        return [change_from_row(row) for row in rows]

    def claim_undo(self, change_id: int, *, user_id: str) -> bool:
        """Reserve the undo of a change; two clicks on Undo give one True.

        False when the change does not exist, is already undone, or another undo holds a
        reservation younger than `claim_timeout`.
        """
        with self._writing() as (connection, now):
            claimed = connection.execute(
                "UPDATE changes SET undo_claimed_at = ?, undo_claimed_by = ? "
                "WHERE id = ? AND undone_by IS NULL "
                "AND (undo_claimed_at IS NULL OR undo_claimed_at < ?)",
                (now, user_id, change_id, now - self._claim_timeout),
            ).rowcount
        if claimed == 1:
            logger.info("undo of change #%d claimed by %s", change_id, user_id)
        return claimed == 1

    def finish_undo(self, change_id: int, *, undo_change_id: int | None) -> None:
        """Mark the change undone, or release the reservation so Undo can be tried again.

        If a slow undo finishes after another one already marked the change (possible only
        after a reservation timed out), the first mark stays; the second undo is still in the
        audit through its own `undo_of`.
        """
        with self._writing() as (connection, _now):
            row = connection.execute(
                "SELECT undone_by FROM changes WHERE id = ?", (change_id,)
            ).fetchone()
            if row is None:
                raise StateError(f"Change #{change_id} does not exist, so it cannot be undone.")
            if undo_change_id is None:
                connection.execute(
                    "UPDATE changes SET undo_claimed_at = NULL, undo_claimed_by = NULL "
                    "WHERE id = ? AND undone_by IS NULL",
                    (change_id,),
                )
                logger.info("undo of change #%d released for another try", change_id)
                return
            if not _change_exists(connection, undo_change_id):
                raise StateError(
                    f"Change #{undo_change_id} does not exist, so it cannot mark "
                    f"change #{change_id} undone."
                )
            if row["undone_by"] is not None and row["undone_by"] != undo_change_id:
                logger.warning(
                    "change #%d was already undone by #%d; keeping that, #%d also undid it",
                    change_id,
                    row["undone_by"],
                    undo_change_id,
                )
                return
            connection.execute(
                "UPDATE changes SET undone_by = ?, undo_claimed_at = NULL, "
                "undo_claimed_by = NULL WHERE id = ?",
                (undo_change_id, change_id),
            )
        logger.info("change #%d undone by #%d", change_id, undo_change_id)

    # ---- sends -----------------------------------------------------------------------------

    def save_preview(self, preview: PendingSend) -> None:
        """Store a new pending preview; an ID that is already stored is refused."""
        target = preview.target
        with self._writing() as (connection, _now):
            try:
                connection.execute(
                    "INSERT INTO sends (id, created_at, user_id, session_id, from_account, "
                    "to_account, template, language, msg_random, body_json, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        preview.id,
                        preview.created_at,
                        preview.user_id,
                        target.session_id,
                        target.from_account,
                        target.to_account,
                        preview.template,
                        preview.language,
                        preview.msg_random,
                        preview.body_json,
                        SendStatus.PENDING,
                    ),
                )
            except sqlite3.IntegrityError as error:
                raise StateError(
                    f"A preview with ID {preview.id} is already stored: make a new preview."
                ) from error
        logger.info("preview %s saved (template %s)", preview.id, preview.template)

    def preview(self, preview_id: str) -> PendingSend | None:
        """The preview as saved; `body_json` is "" once its text was discarded.

        Text older than the retention period is withheld here too, even before the next
        write blanks it in the file; a send in flight keeps its text until it finishes.
        """
        with self._reading() as connection:
            row = connection.execute(
                "SELECT id, created_at, user_id, session_id, from_account, to_account, "
                "template, language, msg_random, body_json, status FROM sends WHERE id = ?",
                (preview_id,),
            ).fetchone()
        if row is None:
            return None
        return preview_from_row(row, now=self._clock.time(), retention=self._retention)

    def claim_send(self, preview_id: str) -> SendClaim:
        """Take the right to call the vendor for this preview; only one caller gets CLAIMED.

        A claim older than `claim_timeout` is abandoned: it becomes `unknown` and every caller
        from then on gets `SendClaim.UNKNOWN` (see the class docstring for why).
        """
        with self._writing() as (connection, now):
            claimed = connection.execute(
                "UPDATE sends SET status = ?, claimed_at = ? WHERE id = ? AND status = ?",
                (SendStatus.IN_PROGRESS, now, preview_id, SendStatus.PENDING),
            ).rowcount
            if claimed == 1:
                result = SendClaim.CLAIMED
            else:
                row = connection.execute(
                    "SELECT status FROM sends WHERE id = ?", (preview_id,)
                ).fetchone()
                result = (
                    SendClaim.NOT_FOUND
                    if row is None
                    else REFUSAL_BY_STATUS[SendStatus(row["status"])]
                )
        logger.info("send %s: claim answered %s", preview_id, result.value)
        return result

    def finish_send(self, preview_id: str, *, outcome: SendOutcome, detail: str) -> None:
        """Record how a claimed send ended.

        "sent", "failed" and "unknown" (the request left but no answer came back) are final
        and discard the text. "retryable" (the vendor did not take it, e.g. rate-limited)
        makes the preview pending again with the same MsgRandom, so a later Send cannot
        deliver it twice. A late answer for a send already marked
        `unknown` is recorded too. Finishing a send that was never claimed is refused.
        """
        if outcome not in SEND_OUTCOMES:
            raise ValueError(f"unknown send outcome {outcome!r}; use one of {SEND_OUTCOMES}")
        with self._writing() as (connection, now):
            row = connection.execute(
                "SELECT status FROM sends WHERE id = ?", (preview_id,)
            ).fetchone()
            if row is None:
                raise StateError(f"No preview {preview_id} is stored, so it cannot be finished.")
            status = SendStatus(row["status"])
            if status not in (SendStatus.IN_PROGRESS, SendStatus.UNKNOWN):
                raise StateError(
                    f"Send {preview_id} is {status.value}, not in progress: its outcome "
                    "cannot be recorded."
                )
            if outcome == "retryable":
                connection.execute(
                    "UPDATE sends SET status = ?, claimed_at = NULL, finished_at = NULL, "
                    "detail = ? WHERE id = ?",
                    (SendStatus.PENDING, detail, preview_id),
                )
            else:
                connection.execute(
                    "UPDATE sends SET status = ?, finished_at = ?, detail = ?, body_json = '' "
                    "WHERE id = ?",
                    (SendStatus(outcome), now, detail, preview_id),
                )
        logger.info("send %s finished: %s", preview_id, outcome)

    def cancel_preview(self, preview_id: str) -> bool:
        """Cancel a preview that is still pending and discard its text; False otherwise."""
        with self._writing() as (connection, now):
            cancelled = connection.execute(
                "UPDATE sends SET status = ?, finished_at = ?, detail = ?, body_json = '' "
                "WHERE id = ? AND status = ?",
                (
                    SendStatus.CANCELLED,
                    now,
                    CANCELLED_DETAIL,
                    preview_id,
                    SendStatus.PENDING,
                ),
            ).rowcount
        if cancelled == 1:
            logger.info("preview %s cancelled", preview_id)
        return cancelled == 1

    def claim_form(self, form_id: str) -> bool:
        with self._writing() as (connection, now):
            claimed = connection.execute(
                "INSERT OR IGNORE INTO forms (id, claimed_at) VALUES (?, ?)", (form_id, now)
            ).rowcount
        if claimed != 1:
            logger.warning("form %s was delivered again; only the first delivery counts", form_id)
        return claimed == 1

    def recent_sends(self, *, limit: int = 20) -> list[SendRecord]:
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT id, created_at, user_id, session_id, from_account, to_account, "
                "template, msg_random, status, detail, finished_at FROM sends "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (max(limit, 0),),
            ).fetchall()
        return [send_record_from_row(row) for row in rows]


def check_timeouts(claim_timeout: float, retention: float) -> None:
    if claim_timeout <= 0 or retention <= 0:
        raise ValueError("claim_timeout and retention must be positive")


def change_columns(draft: ChangeRecord) -> tuple[str, ...]:
    """user_id, action, exten, group_name, before_json, after_json, outcome, detail: stored
    as they are by both stores."""
    return (
        draft.user_id,
        draft.action,
        draft.exten,
        draft.group_name,
        members_to_json(draft.before),
        members_to_json(draft.after),
        draft.outcome,
        draft.detail,
    )


def missing_undone_change(change_id: int) -> str:
    return f"Change #{change_id} does not exist, so nothing can undo it."


def abandoned_detail(claim_timeout: float) -> str:
    return (
        f"No outcome within {claim_timeout:g} s of Send: it may or may not have reached the "
        "customer."
    )


# A pending preview is never refused: the conditional claim in claim_send would have won.
REFUSAL_BY_STATUS: dict[SendStatus, SendClaim] = {
    SendStatus.IN_PROGRESS: SendClaim.IN_PROGRESS,
    SendStatus.SENT: SendClaim.SENT,
    SendStatus.FAILED: SendClaim.FAILED,
    SendStatus.CANCELLED: SendClaim.CANCELLED,
    SendStatus.UNKNOWN: SendClaim.UNKNOWN,
    SendStatus.EXPIRED: SendClaim.EXPIRED,
}

_CHANGE_COLUMNS = (
    "id, at, user_id, action, exten, group_name, before_json, after_json, outcome, detail, "
    "undo_of, undone_by"
)


def _change_exists(connection: sqlite3.Connection, change_id: int) -> bool:
    return (
        connection.execute("SELECT 1 FROM changes WHERE id = ?", (change_id,)).fetchone()
        is not None
    )


# Rows: a sqlite3.Row, or a mapping with the same column names and types (see state_redis).
Row = sqlite3.Row | Mapping[str, Any]


def change_from_row(row: Row) -> ChangeRecord:
    return ChangeRecord(
        id=row["id"],
        at=row["at"],
        user_id=row["user_id"],
        action=row["action"],
        exten=row["exten"],
        group_name=row["group_name"],
        before=members_from_json(row["before_json"]),
        after=members_from_json(row["after_json"]),
        outcome=row["outcome"],
        detail=row["detail"],
        undo_of=row["undo_of"],
        undone_by=row["undone_by"],
    )


def preview_from_row(row: Row, *, now: float, retention: float) -> PendingSend:
    """The preview as saved. Text older than the retention period is withheld even before
    the next write blanks it; a send in flight keeps its text until it finishes."""
    past_retention = (
        row["created_at"] <= now - retention and row["status"] != SendStatus.IN_PROGRESS
    )
    return PendingSend(
        id=row["id"],
        created_at=row["created_at"],
        user_id=row["user_id"],
        target=_target_of(row),
        template=row["template"],
        language=row["language"],
        msg_random=row["msg_random"],
        body_json="" if past_retention else row["body_json"],
    )


def send_record_from_row(row: Row) -> SendRecord:
    return SendRecord(
        id=row["id"],
        created_at=row["created_at"],
        user_id=row["user_id"],
        target=_target_of(row).describe(),
        template=row["template"],
        msg_random=row["msg_random"],
        status=SendStatus(row["status"]),
        detail=row["detail"],
        finished_at=row["finished_at"],
    )


def _target_of(row: Row) -> MessageTarget:
    return MessageTarget(
        session_id=row["session_id"],
        from_account=row["from_account"],
        to_account=row["to_account"],
    )


def members_to_json(members: tuple[Member, ...]) -> str:
    return json.dumps(
        [{"agent_number": m.agent_number, "priority": m.priority, "name": m.name} for m in members],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def members_from_json(text: str) -> tuple[Member, ...]:
    return tuple(
        Member(
            agent_number=str(item["agent_number"]),
            priority=int(item.get("priority", 0)),
            name=str(item.get("name", "")),
        )
        for item in json.loads(text)
    )
