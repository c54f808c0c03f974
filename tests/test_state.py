"""The durable state stores: audit of changes, Undo reservations, exactly-once sends.

The contract tests run against both stores, SQLite and Redis (`store`, `open_store` and
`raw_send` are parametrized); the file-specific ones use SQLite alone. Time moves with
`FakeClock`; races use a barrier so every thread hits the claim together.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.clock import FakeClock
from bot.models import Member, MessageTarget
from bot.shared import SharedRedis
from bot.state import (
    DEFAULT_CLAIM_TIMEOUT,
    DEFAULT_RETENTION,
    SCHEMA_VERSION,
    PendingSend,
    SendClaim,
    SendStatus,
    SqliteStateStore,
    StateError,
    StateStore,
)
from bot.state_redis import RedisStateStore

StoreT = TypeVar("StoreT", SqliteStateStore, RedisStateStore)

BODY = '[{"MsgType":"TIMTextElem","MsgContent":{"Text":"您好 Alice, your refund is on its way"}}]'
BEFORE = (Member("8000", 1, "张三"), Member("8001", 0, ""))
AFTER = (Member("8000", 1, "张三"), Member("8001", 0, ""), Member("8002", 3, "Bob"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "deskbot.sqlite3"


def closing_all(make: Callable[..., StoreT]) -> Iterator[Callable[..., StoreT]]:
    """A fixture body: opens stores with `make`, and closes every one of them afterwards."""
    opened: list[StoreT] = []

    def open_one(**options: object) -> StoreT:
        opened.append(make(**options))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def open_sqlite(db_path: Path, clock: FakeClock) -> Iterator[Callable[..., SqliteStateStore]]:
    """Opens SQLite stores on the test's file."""
    yield from closing_all(lambda **options: SqliteStateStore(db_path, clock=clock, **options))


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(
    kind: str, request: pytest.FixtureRequest, db_path: Path, clock: FakeClock
) -> Iterator[Callable[..., StateStore]]:
    """Opens stores of this run's kind, all on one shared place (a file, a Redis)."""
    if kind == "sqlite":
        yield from closing_all(lambda **options: SqliteStateStore(db_path, clock=clock, **options))
        return
    url = request.getfixturevalue("redis_url")
    yield from closing_all(
        lambda **options: RedisStateStore(SharedRedis(url, clock=clock), clock=clock, **options)
    )


@pytest.fixture
def store(open_store: Callable[..., StateStore]) -> StateStore:
    return open_store()


@pytest.fixture
def raw_send(
    kind: str, request: pytest.FixtureRequest, db_path: Path
) -> Callable[[str], dict[str, Any]]:
    """A send as it is stored, bypassing anything the store might mask."""
    if kind == "sqlite":
        return lambda preview_id: dict(sqlite_row(db_path, preview_id))
    url = request.getfixturevalue("redis_url")

    def stored(preview_id: str) -> dict[str, Any]:
        client = SharedRedis(url).client
        try:
            fields: dict[str, Any] = client.hgetall(f"deskbot:state:send:{preview_id}")
        finally:
            client.close()
        fields["msg_random"] = int(fields["msg_random"])
        return fields

    return stored


def record(store: StateStore, *, exten: str = "10001", **overrides: object) -> int:
    fields: dict[str, object] = {
        "user_id": "U024BE7LH",
        "action": "add",
        "exten": exten,
        "group_name": "Refunds",
        "before": BEFORE,
        "after": AFTER,
        "outcome": "ok",
        "detail": "Added 8002.",
    }
    fields.update(overrides)
    return store.record_change(**fields).id  # type: ignore[arg-type]


def make_preview(clock: FakeClock, **overrides: object) -> PendingSend:
    fields: dict[str, object] = {
        "user_id": "U024BE7LH",
        "target": MessageTarget(session_id="sess-42"),
        "template": "refund",
        "language": "en",
        "body_json": BODY,
        "clock": clock,
    }
    fields.update(overrides)
    return PendingSend.new(**fields)  # type: ignore[arg-type]


def sqlite_row(db_path: Path, preview_id: str) -> sqlite3.Row:
    """The row as it sits in the file."""
    connection = sqlite3.connect(db_path)
    try:
        connection.row_factory = sqlite3.Row
        return connection.execute("SELECT * FROM sends WHERE id = ?", (preview_id,)).fetchone()
    finally:
        connection.close()


