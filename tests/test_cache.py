"""The read cache: TTL on our clock, one vendor call for many askers, stale beats nothing.

Every test runs twice: in process alone, and with the shared layer in Redis behind it (one
instance's view of it; tests/redis/test_shared_cache.py has several). Last, the codec that
carries readings through Redis.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import codec
from bot.cache import ReadCache
from bot.cache_shared import SharedReads
from bot.clock import FakeClock
from bot.errors import BudgetExhausted, NotFound
from bot.models import (
    AgentClaim,
    GroupClaims,
    ImAgent,
    ImAgentLanguage,
    Member,
    MessageTarget,
    Reading,
    SkillGroup,
)
from bot.shared import SharedRedis


@pytest.fixture(params=["alone", pytest.param("shared", marks=pytest.mark.redis)])
def make_cache(
    request: pytest.FixtureRequest, clock: FakeClock
) -> Iterator[Callable[[], ReadCache]]:
    if request.param == "alone":
        yield lambda: ReadCache(clock=clock)
        return
    shared = SharedRedis(request.getfixturevalue("redis_url"), clock=clock)
    yield lambda: ReadCache(clock=clock, shared=SharedReads(shared, clock=clock))
    shared.close()


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


class SlowFetch:
    """A vendor read that takes until the test releases it."""

    def __init__(self, answer: str = "answer") -> None:
        self.answer = answer
        self.calls = 0
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self) -> str:
        self.calls += 1
        self.started.set()
        self.release.wait(5)
        return self.answer


def test_fresh_answers_are_served_until_the_ttl_passes(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache, fetch = make_cache(), Counter()
    assert cache.get("k", 15, fetch).value == 1
    clock.advance(14)
    assert cache.get("k", 15, fetch).value == 1
    clock.advance(2)
    reading = cache.get("k", 15, fetch)
    assert reading.value == 2 and not reading.stale
    assert reading.fetched_at == clock.time()


def test_concurrent_askers_share_one_fetch(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache, fetch = make_cache(), SlowFetch()
    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(cache.get, "k", 15, fetch) for _ in range(50)]
        fetch.started.wait(5)
        fetch.release.set()
        answers = [f.result(timeout=5).value for f in futures]
    assert answers == ["answer"] * 50
    assert fetch.calls == 1


def test_errors_are_never_cached_and_reach_every_waiter(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache = make_cache()
    failure = NotFound("gone", vendor="7moor", endpoint="queueQueue")

    def failing() -> int:
        raise failure

    with pytest.raises(NotFound):
        cache.get("k", 15, failing)
    assert cache.get("k", 15, lambda: 7).value == 7


def test_a_spent_budget_serves_the_last_good_answer_marked_stale(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache = make_cache()
    cache.get("k", 15, lambda: "old")
    clock.advance(40)

    def spent() -> str:
        raise BudgetExhausted("queueQueue", 20)

    reading = cache.get("k", 15, spent)
    assert reading.value == "old" and reading.stale
    assert reading.age(clock.time()) == 40
    assert "this minute's are used up" in reading.stale_reason


def test_with_no_last_answer_the_budget_error_surfaces(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache = make_cache()
    with pytest.raises(BudgetExhausted):
        cache.get("k", 15, lambda: (_ for _ in ()).throw(BudgetExhausted("queueQueue", 20)))


def test_invalidate_forgets_fresh_answers_and_blocks_a_late_stale_store(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache = make_cache()
    cache.get("k", 60, lambda: "before")
    cache.invalidate("k")
    assert cache.get("k", 60, lambda: "after").value == "after"

    # A read that began before a write must not store pre-write data after it.
    in_fetch, finish = threading.Event(), threading.Event()

    def racing_read() -> str:
        in_fetch.set()
        finish.wait(5)
        return "pre-write"

    cache.invalidate("k")
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(cache.get, "k", 60, racing_read)
        in_fetch.wait(5)
        cache.invalidate("k")  # the write lands while the read is in flight
        finish.set()
        assert future.result(timeout=5).value == "pre-write"  # that asker still gets an answer
    assert cache.get("k", 60, lambda: "post-write").value == "post-write"


def test_an_asker_after_a_write_never_waits_for_a_read_begun_before_it(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache = make_cache()
    in_fetch, finish = threading.Event(), threading.Event()

    def pre_write_read() -> str:
        in_fetch.set()
        finish.wait(5)
        return "pre-write"

    with ThreadPoolExecutor(max_workers=1) as pool:
        early = pool.submit(cache.get, "k", 60, pre_write_read)
        in_fetch.wait(5)
        cache.invalidate("k")  # the write lands while that read is in flight
        late = cache.get("k", 60, lambda: "post-write")  # answered at once, by its own read
        assert late.value == "post-write"
        finish.set()
        assert early.result(timeout=5).value == "pre-write"
    assert cache.get("k", 60, lambda: "never asked").value == "post-write"
    assert cache.peek("k") == late  # the late pre-write answer did not replace it


def test_a_read_that_raced_a_write_is_still_the_fallback(
    make_cache: Callable[[], ReadCache], clock: FakeClock
) -> None:
    cache = make_cache()
    in_fetch, finish = threading.Event(), threading.Event()

    def racing_read() -> str:
        in_fetch.set()
        finish.wait(5)
        return "read during the write"

    with ThreadPoolExecutor(max_workers=1) as pool:
        racing = pool.submit(cache.get, "k", 60, racing_read)
        in_fetch.wait(5)
        cache.invalidate("k")
        finish.set()
        racing.result(timeout=5)
    clock.advance(5)

    def spent() -> str:
        raise BudgetExhausted("queueQueue", 50)

    reading = cache.get("k", 60, spent)  # not fresh, yet far better than no answer
    assert reading.value == "read during the write" and reading.stale
    assert reading.age(clock.time()) == 5


# ---- the codec of the shared layer ------------------------------------------------------------

GROUP = SkillGroup(
    "10019349",
    "Night Shift",
    "queue",
    True,
    120,
    "2024-05-01 09:00:00",
    "8000",
    (Member("8003", 0, "刘洋"), Member("8011", 2, "")),
)
CLAIMS = GroupClaims(
    "10019349",
    "Night Shift",
    "queue",
    (AgentClaim("8003", "刘洋", 0, True, False, phone="15145678903"),),
)
AGENT = ImAgent(
    "@customer_service_account",
    "衣服官方旗舰店",
    True,
    "robot-1",
    0,
    None,
    (ImAgentLanguage("zh", True, "您好", 0, 1, 2),),
)


@pytest.mark.parametrize(
    "value",
    [GROUP, [GROUP, GROUP], CLAIMS, [AGENT], Reading([GROUP], 1_700_000_000.25), 7, "text", None],
)
def test_the_codec_rebuilds_our_values_exactly(value: object) -> None:
    rebuilt = codec.loads(codec.dumps(value))
    assert rebuilt == value and type(rebuilt) is type(value)
    if isinstance(value, SkillGroup):
        assert isinstance(rebuilt.members, tuple)  # a tuple stays a tuple


def test_the_codec_refuses_types_it_does_not_carry() -> None:
    with pytest.raises(codec.CodecError, match="MessageTarget"):
        codec.dumps(MessageTarget(session_id="s"))  # a dataclass, but not registered
    with pytest.raises(codec.CodecError):
        codec.dumps({"a": 1})


@pytest.mark.parametrize(
    "text",
    [
        '{"@":"Popen","f":{"args":"rm -rf /"}}',  # only registered names are built
        '{"@":"Member","f":{"agent_number":"1","priority":0,"name":"","extra":1}}',
        '{"@":"Member","f":{"agent_number":"1"}}',  # exactly the fields, no defaults guessed
        '{"py/object":"os.system"}',
        "not json",
    ],
)
def test_the_codec_refuses_stored_text_it_never_writes(text: str) -> None:
    with pytest.raises(codec.CodecError):
        codec.loads(text)
