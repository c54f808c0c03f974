"""The read cache: TTL on our clock, one vendor call for many askers, stale beats nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.cache import ReadCache
from bot.clock import FakeClock
from bot.errors import BudgetExhausted, NotFound


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_fresh_answers_are_served_until_the_ttl_passes(clock: FakeClock) -> None:
    cache, fetch = ReadCache(clock=clock), Counter()
    assert cache.get("k", 15, fetch).value == 1
    clock.advance(14)
    assert cache.get("k", 15, fetch).value == 1
    clock.advance(2)
    reading = cache.get("k", 15, fetch)
    assert reading.value == 2 and not reading.stale
    assert reading.fetched_at == clock.time()


def test_concurrent_askers_share_one_fetch(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
    release, started = threading.Event(), threading.Event()
    calls = 0

    def slow_fetch() -> str:
        nonlocal calls
        calls += 1
        started.set()
        release.wait(5)
        return "answer"

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(cache.get, "k", 15, slow_fetch) for _ in range(50)]
        started.wait(5)
        release.set()
        answers = [f.result(timeout=5).value for f in futures]
    assert answers == ["answer"] * 50
    assert calls == 1


def test_errors_are_never_cached_and_reach_every_waiter(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
    failure = NotFound("gone", vendor="7moor", endpoint="queueQueue")

    def failing() -> int:
        raise failure

    with pytest.raises(NotFound):
        cache.get("k", 15, failing)
    assert cache.get("k", 15, lambda: 7).value == 7


def test_a_spent_budget_serves_the_last_good_answer_marked_stale(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
    cache.get("k", 15, lambda: "old")
    clock.advance(40)

    def spent() -> str:
        raise BudgetExhausted("queueQueue", 20)

    reading = cache.get("k", 15, spent)
    assert reading.value == "old" and reading.stale
    assert reading.age(clock.time()) == 40
    assert "this minute's are used up" in reading.stale_reason


def test_with_no_last_answer_the_budget_error_surfaces(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
    with pytest.raises(BudgetExhausted):
        cache.get("k", 15, lambda: (_ for _ in ()).throw(BudgetExhausted("queueQueue", 20)))


def test_invalidate_forgets_fresh_answers_and_blocks_a_late_stale_store(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
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


def test_an_asker_after_a_write_never_waits_for_a_read_begun_before_it(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
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


def test_a_read_that_raced_a_write_is_still_the_fallback(clock: FakeClock) -> None:
    cache = ReadCache(clock=clock)
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