def race(workers: int, attempt: Callable[[int], object]) -> list[object]:
    """Run `attempt(i)` on `workers` threads released together by a barrier."""
    barrier = threading.Barrier(workers)

    def run(index: int) -> object:
        barrier.wait()
        return attempt(index)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))


# ---- opening, schema, errors ---------------------------------------------------------------


def test_store_satisfies_the_protocol(store: StateStore) -> None:
    assert isinstance(store, StateStore)


def test_new_file_gets_schema_version_and_wal(
    open_sqlite: Callable[..., SqliteStateStore], db_path: Path
) -> None:
    open_sqlite()
    connection = sqlite3.connect(db_path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_file_from_a_newer_deskbot_is_refused(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    connection = sqlite3.connect(db_path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StateError, match="written by a newer deskbot"):
        SqliteStateStore(db_path, clock=clock)


def test_unwritable_folder_is_a_state_error_with_a_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    path = blocker / "deskbot.sqlite3"
    with pytest.raises(StateError) as caught:
        SqliteStateStore(path)
    message = str(caught.value)
    assert message.startswith(f"The state file {path} is not writable")
    assert message.endswith("check DESK_STATE_PATH.")


def test_path_that_is_a_folder_is_a_state_error_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(StateError) as caught:
        SqliteStateStore(tmp_path)
    assert str(caught.value) == f"The state file {tmp_path} is not writable: check DESK_STATE_PATH."


def test_file_that_is_not_a_database_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"shopping list: " * 100)
    with pytest.raises(StateError, match="is not a deskbot state database"):
        SqliteStateStore(path)


def test_write_lock_held_elsewhere_is_a_state_error(
    open_sqlite: Callable[..., SqliteStateStore], db_path: Path
) -> None:
    store = open_sqlite(busy_timeout=0.05)
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StateError, match="stayed locked by another process"):
            record(store)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert record(store) == 1  # the store is still usable once the lock is gone


def test_closed_store_refuses_use(store: StateStore) -> None:
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StateError, match="was closed"):
        store.recent_changes()


def test_in_memory_store_works(clock: FakeClock) -> None:
    with SqliteStateStore(":memory:", clock=clock) as store:
        change_id = record(store)
        assert store.claim_undo(change_id, user_id="U1")
        preview = make_preview(clock)
        store.save_preview(preview)
        assert store.claim_send(preview.id) is SendClaim.CLAIMED
        assert store.claim_send(preview.id) is SendClaim.IN_PROGRESS


# ---- changes -------------------------------------------------------------------------------


def test_change_round_trips_equal(store: StateStore, clock: FakeClock) -> None:
    recorded = store.record_change(
        user_id="U024BE7LH",
        action="add",
        exten="10001",
        group_name="售后 Refunds",
        before=list(BEFORE),
        after=AFTER,
        outcome="partial",
        detail="Vendor skipped 9999 (unknown agent).",
    )
    assert recorded.at == clock.time()
    assert recorded.before == BEFORE
    assert recorded.undo_of is None and recorded.undone_by is None
    assert store.change(recorded.id) == recorded
    assert store.change(recorded.id + 100) is None


def test_record_change_rejects_what_the_audit_cannot_mean(store: StateStore) -> None:
    with pytest.raises(ValueError, match="action"):
        record(store, action="rename")
    with pytest.raises(ValueError, match="outcome"):
        record(store, outcome="maybe")
    with pytest.raises(ValueError, match="undo_of"):
        record(store, action="undo")
    with pytest.raises(ValueError, match="undo_of"):
        record(store, undo_of=1)
    with pytest.raises(StateError, match="Change #77 does not exist"):
        record(store, action="undo", undo_of=77)
    assert store.recent_changes() == []


