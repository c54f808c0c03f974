"""Memory: the resident size of a deskbot process whose read cache holds 10,000 groups.

Two child processes, so the figure is deskbot's alone:

    python -m bench.memory simulator --groups 10000   # the seed world plus 10,000 groups
    python -m bench.memory probe --simulator URL       # a Desk, filled through its public reads

The probe reads its own VmRSS (/proc/self/status) after building the Desk and one warm-up
call, after `desk.groups()` (the whole list, 100 pages), and after `desk.claims(exten)` for
every group, then prints the figures as JSON. Filling 10,000 groups within the vendors' real
limits would take 100 minutes, so in these two processes only the 7moor limits are lifted
(the simulator's and the budget's); memory does not depend on them.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bot.budget import EndpointLimit
from bot.desk import Desk
from bot.simulator import GroupMember, Simulator, SkillGroup
from bot.simulator import sevenmoor as simulated_sevenmoor
from bot.vendors import sevenmoor

UNLIMITED = 1_000_000_000
MEMBERS_PER_GROUP = 4
FIRST_EXTEN = 20_000_000
PROBE_SECONDS = 900.0
WARM_UP_EXTEN = "10019346"  # a seed group


def rss_kib(field: str = "VmRSS") -> int:
    """This process's resident set size (VmRSS; VmHWM for its peak), KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def add_groups(simulator: Simulator, count: int) -> None:
    """`count` more groups of four seed agents each, named like real ones."""
    agents = itertools.cycle(sorted(simulator.state.agents))
    for n in range(count):
        simulator.state.add_group(
            SkillGroup(
                exten=str(FIRST_EXTEN + n),
                display_name=f"Bench group {n:05d}",
                assign_rule=("queue", "random", "least", "priority")[n % 4],
                is_memory=False,
                memory_time="",
                update_time="2024-06-01 09:00:00",
                update_agent="",
                members=[GroupMember(next(agents), p) for p in range(MEMBERS_PER_GROUP)],
            )
        )


def serve_simulator(groups: int) -> None:
    for endpoint in simulated_sevenmoor.LIMITS_PER_MINUTE:
        simulated_sevenmoor.LIMITS_PER_MINUTE[endpoint] = UNLIMITED
    simulator = Simulator()
    add_groups(simulator, groups)
    simulator.serve_forever(
        "127.0.0.1", 0, on_ready=lambda url: print(f"serving {url}", flush=True)
    )


def probe(simulator_url: str) -> dict[str, Any]:
    from bench.facade import settings_for

    for endpoint, limit in sevenmoor.LIMITS.items():
        sevenmoor.LIMITS[endpoint] = EndpointLimit(calls=UNLIMITED, window=limit.window)
    with tempfile.TemporaryDirectory() as state_dir:
        desk = Desk.from_settings(settings_for(simulator_url, Path(state_dir)))
        try:
            return _fill(desk)
        finally:
            desk.close()


def _fill(desk: Desk) -> dict[str, Any]:
    client = desk.sevenmoor
    assert client is not None
    client.claim_status(client.query_groups(exten=WARM_UP_EXTEN)[0].exten)  # warm up, uncached
    gc.collect()
    empty = rss_kib()
    started = time.perf_counter()
    listed = desk.groups().value
    gc.collect()
    with_list = rss_kib()
    for group in listed:
        desk.claims(group.exten)
    gc.collect()
    with_claims = rss_kib()
    return {
        "groups": len(listed),
        "cache_entries": len(desk.cache),
        "fill_seconds": round(time.perf_counter() - started, 1),
        "rss_mib": {
            "empty_cache": round(empty / 1024, 1),
            "group_list_cached": round(with_list / 1024, 1),
            "claims_cached": round(with_claims / 1024, 1),
            "peak": round(rss_kib("VmHWM") / 1024, 1),
        },
        "kib_per_group": {
            "group_list": round((with_list - empty) / len(listed), 2),
            "group_list_and_claims": round((with_claims - empty) / len(listed), 2),
        },
    }


def measure(workdir: Path, groups: int) -> dict[str, Any]:
    """Start both children, wait for the probe's JSON; the simulator is stopped after."""
    from bench.services import spawn, wait_for_output

    module = [sys.executable, "-m", "bench.memory"]
    with ExitStack() as stack:
        simulator = spawn(
            stack, "memory-simulator", [*module, "simulator", "--groups", str(groups)], workdir
        )
        url = wait_for_output(simulator, r"^serving (\S+)$").group(1)
        prober = spawn(stack, "memory-probe", [*module, "probe", "--simulator", url], workdir)
        prober.process.wait(PROBE_SECONDS)
        if prober.process.returncode != 0:
            raise prober.fail("failed")
        return dict(json.loads(prober.output().strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("simulator").add_argument("--groups", type=int, default=10_000)
    commands.add_parser("probe").add_argument("--simulator", required=True)
    args = parser.parse_args(argv)
    if args.command == "simulator":
        serve_simulator(args.groups)
    else:
        print(json.dumps(probe(args.simulator)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
