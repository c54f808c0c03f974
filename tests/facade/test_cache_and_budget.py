"""Budget before cache before vendor, proved against the simulator's own call log.

Time moves only with `clock` (the facade, the budget's window and the simulator share it);
the one real wait is a 0.3 s injected vendor latency that keeps a shared read in flight.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.clock import FakeClock
from bot.desk import CLAIMS_TTL, GROUPS_TTL, Desk
from bot.errors import BudgetExhausted
from bot.models import GroupClaims, Reading, SkillGroup
from bot.simulator import Simulator
from bot.vendors.sevenmoor import LIMITS
from tests.facade.conftest import CLAIMS, QUEUE, UPDATE, list_reads, most_in_any_minute
from tests.slack_fakes import ADMIN_USER_ID

READ_SHARE = LIMITS[QUEUE].calls - LIMITS[QUEUE].reserve  # 14 of 20: 6 kept for writes


def emptied_groups(desk: Desk) -> Reading[list[SkillGroup]]:
    """groups() right after the cache forgot them, as after a write anywhere."""
    desk.cache.invalidate(("groups",))
    return desk.groups()


def test_fifty_supervisors_asking_at_once_make_one_vendor_call(
    desk: Desk, simulator: Simulator
) -> None:
    simulator.faults.set(CLAIMS, latency=0.3)  # keeps the first call in flight while all ask
    start = threading.Barrier(50)
    waited: list[float] = []

    def ask(_: int) -> Reading[GroupClaims]:
        start.wait(5)
        started = time.perf_counter()
        reading = desk.claims("售后服务")
        waited.append(time.perf_counter() - started)
        return reading

    with ThreadPoolExecutor(max_workers=50) as pool:
        readings = list(pool.map(ask, range(50)))

    # Most askers waited on the one call in flight (not on a cached answer, which is instant).
    assert sum(seconds >= 0.2 for seconds in waited) >= 25
    assert len(simulator.calls(CLAIMS)) == 1
    assert len(simulator.calls(QUEUE)) == 1  # finding the group was shared the same way
    assert {r.fetched_at for r in readings} == {readings[0].fetched_at}
    assert all(r.value == readings[0].value and not r.stale for r in readings)
    assert [a.agent_number for a in readings[0].value.agents] == ["8004", "8006", "8008", "8009"]


def test_answers_are_served_from_cache_until_their_ttl_passes(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    assert desk.claims("售后服务").value.agents[0].pc_claim is True
    simulator.state.set_claim("8004", pc=False)  # the agent switches PC claiming off

    clock.advance(CLAIMS_TTL - 1)
    cached = desk.claims("售后服务")
    assert cached.value.agents[0].pc_claim is True  # not yet seen: still the cached answer
    assert len(simulator.calls(CLAIMS)) == 1 and cached.age(clock.time()) == CLAIMS_TTL - 1

    clock.advance(1)
    fresh = desk.claims("售后服务")
    assert fresh.value.agents[0].pc_claim is False and fresh.age(clock.time()) == 0
    assert len(simulator.calls(CLAIMS)) == 2
    assert len(list_reads(simulator)) == 1  # the group list lives longer

    clock.advance(GROUPS_TTL - CLAIMS_TTL)
    desk.groups()
    assert len(list_reads(simulator)) == 2


def test_a_write_makes_the_next_reads_ask_the_vendor_again(
    desk: Desk, simulator: Simulator
) -> None:
    desk.groups()
    desk.claims("售前咨询")
    assert (len(list_reads(simulator)), len(simulator.calls(CLAIMS))) == (1, 1)

    result = desk.add_member(ADMIN_USER_ID, "售前咨询", "8003", priority=2)
    assert result.verified
    assert len(list_reads(simulator)) == 1  # the write itself reads by exten, not the listing

    groups = {g.exten: g for g in desk.groups().value}  # no time has passed
    assert len(list_reads(simulator)) == 2
    assert groups["10019346"].roster()["8003"] == 2
    claims = desk.claims("售前咨询")
    assert len(simulator.calls(CLAIMS)) == 2
    assert "8003" in [a.agent_number for a in claims.value.agents] and not claims.stale


def test_reads_never_spend_the_calls_kept_for_writes(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    readings = []
    for _ in range(150):  # two and a half minutes of someone asking every second
        readings.append(emptied_groups(desk))
        clock.advance(1)

    reads = list_reads(simulator)
    assert most_in_any_minute(reads) == READ_SHARE == 14
    assert simulator.peak_per_minute(QUEUE) == READ_SHARE
    assert len(reads) == 3 * READ_SHARE  # minutes 0, 1 and 2 each got their full share
    assert simulator.over_limit_answers() == 0
    assert sum(not r.stale for r in readings) == len(reads)  # every other asker got a stale answer

    # Still inside a minute whose read share is spent: a confirmed change goes through.
    assert desk.groups().stale
    result = desk.add_member(ADMIN_USER_ID, "Night Shift", "8020")
    assert result.verified and result.outcome == "ok"
    assert len(simulator.calls(UPDATE)) == 1
    assert len(simulator.calls(QUEUE)) == len(reads) + 2  # re-read before, read back after
    assert simulator.peak_per_minute(QUEUE) == READ_SHARE + 2 <= LIMITS[QUEUE].calls
    assert simulator.over_limit_answers() == 0


def test_many_threads_forcing_refreshes_still_get_only_the_read_share(
    desk: Desk, simulator: Simulator
) -> None:
    first = desk.groups()  # the bot has answered once, so there is something to fall back on
    start = threading.Barrier(16)

    def hammer(_: int) -> list[Reading[list[SkillGroup]]]:
        start.wait(5)
        return [emptied_groups(desk) for _ in range(40)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        readings = [r for answered in pool.map(hammer, range(16)) for r in answered]

    assert len(readings) == 640  # every ask was answered, fresh or stale
    assert all(r.value == first.value for r in readings)
    assert len(list_reads(simulator)) == READ_SHARE
    assert simulator.over_limit_answers() == 0
    assert sum(r.stale for r in readings) >= 640 - 16 * READ_SHARE  # fresh: own or shared call
    stale = [r for r in readings if r.stale]
    assert all("this minute's are used up" in r.stale_reason for r in stale)


def test_a_spent_budget_serves_the_last_answer_marked_stale_with_age_and_reason(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    for _ in range(READ_SHARE):
        last_fresh = emptied_groups(desk)
    assert not last_fresh.stale
    clock.advance(25)

    stale = emptied_groups(desk)
    assert stale.stale and stale.value == last_fresh.value
    assert stale.fetched_at == last_fresh.fetched_at and stale.age(clock.time()) == 25
    assert "only so many skill-group look-ups a minute" in stale.stale_reason
    assert len(list_reads(simulator)) == READ_SHARE  # nothing more reached the vendor

    claims = desk.claims("Night Shift")  # finding the group works on the stale list
    assert claims.value.exten == "10019349" and not claims.stale


def test_with_nothing_cached_a_spent_budget_says_when_to_try_again(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    assert desk.sevenmoor is not None
    for _ in range(READ_SHARE):  # reads outside the cache spent the share (`deskbot check`)
        desk.sevenmoor.count_groups()
    clock.advance(20)

    with pytest.raises(BudgetExhausted) as raised:
        desk.groups()
    error = raised.value
    assert error.endpoint == QUEUE
    assert 40 <= error.retry_after <= 41.5  # the window (60 s + 1 guard second) minus 20 s
    assert error.next_step == f"Try again in about {round(error.retry_after)} s."
    assert len(simulator.calls(QUEUE)) == READ_SHARE

    clock.advance(error.retry_after)  # exactly as long as it said
    assert len(desk.groups().value) == 17
    assert simulator.over_limit_answers() == 0


def test_claim_status_gets_its_own_hundred_a_minute(
    desk: Desk, simulator: Simulator, clock: FakeClock
) -> None:
    for _ in range(150):  # refreshes forced faster than the vendor allows, within the minute
        desk.cache.invalidate(("claims", "10019347"))
        desk.claims("售后服务")
        clock.advance(0.1)
    assert len(simulator.calls(CLAIMS)) == LIMITS[CLAIMS].calls == 100
    assert len(list_reads(simulator)) == 1  # a separate budget from the group list

    desk.cache.invalidate(("claims", "10019347"))
    assert desk.claims("售后服务").stale
    with pytest.raises(BudgetExhausted):
        desk.claims("售前咨询")  # never read, and the endpoint's minute is spent
    assert simulator.over_limit_answers() == 0 and simulator.peak_per_minute(CLAIMS) == 100