def test_recent_changes_newest_first_filtered_and_limited(
    store: StateStore, clock: FakeClock
) -> None:
    ids = []
    for exten in ("10001", "10002", "10001", "10001"):
        ids.append(record(store, exten=exten))
        clock.advance(-5)  # a clock stepping back must not reorder the audit
    assert [c.id for c in store.recent_changes()] == ids[::-1]
    assert [c.id for c in store.recent_changes(exten="10001")] == [ids[3], ids[2], ids[0]]
    assert [c.id for c in store.recent_changes(exten="10001", limit=2)] == [ids[3], ids[2]]
    assert store.recent_changes(exten="99999") == []
    assert store.recent_changes(limit=0) == []


def test_second_claim_undo_is_refused_and_finish_marks_undone(store: StateStore) -> None:
    change_id = record(store)
    assert store.claim_undo(change_id, user_id="U1") is True
    assert store.claim_undo(change_id, user_id="U2") is False
    undo_id = record(store, action="undo", undo_of=change_id, before=AFTER, after=BEFORE)
    store.finish_undo(change_id, undo_change_id=undo_id)
    assert store.change(change_id).undone_by == undo_id  # type: ignore[union-attr]
    assert store.change(undo_id).undo_of == change_id  # type: ignore[union-attr]
    assert store.claim_undo(change_id, user_id="U1") is False
    assert store.claim_undo(12345, user_id="U1") is False


def test_finish_undo_with_none_releases_the_reservation(store: StateStore) -> None:
    change_id = record(store)
    assert store.claim_undo(change_id, user_id="U1")
    store.finish_undo(change_id, undo_change_id=None)
    assert store.change(change_id).undone_by is None  # type: ignore[union-attr]
    assert store.claim_undo(change_id, user_id="U2") is True


def test_finish_undo_of_an_unknown_change_is_a_state_error(store: StateStore) -> None:
    with pytest.raises(StateError, match="Change #5 does not exist"):
        store.finish_undo(5, undo_change_id=None)


def test_claim_undo_once_under_racing_threads(store: StateStore) -> None:
    change_id = record(store)
    results = race(20, lambda i: store.claim_undo(change_id, user_id=f"U{i}"))
    assert results.count(True) == 1


def test_abandoned_undo_reservation_can_be_claimed_again(
    store: StateStore, clock: FakeClock
) -> None:
    change_id = record(store)
    assert store.claim_undo(change_id, user_id="U1")
    clock.advance(DEFAULT_CLAIM_TIMEOUT - 1)
    assert store.claim_undo(change_id, user_id="U2") is False
    clock.advance(2)
    assert store.claim_undo(change_id, user_id="U2") is True


def test_late_second_undo_keeps_the_first_mark(store: StateStore) -> None:
    change_id = record(store)
    first = record(store, action="undo", undo_of=change_id)
    second = record(store, action="undo", undo_of=change_id)
    store.finish_undo(change_id, undo_change_id=first)
    store.finish_undo(change_id, undo_change_id=second)
    assert store.change(change_id).undone_by == first  # type: ignore[union-attr]


def test_a_form_is_claimed_once_under_racing_threads(store: StateStore) -> None:
    results = race(20, lambda _i: store.claim_form("V0FORM01"))
    assert results.count(True) == 1
    assert store.claim_form("V0FORM02") is True  # another form is another claim


def test_form_claims_survive_a_restart(open_store: Callable[..., StateStore]) -> None:
    first = open_store()
    assert first.claim_form("V0FORM01")
    first.close()

    assert open_store().claim_form("V0FORM01") is False


def test_old_form_claims_are_forgotten_after_retention(db_path: Path, clock: FakeClock) -> None:
    store = SqliteStateStore(db_path, clock=clock)
    assert store.claim_form("V0FORM01")
    clock.advance(DEFAULT_RETENTION + 1)
    record(store)  # any write applies retention
    rows = sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM forms").fetchone()[0]
    store.close()
    assert rows == 0


# ---- restart ---------------------------------------------------------------------------------


