"""The budget never lets more calls out than the vendor allows in any sliding minute."""

from __future__ import annotations

import pytest

from bot.budget import Budget, EndpointLimit, Priority
from bot.clock import FakeClock
from bot.errors import BudgetExhausted

LIMIT = EndpointLimit(calls=20, reserve=6)


def test_reads_stop_short_of_the_limit_so_writes_keep_headroom(clock: FakeClock) -> None:
    budget = Budget(clock=clock)
    reads = sum(budget.try_spend("k", LIMIT, Priority.READ) == 0.0 for _ in range(30))
    assert reads == 14
    writes = sum(budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0 for _ in range(30))
    assert writes == 6
    assert budget.used("k", LIMIT) == 20


def test_the_window_slides_with_the_clock(clock: FakeClock) -> None:
    budget = Budget(clock=clock)
    for _ in range(20):
        assert budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0
    wait = budget.try_spend("k", LIMIT, Priority.WRITE)
    assert 59 < wait <= 61
    clock.advance(30)
    assert budget.try_spend("k", LIMIT, Priority.WRITE) > 0
    clock.advance(31.5)  # 60 s window plus the guard second have passed
    assert budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0


def test_peak_in_any_sliding_minute_never_exceeds_the_limit(clock: FakeClock) -> None:
    budget = Budget(clock=clock)
    spent: list[float] = []
    for _ in range(600):  # ten minutes of someone asking every second
        if budget.try_spend("k", LIMIT, Priority.WRITE) == 0.0:
            spent.append(clock.time())
        clock.advance(1)
    peak = max(sum(1 for t in spent if start <= t < start + 60) for start in spent)
    assert peak <= 20
    assert len(spent) >= 90  # and it is not needlessly stingy


def test_spend_waits_a_bounded_time_then_says_when_to_retry(clock: FakeClock) -> None:
    budget = Budget(clock=clock)
    for _ in range(14):
        budget.spend("k", LIMIT, Priority.READ, max_wait=0)
    started = clock.time()
    with pytest.raises(BudgetExhausted) as raised:
        budget.spend("k", LIMIT, Priority.READ, max_wait=2)
    assert clock.time() - started <= 2
    assert 55 < raised.value.retry_after <= 61
    assert "Try again in about" in raised.value.next_step


def test_spend_waits_for_the_window_when_allowed(clock: FakeClock) -> None:
    budget = Budget(clock=clock)
    for _ in range(20):
        budget.spend("k", LIMIT, Priority.WRITE, max_wait=0)
    started = clock.time()
    budget.spend("k", LIMIT, Priority.WRITE, max_wait=90)
    assert 59 < clock.time() - started <= 62


def test_endpoints_have_separate_budgets(clock: FakeClock) -> None:
    budget = Budget(clock=clock)
    for _ in range(20):
        budget.try_spend("a", LIMIT, Priority.WRITE)
    assert budget.try_spend("b", LIMIT, Priority.WRITE) == 0.0
