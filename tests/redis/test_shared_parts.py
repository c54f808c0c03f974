"""The shared pieces one by one, across two "instances" (two SharedRedis on one server).

Cache: single-flight across instances, generations, a forged entry. Budget: one window for
all, its fallback and recovery. Locks: waiting, giving up, renewing, a dead holder, no Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.budget import (
    FALLBACK_SHARE,
    GUARD_SECONDS,
    Budget,
    BudgetUnshared,
    EndpointLimit,
    Priority,
)
from bot.cache import ReadCache
from bot.cache_shared import SharedReads
from bot.clock import FakeClock
from bot.locks import GroupBusy, SharedGroupLocks
from bot.shared import MAX_BACKOFF, SharedRedis, SharedStateUnavailable, redact_url
from tests.redis.server import RedisServer
from tests.test_cache import SlowFetch

pytestmark = pytest.mark.redis

LIMIT = EndpointLimit(calls=20, reserve=6)
WINDOW = LIMIT.window + GUARD_SECONDS


@pytest.fixture
def connect(clock: FakeClock) -> Iterator[Callable[[str], SharedRedis]]:
    """`connect(url)`: one more instance's connection to Redis; all closed after."""
    made: list[SharedRedis] = []

    def make(url: str) -> SharedRedis:
        made.append(SharedRedis(url, clock=clock))
        return made[-1]

    yield make
    for shared in made:
        shared.close()


# ---- cache ---------------------------------------------------------------------------------


def test_concurrent_askers_on_two_instances_share_one_fetch(
    connect: Callable[[str], SharedRedis], redis_url: str, clock: FakeClock
) -> None:
    caches = [
        ReadCache(clock=clock, shared=SharedReads(connect(redis_url), clock=clock))
        for _ in range(2)
    ]
    fetch = SlowFetch()
    with ThreadPoolExecutor(max_workers=20) as pool:
        first = pool.submit(caches[0].get, ("groups",), 60, fetch)
        fetch.started.wait(5)  # the first instance is asking the vendor; now everyone asks
        others = [pool.submit(caches[i % 2].get, ("groups",), 60, fetch) for i in range(19)]
        fetch.release.set()
        readings = [future.result(timeout=5) for future in [first, *others]]
    assert fetch.calls == 1
    assert {reading.fetched_at for reading in readings} == {readings[0].fetched_at}


def test_a_read_begun_before_a_write_elsewhere_is_not_shared(
    connect: Callable[[str], SharedRedis], redis_url: str, clock: FakeClock
) -> None:
    reader = ReadCache(clock=clock, shared=SharedReads(connect(redis_url), clock=clock))
    writer = ReadCache(clock=clock, shared=SharedReads(connect(redis_url), clock=clock))
    pre_write_read = SlowFetch("pre-write")
    with ThreadPoolExecutor(max_workers=1) as pool:
        early = pool.submit(reader.get, ("claims", "1"), 60, pre_write_read)
        pre_write_read.started.wait(5)
        writer.invalidate(("claims", "1"))  # another instance writes meanwhile
        assert writer.get(("claims", "1"), 60, lambda: "post-write").value == "post-write"
        pre_write_read.release.set()
        assert early.result(timeout=5).value == "pre-write"
    assert reader.get(("claims", "1"), 60, lambda: "asked again").value == "post-write"


