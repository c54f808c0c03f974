"""Benchmark of the vendor facade: many supervisors, one polite client.

Starts the built-in simulator on loopback in real time, builds a `Desk` against it and fires
bursts of concurrent reads, the way a busy contact center would:

1. `who` for one group: every supervisor asks about the same group at once;
2. `who` for eight groups: the same crowd spread over eight groups;
3. `groups`, with the cache emptied before every burst, as writes elsewhere would do;
4. all of it mixed, while an admin makes three real member changes.

Then it prints what was measured: requests served (from cache, fresh from the vendor, or
stale), vendor calls per endpoint, the most calls in any sliding minute, over-limit answers,
and read latencies. Nothing is asserted; the figures are also written to
bench/results-facade.json.

    .venv/bin/python bench/facade.py [--seconds 60] [--threads 30] [--supervisors 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bot.desk import Desk
from bot.errors import DeskError
from bot.models import GroupClaims, Reading
from bot.settings import Settings
from bot.simulator import Simulator, vendor_settings
from bot.vendors import sevenmoor, tencent

RESULTS = Path(__file__).with_name("results-facade.json")
ADMIN = "U0BENCH001"
MAX_SECONDS = 90.0
ONE_GROUP = "售后服务"
EIGHT_GROUPS = (
    "售前咨询",
    "售后服务",
    "After-sales Team",
    "Night Shift",
    "VIP客户专线",
    "English Support",
    "投诉处理",
    "10019354",
)
FILTERS = (None, "night", "vip", "support", "售", "backup")
CHANGED_GROUP = "Weekend Backup"  # empty in the seed: the admin adds and removes agent 8020
CHANGED_AGENT = "8020"
CHANGES = 3  # two queueQueue calls each: exactly the six a minute reads leave to writes
ENDPOINT_LIMITS: dict[str, int] = {
    **{name: limit.calls for name, limit in sevenmoor.LIMITS.items()},
    **{name: limit.calls for name, limit in tencent.LIMITS.items()},
}


@dataclass
class Outcome:
    kind: str  # "cached", "fresh", "stale" or "error"
    seconds: float
    error: str = ""


@dataclass
class Phase:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)
    wall_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def counts(self) -> Counter[str]:
        return Counter(outcome.kind for outcome in self.outcomes)


def timed(desk: Desk, read: Callable[[], Reading[Any]]) -> Outcome:
    """Run one read and say how it was served.

    "fresh" when an answer it needed was fetched after it began, so it (or the shared call it
    joined) waited on the vendor; `who` needs two answers, its group's claims and the group
    list that finds the group. "cached" otherwise; "stale" when the budget was spent.
    """
    started_wall, started = time.time(), time.perf_counter()
    try:
        reading = read()
    except DeskError as error:
        return Outcome("error", time.perf_counter() - started, type(error).__name__)
    seconds = time.perf_counter() - started
    if reading.stale:
        return Outcome("stale", seconds)
    group_list = desk.cache.peek(("groups",))
    fetched = [reading.fetched_at]
    if isinstance(reading.value, GroupClaims) and group_list is not None:
        fetched.append(group_list.fetched_at)
    return Outcome("fresh" if max(fetched) >= started_wall else "cached", seconds)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def settings_for(url: str, state_dir: Path) -> Settings:
    seven_moor, tencent_im = vendor_settings(url)
    return Settings(
        sevenmoor=seven_moor,
        tencent=tencent_im,
        admins=frozenset({ADMIN}),
        state_path=state_dir / "bench.sqlite3",
    )


class Bench:
    def __init__(self, desk: Desk, pool: ThreadPoolExecutor, supervisors: int, gap: float) -> None:
        self.desk = desk
        self.pool = pool
        self.supervisors = supervisors
        self.gap = gap
        self.random = random.Random(7)
        self.phases: list[Phase] = []
        self.change_seconds: list[float] = []
        self.change_outcomes: Counter[str] = Counter()

    def run_phase(
        self,
        name: str,
        seconds: float,
        pick: Callable[[], Callable[[], Reading[Any]]],
        before_burst: Callable[[], None] | None = None,
        background: Callable[[float], None] | None = None,
    ) -> None:
        phase = Phase(name)
        self.phases.append(phase)
        started = time.perf_counter()
        deadline = started + seconds
        worker = None
        if background is not None:
            worker = threading.Thread(target=background, args=(deadline,), daemon=True)
            worker.start()
        while time.perf_counter() < deadline:
            if before_burst is not None:
                before_burst()
            reads = [pick() for _ in range(self.supervisors)]
            for future in [self.pool.submit(timed, self.desk, read) for read in reads]:
                phase.add(future.result())
            time.sleep(max(0.0, min(self.gap, deadline - time.perf_counter())))
        if worker is not None:
            worker.join()
        phase.wall_seconds = time.perf_counter() - started

    def who(self, group: str) -> Callable[[], Reading[Any]]:
        return lambda: self.desk.claims(group)

    def groups(self) -> Callable[[], Reading[Any]]:
        text = self.random.choice(FILTERS)
        return lambda: self.desk.groups(text)

    def some_read(self) -> Callable[[], Reading[Any]]:
        roll = self.random.random()
        if roll < 0.6:
            return self.who(self.random.choice((*EIGHT_GROUPS, CHANGED_GROUP)))
        if roll < 0.9:
            return self.groups()
        return lambda: self.desk.im_agents()

    def changes(self, deadline: float) -> None:
        """An admin's member changes, evenly spread over the phase (add, remove, add...)."""
        interval = max(0.0, deadline - time.perf_counter()) / CHANGES
        for n in range(CHANGES):
            started = time.perf_counter()
            try:
                if n % 2 == 0:
                    result = self.desk.add_member(ADMIN, CHANGED_GROUP, CHANGED_AGENT)
                else:
                    result = self.desk.remove_member(ADMIN, CHANGED_GROUP, CHANGED_AGENT)
                self.change_outcomes[result.outcome] += 1
            except DeskError as error:
                self.change_outcomes[type(error).__name__] += 1
            self.change_seconds.append(time.perf_counter() - started)
            if n < CHANGES - 1:
                pause = interval - (time.perf_counter() - started)
                time.sleep(max(0.0, min(pause, deadline - time.perf_counter())))


