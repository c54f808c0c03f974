"""The budget never lets more calls out than the vendor allows in any sliding minute.

Every test runs twice: on limits' memory storage (one instance) and on its Redis storage
(several instances; `clock` makes limits' Redis storage read our clock too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.budget import Budget, EndpointLimit, Priority
from bot.clock import FakeClock
from bot.errors import BudgetExhausted
from bot.shared import SharedRedis

LIMIT = EndpointLimit(calls=20, reserve=6)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_budget(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Callable[[], Budget]]:
    """Budgets of this run's kind; on Redis, every one made shares the same windows."""
    if request.param == "memory":
        yield lambda: Budget(clock=clock)
        return
    shared = SharedRedis(request.getfixturevalue("redis_url"), clock=clock)
    yield lambda: Budget(clock=clock, shared=shared)
    shared.close()


def test_reads_stop_short_of_the_limit_so_writes_keep_headroom(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    reads = sum(budget.try_spend("k", LIMIT, Priority.READ) == 0.0 for _ in range(30))
    assert reads == 14
    writes = sum(budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0 for _ in range(30))
    assert writes == 6
    assert budget.used("k", LIMIT) == 20


def test_the_window_slides_with_the_clock(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    for _ in range(20):
        assert budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0
    wait = budget.try_spend("k", LIMIT, Priority.WRITE)
    assert 59 < wait <= 61
    clock.advance(30)
    assert budget.try_spend("k", LIMIT, Priority.WRITE) > 0
    clock.advance(31.5)  # 60 s window plus the guard second have passed
    assert budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0


def test_peak_in_any_sliding_minute_never_exceeds_the_limit(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    spent: list[float] = []
    for _ in range(600):  # ten minutes of someone asking every second
        if budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0:
            spent.append(clock.time())
        clock.advance(1)
    peak = max(sum(1 for t in spent if start <= t < start + 60) for start in spent)
    assert peak <= 20
    assert len(spent) >= 90  # and it is not needlessly stingy


def test_spend_waits_a_bounded_time_then_says_when_to_retry(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    for _ in range(14):
        budget.spend("k", LIMIT, Priority.READ, max_wait=0)
    started = clock.time()
    with pytest.raises(BudgetExhausted) as raised:
        budget.spend("k", LIMIT, Priority.READ, max_wait=2)
    assert clock.time() - started <= 2
    assert 55 < raised.value.retry_after <= 61
    assert "Try again in about" in raised.value.next_step


def test_spend_waits_for_the_window_when_allowed(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    for _ in range(20):
        budget.spend("k", LIMIT, Priority.WRITE, max_wait=0)
    started = clock.time()
    budget.spend("k", LIMIT, Priority.WRITE, max_wait=90)
    assert 59 < clock.time() - started <= 62


def test_endpoints_have_separate_budgets(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    for _ in range(20):
        budget.try_spend("a", LIMIT, Priority.WRITE)
    assert budget.try_spend("b", LIMIT, Priority.WRITE) == 0.0


def test_a_read_blocked_by_writes_is_told_when_its_share_really_frees(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    assert budget.try_spend("k", LIMIT, Priority.READ) == 0.0  # one read at 0 s
    clock.advance(30)
    for _ in range(13):  # thirteen reads at 30 s: the read share (14) is spent
        assert budget.try_spend("k", LIMIT, Priority.READ) == 0.0
    clock.advance(5)
    for _ in range(6):  # a change's calls at 35 s use the reserve: 20 in the window
        assert budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0
    clock.advance(5)

    # At 40 s, the oldest call leaves at 61 s, but that still leaves 19 in the window; reads
    # fit again only when the thirteen reads of 30 s leave it, at 91 s.
    wait = budget.try_spend("k", LIMIT, Priority.READ)
    assert 51 <= wait <= 51.1
    clock.advance(wait - 0.2)
    assert budget.try_spend("k", LIMIT, Priority.READ) > 0
    clock.advance(0.2)
    assert budget.try_spend("k", LIMIT, Priority.READ) == 0.0


def test_a_spent_read_share_reports_the_wait_it_measured(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    for _ in range(6):
        budget.spend("k", LIMIT, Priority.WRITE, max_wait=0)
    clock.advance(10)
    for _ in range(8):
        budget.spend("k", LIMIT, Priority.READ, max_wait=0)
    clock.advance(10)
    for _ in range(6):
        budget.spend("k", LIMIT, Priority.WRITE, max_wait=0)
    with pytest.raises(BudgetExhausted) as raised:  # 20 in the window; 7 must leave for a read
        budget.spend("k", LIMIT, Priority.READ, max_wait=2)
    assert 51 <= raised.value.retry_after <= 51.1  # the reads of 10 s leave at 71 s


def test_a_hold_stops_reads_and_writes_for_a_whole_window(
    make_budget: Callable[[], Budget], clock: FakeClock
) -> None:
    budget = make_budget()
    for _ in range(3):
        budget.spend("k", LIMIT, Priority.READ, max_wait=0)
    clock.advance(10)
    budget.hold("k", LIMIT)  # the vendor said "over the limit" at 10 s
    # limits' Redis storage answers window starts to 14 digits (Lua): 61 s to 0.1 ms.
    assert budget.try_spend("k", LIMIT, Priority.WRITE) == pytest.approx(61, abs=1e-3)
    assert budget.try_spend("other", LIMIT, Priority.READ) == 0.0
    clock.advance(30)
    budget.hold("k", LIMIT)  # and again at 40 s: the hold starts over
    clock.advance(60)
    with pytest.raises(BudgetExhausted) as raised:
        budget.spend("k", LIMIT, Priority.WRITE, max_wait=0.5)
    assert raised.value.retry_after == pytest.approx(1, abs=1e-3)
    clock.advance(1.01)
    assert budget.try_spend("k", LIMIT, Priority.READ) == 0.0
    assert budget.used("k", LIMIT) == 1  # a hold spends nothing itself