def test_changes_undo_marks_and_previews_survive_a_restart(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    first = open_store()
    undone = record(first)
    reserved = record(first, exten="10002")
    undo = record(first, action="undo", undo_of=undone)
    assert first.claim_undo(undone, user_id="U1")
    first.finish_undo(undone, undo_change_id=undo)
    assert first.claim_undo(reserved, user_id="U1")
    pending = make_preview(clock, target=MessageTarget(from_account="agent1", to_account="cust9"))
    claimed = make_preview(clock, language=None)
    first.save_preview(pending)
    first.save_preview(claimed)
    assert first.claim_send(claimed.id) is SendClaim.CLAIMED
    changes_before = first.recent_changes()
    first.close()

    reopened = open_store()
    assert reopened.recent_changes() == changes_before
    assert reopened.change(undone).undone_by == undo  # type: ignore[union-attr]
    assert reopened.claim_undo(reserved, user_id="U2") is False  # still reserved
    assert reopened.preview(pending.id) == pending
    assert reopened.preview(claimed.id) == claimed
    assert reopened.claim_send(claimed.id) is SendClaim.IN_PROGRESS
    assert reopened.claim_send(pending.id) is SendClaim.CLAIMED


# ---- previews and sends ----------------------------------------------------------------------


def test_new_preview_has_urlsafe_id_and_32_bit_msg_random(clock: FakeClock) -> None:
    previews = [make_preview(clock) for _ in range(50)]
    assert len({p.id for p in previews}) == 50
    for preview in previews:
        assert len(preview.id) >= 20
        assert set(preview.id) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
        assert 0 < preview.msg_random < 2**32
        assert preview.created_at == clock.time()
        assert "refund is on its way" not in repr(preview)
    with pytest.raises(ValueError, match="32-bit"):
        PendingSend(
            id="x",
            created_at=0.0,
            user_id="U1",
            target=MessageTarget(session_id="s"),
            template="t",
            language=None,
            msg_random=2**32,
            body_json="{}",
        )


def test_preview_round_trips_and_cannot_be_saved_twice(store: StateStore, clock: FakeClock) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    assert store.preview(preview.id) == preview
    assert store.preview("nope") is None
    with pytest.raises(StateError, match="already stored"):
        store.save_preview(preview)


def test_claim_send_once_under_20_racing_threads(store: StateStore, clock: FakeClock) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    results = race(20, lambda _: store.claim_send(preview.id))
    assert results.count(SendClaim.CLAIMED) == 1
    assert results.count(SendClaim.IN_PROGRESS) == 19


def test_claim_send_once_across_two_stores_on_one_file(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    stores = [open_store(), open_store()]
    previews = [make_preview(clock) for _ in range(5)]
    for preview in previews:
        stores[0].save_preview(preview)
    for preview in previews:
        results = race(20, lambda i, p=preview: stores[i % 2].claim_send(p.id))  # type: ignore[misc]
        assert results.count(SendClaim.CLAIMED) == 1, results
        assert results.count(SendClaim.IN_PROGRESS) == 19


class ClockThatInterrupts(FakeClock):
    """A FakeClock that runs `interruption` the first time the store asks it the time.

    The store reads the clock inside its write transaction, so this is a deterministic
    way to act as a second process at the exact moment the first one is deciding.
    """

    def __init__(self) -> None:
        super().__init__()
        self.interruption: Callable[[], None] | None = None

    def time(self) -> float:
        interruption, self.interruption = self.interruption, None
        if interruption is not None:
            interruption()
        return super().time()


def test_claim_send_holds_the_write_lock_while_it_decides(
    db_path: Path, clock: FakeClock, open_sqlite: Callable[..., SqliteStateStore]
) -> None:
    interrupting_clock = ClockThatInterrupts()
    first = SqliteStateStore(db_path, clock=interrupting_clock)
    second = open_sqlite(busy_timeout=0)
    preview = make_preview(clock)
    first.save_preview(preview)
    outcomes: list[object] = []

    def second_process_clicks_send() -> None:
        try:
            outcomes.append(second.claim_send(preview.id))
        except StateError as error:
            outcomes.append(error)

    try:
        interrupting_clock.interruption = second_process_clicks_send
        assert first.claim_send(preview.id) is SendClaim.CLAIMED
    finally:
        first.close()
    [outcome] = outcomes
    assert isinstance(outcome, StateError), outcome
    assert "stayed locked by another process" in str(outcome)
    assert second.claim_send(preview.id) is SendClaim.IN_PROGRESS


def test_claim_send_of_an_unknown_preview_is_not_found(store: StateStore) -> None:
    assert store.claim_send("never-saved") is SendClaim.NOT_FOUND


def test_sent_is_final_discards_the_text_and_keeps_the_audit(
    store: StateStore, clock: FakeClock, raw_send: Callable[[str], dict[str, Any]]
) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    assert store.claim_send(preview.id) is SendClaim.CLAIMED
    clock.advance(2)
    store.finish_send(preview.id, outcome="sent", detail="Delivered.")
    assert store.claim_send(preview.id) is SendClaim.SENT
    assert store.cancel_preview(preview.id) is False
    assert raw_send(preview.id)["body_json"] == ""
    assert store.preview(preview.id).body_json == ""  # type: ignore[union-attr]
    [audit] = store.recent_sends()
    assert audit.id == preview.id
    assert audit.user_id == preview.user_id
    assert audit.target == "session sess-42"
    assert audit.template == "refund"
    assert audit.msg_random == preview.msg_random
    assert audit.status is SendStatus.SENT
    assert audit.detail == "Delivered."
    assert audit.finished_at == clock.time()
    with pytest.raises(StateError, match="is sent, not in progress"):
        store.finish_send(preview.id, outcome="failed", detail="Again?")


def test_failed_is_final(
    store: StateStore, clock: FakeClock, raw_send: Callable[[str], dict[str, Any]]
) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    store.claim_send(preview.id)
    store.finish_send(preview.id, outcome="failed", detail="Session has ended.")
    assert store.claim_send(preview.id) is SendClaim.FAILED
    assert raw_send(preview.id)["body_json"] == ""


def test_retryable_makes_it_pending_again_with_the_same_msg_random(
    store: StateStore, clock: FakeClock
) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    assert store.claim_send(preview.id) is SendClaim.CLAIMED
    store.finish_send(preview.id, outcome="retryable", detail="Vendor busy; try again.")
    [audit] = store.recent_sends()
    assert audit.status is SendStatus.PENDING
    assert audit.finished_at is None
    again = store.preview(preview.id)
    assert again == preview  # same msg_random, same body
    assert store.claim_send(preview.id) is SendClaim.CLAIMED


def test_finish_send_needs_a_claim(store: StateStore, clock: FakeClock) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    with pytest.raises(StateError, match="is pending, not in progress"):
        store.finish_send(preview.id, outcome="sent", detail="")
    with pytest.raises(StateError, match="No preview nope"):
        store.finish_send("nope", outcome="sent", detail="")
    with pytest.raises(ValueError, match="outcome"):
        store.finish_send(preview.id, outcome="delivered", detail="")  # type: ignore[arg-type]


def test_cancel_only_while_pending(
    store: StateStore, clock: FakeClock, raw_send: Callable[[str], dict[str, Any]]
) -> None:
    pending = make_preview(clock)
    claimed = make_preview(clock)
    store.save_preview(pending)
    store.save_preview(claimed)
    store.claim_send(claimed.id)
    assert store.cancel_preview(pending.id) is True
    assert store.cancel_preview(pending.id) is False
    assert store.cancel_preview(claimed.id) is False
    assert store.cancel_preview("never-saved") is False
    assert store.claim_send(pending.id) is SendClaim.CANCELLED
    assert raw_send(pending.id)["body_json"] == ""
    assert raw_send(claimed.id)["body_json"] == BODY


def test_abandoned_claim_turns_unknown_and_is_never_claimed_again(
    store: StateStore, clock: FakeClock
) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    assert store.claim_send(preview.id) is SendClaim.CLAIMED
    clock.advance(DEFAULT_CLAIM_TIMEOUT)
    assert store.claim_send(preview.id) is SendClaim.IN_PROGRESS
    clock.advance(1)
    assert store.claim_send(preview.id) is SendClaim.UNKNOWN
    clock.advance(3600)
    assert store.claim_send(preview.id) is SendClaim.UNKNOWN
    assert store.cancel_preview(preview.id) is False
    [audit] = store.recent_sends()
    assert audit.status is SendStatus.UNKNOWN
    assert "may or may not have reached the customer" in audit.detail


def test_late_outcome_of_an_unknown_send_is_recorded(store: StateStore, clock: FakeClock) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    store.claim_send(preview.id)
    clock.advance(DEFAULT_CLAIM_TIMEOUT + 1)
    assert store.claim_send(preview.id) is SendClaim.UNKNOWN
    store.finish_send(preview.id, outcome="sent", detail="Delivered after a slow answer.")
    assert store.claim_send(preview.id) is SendClaim.SENT


def test_late_retryable_of_an_unknown_send_reopens_it(store: StateStore, clock: FakeClock) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    store.claim_send(preview.id)
    clock.advance(DEFAULT_CLAIM_TIMEOUT + 1)
    assert store.claim_send(preview.id) is SendClaim.UNKNOWN
    store.finish_send(preview.id, outcome="retryable", detail="Vendor never got it.")
    assert store.preview(preview.id) == preview
    assert store.claim_send(preview.id) is SendClaim.CLAIMED


def test_claim_timeout_is_configurable(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    store = open_store(claim_timeout=10.0)
    preview = make_preview(clock)
    store.save_preview(preview)
    store.claim_send(preview.id)
    clock.advance(11)
    assert store.claim_send(preview.id) is SendClaim.UNKNOWN


def test_retention_expires_pending_text_but_keeps_the_audit(
    store: StateStore, clock: FakeClock, raw_send: Callable[[str], dict[str, Any]]
) -> None:
    old = make_preview(clock)
    store.save_preview(old)
    clock.advance(DEFAULT_RETENTION + 1)
    assert store.preview(old.id).body_json == ""  # type: ignore[union-attr]
    assert raw_send(old.id)["body_json"] == BODY  # not yet: reads are lazy

    fresh = make_preview(clock)
    store.save_preview(fresh)  # any write applies retention
    row = raw_send(old.id)
    assert row["body_json"] == ""
    assert row["msg_random"] == old.msg_random
    assert raw_send(fresh.id)["body_json"] == BODY
    assert store.claim_send(old.id) is SendClaim.EXPIRED
    audit = {r.id: r for r in store.recent_sends()}
    assert audit[old.id].status is SendStatus.EXPIRED
    assert audit[old.id].template == "refund"
    assert audit[old.id].finished_at == clock.time()
    assert [r.id for r in store.recent_sends()] == [fresh.id, old.id]


def test_retention_blanks_text_of_an_unknown_send(
    store: StateStore, clock: FakeClock, raw_send: Callable[[str], dict[str, Any]]
) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    store.claim_send(preview.id)
    clock.advance(DEFAULT_CLAIM_TIMEOUT + 1)
    assert store.claim_send(preview.id) is SendClaim.UNKNOWN
    assert raw_send(preview.id)["body_json"] == BODY  # a late "retryable" may reopen it
    clock.advance(DEFAULT_RETENTION)
    record(store)
    assert raw_send(preview.id)["body_json"] == ""
    assert raw_send(preview.id)["status"] == "unknown"


def test_retention_spares_the_text_of_a_send_in_flight(
    store: StateStore, clock: FakeClock, raw_send: Callable[[str], dict[str, Any]]
) -> None:
    preview = make_preview(clock)
    store.save_preview(preview)
    clock.advance(DEFAULT_RETENTION - 1)
    assert store.claim_send(preview.id) is SendClaim.CLAIMED
    clock.advance(2)
    record(store)  # a write past retention while the sender is still working
    assert raw_send(preview.id)["body_json"] == BODY
    assert store.preview(preview.id) == preview
    store.finish_send(preview.id, outcome="sent", detail="Delivered.")
    assert raw_send(preview.id)["body_json"] == ""


def test_no_message_text_reaches_the_log(
    store: StateStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.state")
    caplog.set_level(logging.DEBUG, logger="bot.state_redis")
    for outcome in ("sent", "failed", "retryable"):
        preview = make_preview(clock)
        store.save_preview(preview)
        store.claim_send(preview.id)
        store.finish_send(preview.id, outcome=outcome, detail="")  # type: ignore[arg-type]
    abandoned = make_preview(clock)
    store.save_preview(abandoned)
    store.claim_send(abandoned.id)
    clock.advance(DEFAULT_RETENTION + 1)
    store.claim_send(abandoned.id)
    store.cancel_preview(make_preview(clock).id)
    assert caplog.records
    assert "refund is on its way" not in caplog.text