def environment() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "httpx": version("httpx"),
        "limits": version("limits"),
        "cachetools": version("cachetools"),
    }


def report(
    bench: Bench, simulator: Simulator, args: argparse.Namespace, wall: float
) -> dict[str, Any]:
    outcomes = [o for phase in bench.phases for o in phase.outcomes]
    by_kind = {
        kind: [o.seconds for o in outcomes if o.kind == kind]
        for kind in ("cached", "fresh", "stale")
    }
    stats = simulator.stats()["endpoints"]
    return {
        "environment": environment(),
        "settings": {
            "seconds": args.seconds,
            "threads": args.threads,
            "supervisors_per_burst": args.supervisors,
            "gap_seconds": args.gap,
            "vendor_latency_seconds": args.latency,
            "wall_seconds": round(wall, 2),
        },
        "phases": [
            {
                "name": phase.name,
                "requests": len(phase.outcomes),
                **{kind: phase.counts()[kind] for kind in ("cached", "fresh", "stale", "error")},
                "requests_per_second": round(len(phase.outcomes) / phase.wall_seconds, 1)
                if phase.wall_seconds
                else 0.0,
                "errors": dict(Counter(o.error for o in phase.outcomes if o.error)),
            }
            for phase in bench.phases
        ],
        "endpoints": {
            name: {
                "limit_per_minute": ENDPOINT_LIMITS.get(name),
                "calls": figures["received"],
                "peak_per_minute": simulator.peak_per_minute(name),
                "over_limit": figures["over_limit"],
            }
            for name, figures in sorted(stats.items())
        },
        "over_limit_answers": simulator.over_limit_answers(),
        "requests_served": len(outcomes),
        "stale_served": len(by_kind["stale"]),
        "latency_ms": {
            kind: {
                "n": len(values),
                "p50": round(percentile(values, 0.50) * 1000, 2),
                "p99": round(percentile(values, 0.99) * 1000, 2),
                "max": round(max(values, default=0.0) * 1000, 2),
            }
            for kind, values in (*by_kind.items(), ("changes", bench.change_seconds))
        },
        "changes": dict(bench.change_outcomes),
    }