def test_a_forged_shared_entry_is_never_built_and_never_served(
    connect: Callable[[str], SharedRedis],
    redis_url: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shared = connect(redis_url)
    shared.client.hset(
        'deskbot:cache:v:["groups"]', mapping={"gen": "0", "body": '{"@":"Popen","f":{}}'}
    )
    cache = ReadCache(clock=clock, shared=SharedReads(shared, clock=clock))
    assert cache.get(("groups",), 60, lambda: "from the vendor").value == "from the vendor"
    assert "unreadable" in caplog.text


def test_another_instances_fetch_is_waited_for_briefly_then_not(
    connect: Callable[[str], SharedRedis], redis_url: str, clock: FakeClock
) -> None:
    shared = connect(redis_url)
    shared.client.set('deskbot:cache:f:["groups"]:0', "a dead instance", px=60_000)
    cache = ReadCache(clock=clock, shared=SharedReads(shared, clock=clock, wait_seconds=0.2))
    started = time.monotonic()
    assert cache.get(("groups",), 60, lambda: "asked myself").value == "asked myself"
    assert 0.2 <= time.monotonic() - started < 2


# ---- budget --------------------------------------------------------------------------------


def test_two_instances_spend_from_one_window_and_one_hold(
    connect: Callable[[str], SharedRedis], redis_url: str, clock: FakeClock
) -> None:
    first = Budget(clock=clock, shared=connect(redis_url))
    second = Budget(clock=clock, shared=connect(redis_url))
    spent = [budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0 for budget in [first, second] * 15]
    assert sum(spent) == 20
    assert first.used("k", LIMIT) == second.used("k", LIMIT) == 20
    first.hold("other", LIMIT)  # the vendor said "over the limit" to the first
    assert second.try_spend("other", LIMIT, Priority.WRITE) > 60


def test_without_redis_the_budget_waits_a_window_then_reads_a_little_and_writes_nothing(
    connect: Callable[[str], SharedRedis],
    private_redis: RedisServer,
    clock: FakeClock,
) -> None:
    budget = Budget(clock=clock, shared=connect(private_redis.url))
    assert budget.try_spend("k", LIMIT, Priority.READ) == 0.0
    private_redis.kill()

    # The shared window may have been full, and its calls still count at the vendor.
    assert budget.try_spend("k", LIMIT, Priority.WRITE) == pytest.approx(WINDOW)
    with pytest.raises(BudgetUnshared, match=r"\(Redis\) is unreachable"):
        budget.spend("k", LIMIT, Priority.READ, max_wait=2)
    clock.advance(WINDOW)
    reads = sum(budget.try_spend("k", LIMIT, Priority.READ) == 0.0 for _ in range(10))
    assert reads == int(14 * FALLBACK_SHARE) == 1
    # Writes never: each one needs the shared state too (a lock, the history, a send's claim).
    assert budget.try_spend("k", LIMIT, Priority.WRITE) == pytest.approx(WINDOW)
    with pytest.raises(BudgetUnshared, match="nothing was changed"):
        budget.spend("k", LIMIT, Priority.WRITE, max_wait=20)

    private_redis.start()
    clock.advance(MAX_BACKOFF)
    assert budget.try_spend("k", LIMIT, Priority.READ) == 0.0  # shared again (a new, empty Redis)
    assert budget.used("k", LIMIT) == 1


# ---- locks ---------------------------------------------------------------------------------


def test_a_change_waits_for_another_instances_then_gives_up(
    connect: Callable[[str], SharedRedis], redis_url: str
) -> None:
    first = SharedGroupLocks(connect(redis_url), wait_seconds=0.2)
    second = SharedGroupLocks(connect(redis_url), wait_seconds=0.2)
    with first.hold("10001"):
        busy = pytest.raises(GroupBusy, match="Someone else is changing skill group 10001")
        with busy, second.hold("10001"):
            pass
        with second.hold("10002"):  # other groups are free
            pass
    with second.hold("10001"):  # and this one as soon as the first is done
        pass


def test_a_long_change_keeps_its_lock_and_a_dead_one_frees_it(
    connect: Callable[[str], SharedRedis], redis_url: str
) -> None:
    shared = connect(redis_url)
    holder = SharedGroupLocks(shared, lease_seconds=0.3, wait_seconds=0.1)
    other = SharedGroupLocks(connect(redis_url), lease_seconds=0.3, wait_seconds=0.1)
    with holder.hold("10001"):
        time.sleep(0.6)  # twice the lease, in Redis's real time: renewed meanwhile
        with pytest.raises(GroupBusy), other.hold("10001"):
            pass
    shared.client.set("deskbot:lock:group:10001", "a process that died", px=300)
    with pytest.raises(GroupBusy), other.hold("10001"):
        pass
    time.sleep(0.3)
    with other.hold("10001"):  # its lease ran out
        pass


def test_without_redis_no_change_may_start(
    connect: Callable[[str], SharedRedis], private_redis: RedisServer
) -> None:
    locks = SharedGroupLocks(connect(private_redis.url))
    private_redis.kill()
    refused = pytest.raises(SharedStateUnavailable, match="nothing was changed")
    with refused, locks.hold("10001"):
        pytest.fail("a change ran without its lock")


# ---- logging -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache.internal:6379/0", "redis://:••••@cache.internal:6379/0"),
        ("rediss://desk:s3cret@cache.internal/2", "rediss://desk:••••@cache.internal/2"),
        ("redis://s3cret@cache.internal", "redis://••••@cache.internal"),
        (
            "unix:///run/redis.sock?db=1&password=s3cret",
            "unix:///run/redis.sock?db=1&password=••••",
        ),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_the_redis_url_is_logged_without_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_an_outage_is_logged_once_with_the_url_redacted(
    private_redis: RedisServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = private_redis.url.replace("redis://", "redis://:pa55word@")  # no password is set there
    budget = Budget(clock=clock, shared=SharedRedis(url, clock=clock))
    private_redis.kill()
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            budget.try_spend("k", LIMIT, Priority.READ)
            clock.advance(30)  # past every back-off: it probes, fails, and says nothing more
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "pa55word" not in caplog.text and "••••" in caplog.text