def print_report(results: dict[str, Any]) -> None:
    env, run = results["environment"], results["settings"]
    print(
        f"\ndeskbot facade benchmark: {run['wall_seconds']} s against the built-in simulator "
        f"(vendor latency {run['vendor_latency_seconds'] * 1000:.0f} ms, {run['threads']} threads, "
        f"{run['supervisors_per_burst']} supervisors a burst)"
    )
    print(
        f"environment: {env['cores']} cores, {env['python']}, {env['platform']}; "
        f"httpx {env['httpx']}, limits {env['limits']}, cachetools {env['cachetools']}\n"
    )
    print(
        f"{'phase':<34}{'requests':>9}{'cached':>8}{'fresh':>7}{'stale':>7}{'errors':>8}{'req/s':>9}"
    )
    for phase in results["phases"]:
        print(
            f"{phase['name']:<34}{phase['requests']:>9}{phase['cached']:>8}{phase['fresh']:>7}"
            f"{phase['stale']:>7}{phase['error']:>8}{phase['requests_per_second']:>9}"
        )
    print(f"{'total served':<34}{results['requests_served']:>9}\n")

    print(f"{'vendor endpoint':<34}{'limit/min':>10}{'calls':>7}{'peak/min':>10}{'over-limit':>12}")
    for name, figures in results["endpoints"].items():
        limit = figures["limit_per_minute"] if figures["limit_per_minute"] is not None else "-"
        print(
            f"{name:<34}{limit:>10}{figures['calls']:>7}{figures['peak_per_minute']:>10}"
            f"{figures['over_limit']:>12}"
        )
    print(
        f"over-limit answers: {results['over_limit_answers']}    "
        f"stale answers served: {results['stale_served']}    changes: {results['changes']}\n"
    )

    print(f"{'latency (ms)':<34}{'n':>7}{'p50':>9}{'p99':>9}{'max':>9}")
    labels = {
        "cached": "cached reads",
        "fresh": "uncached reads (waited on vendor)",
        "stale": "stale reads (budget spent)",
        "changes": "changes (re-read, write, verify)",
    }
    for kind, figures in results["latency_ms"].items():
        print(
            f"{labels[kind]:<34}{figures['n']:>7}{figures['p50']:>9.2f}"
            f"{figures['p99']:>9.2f}{figures['max']:>9.2f}"
        )
    shown = RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS
    print(f"\nfigures written to {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="total run time (≤ 90)")
    parser.add_argument("--threads", type=int, default=30, help="worker threads (Bolt's pool)")
    parser.add_argument("--supervisors", type=int, default=200, help="requests per burst")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between bursts")
    parser.add_argument(
        "--latency", type=float, default=0.08, help="simulated vendor latency, seconds"
    )
    args = parser.parse_args(argv)
    if not 4 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 4 and {MAX_SECONDS:.0f}")

    quarter = args.seconds / 4
    simulator = Simulator()  # real time: signatures, rate windows and latency all for real
    simulator.faults.latency = args.latency
    started = time.perf_counter()
    with simulator, tempfile.TemporaryDirectory() as state_dir:
        desk = Desk.from_settings(settings_for(simulator.url, Path(state_dir)))
        try:
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                bench = Bench(desk, pool, args.supervisors, args.gap)
                bench.run_phase("who, 1 group", quarter, lambda: bench.who(ONE_GROUP))
                bench.run_phase(
                    "who, 8 groups", quarter, lambda: bench.who(bench.random.choice(EIGHT_GROUPS))
                )
                bench.run_phase(
                    "groups, cache emptied each burst",
                    quarter,
                    bench.groups,
                    before_burst=lambda: desk.cache.invalidate(("groups",)),
                )
                bench.run_phase(
                    f"mixed, with {CHANGES} member changes",
                    quarter,
                    bench.some_read,
                    background=bench.changes,
                )
        finally:
            desk.close()
        wall = time.perf_counter() - started
        results = report(bench, simulator, args, wall)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
