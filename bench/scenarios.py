"""The benchmarks of issue 6, each on its own fresh set of processes.

- `load`: 100 supervisors, `/desk who` every 10 s, against `deskbot run --http` in front of
  `deskbot simulate` (vendor limits enforced); with `redis_url`, two instances share it.
- `ratio`: commands acked per second at saturation, deskbot vs a Bolt app that only acks.
- `redis_pair`: `load` on two instances sharing one Redis, asking about every seed group so
  that two separate budgets would overspend the vendor's limit; or why it was skipped.

Each returns plain figures (JSON-ready); printing is `report.py`'s job.
"""

from __future__ import annotations

import asyncio
import functools
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.figures import ack_figures, answer_figures, vendor_figures
from bench.slack_stub import SlackReport, SlackStub, slack_stub
from bench.stack import App, start_bare_app, start_deskbot, start_redis, start_simulator
from bench.traffic import Ack, Commands, closed_loop, open_loop
from bot.clock import SYSTEM_CLOCK
from bot.simulator.seed import build_world

# `/desk who` as supervisors type it: a Chinese name, a name with a space, an exten, and a
# name that is also part of another ("Night Shift" vs "Night Shift Backup": exact wins).
GROUPS = ("售前咨询", "Night Shift", "10019351", "After-sales Team")
# Every seed group, by exten: 17 groups × 4 claim-status reads a minute (15 s cache) is 68 a
# minute per instance, so two instances with budgets of their own would make 136 (limit 100).
ALL_GROUPS = tuple(sorted(build_world(SYSTEM_CLOCK).groups))
VENDOR_LATENCY = 0.08  # seconds the simulated vendors take per call, as over a WAN
ANSWER_WAIT = 30.0  # after the last command, how long answers may still arrive
WARM_UP_SECONDS = 2.0


@dataclass(frozen=True)
class LoadShape:
    supervisors: int = 100
    every: float = 10.0
    seconds: float = 120.0
    groups: tuple[str, ...] = GROUPS


def load(workdir: Path, shape: LoadShape, *, redis_url: str | None = None) -> dict[str, Any]:
    """The load benchmark; on one instance, or on two sharing `redis_url`."""
    instances = 2 if redis_url else 1
    extra = {"DESK_REDIS_URL": redis_url} if redis_url else None
    with ExitStack() as stack:
        slack = stack.enter_context(slack_stub())
        simulator = start_simulator(stack, workdir)
        simulator.set_faults({"latency": VENDOR_LATENCY})
        apps = [
            start_deskbot(stack, workdir, f"deskbot-{n}", simulator.env, slack.url, extra)
            for n in range(instances)
        ]
        started = time.perf_counter()
        acks = asyncio.run(
            open_loop(
                [app.url for app in apps],
                Commands(slack),
                supervisors=shape.supervisors,
                every=shape.every,
                seconds=shape.seconds,
                groups=shape.groups,
            )
        )
        wall = time.perf_counter() - started
        report = wait_for_answers(slack, acks)
        stats = simulator.stats()
        _check_alive(apps)
    return {
        "instances": instances,
        "supervisors": shape.supervisors,
        "every_seconds": shape.every,
        "seconds": round(wall, 1),
        "vendor_latency_seconds": VENDOR_LATENCY,
        "groups": list(shape.groups),
        **ack_figures(acks, wall),
        **answer_figures(acks, report.posts),
        "vendor": vendor_figures(stats),
        "slack_web_api_calls": report.web_api_calls,
    }


def redis_pair(workdir: Path, shape: LoadShape) -> dict[str, Any]:
    """`load` over every group, on two instances sharing a fresh redis-server; or {"skipped": why}."""
    with ExitStack() as stack:
        try:
            redis_url = start_redis(stack, workdir)
            return load(workdir, replace(shape, groups=ALL_GROUPS), redis_url=redis_url)
        except RuntimeError as error:  # ServiceFailed included: a refusal to start
            return {"skipped": str(error)}


def ratio(workdir: Path, *, clients: int, seconds: float) -> dict[str, Any]:
    """Commands acked per second at saturation: deskbot over the bare app (goal ≥ 0.8)."""
    ours = _saturate(workdir, clients, seconds, bare=False)
    bare = _saturate(workdir, clients, seconds, bare=True)
    value = ours["per_second"] / bare["per_second"] if bare["per_second"] else 0.0
    return {
        "clients": clients,
        "seconds": seconds,
        "ours": ours,
        "bare": bare,
        "ratio": round(value, 3),
    }


def _saturate(workdir: Path, clients: int, seconds: float, *, bare: bool) -> dict[str, Any]:
    with ExitStack() as stack:
        slack = stack.enter_context(slack_stub())
        if bare:
            app = start_bare_app(stack, workdir, slack.url)
        else:
            simulator = start_simulator(stack, workdir)
            simulator.set_faults({"latency": VENDOR_LATENCY})
            app = start_deskbot(stack, workdir, "deskbot-ratio", simulator.env, slack.url)
        closed = functools.partial(
            closed_loop, app.url, Commands(slack), clients=clients, groups=GROUPS
        )
        asyncio.run(closed(seconds=WARM_UP_SECONDS, tag="w"))  # connections, caches, imports
        cpu = app.service.cpu_seconds()
        acks, wall = asyncio.run(closed(seconds=seconds, tag="c"))
        cpu = app.service.cpu_seconds() - cpu
        figures = ack_figures(acks, wall)
        figures["app_cpu_ms_per_command"] = round(1000 * cpu / max(1, figures["served"]), 2)
        if not bare:
            figures.update(answer_figures(acks, wait_for_answers(slack, acks).posts))
        _check_alive([app])
    return figures


def wait_for_answers(
    slack: SlackStub, acks: list[Ack], timeout: float = ANSWER_WAIT
) -> SlackReport:
    """The fake Slack's report once every acked command has an answer (or `timeout` passed)."""
    wanted = {ack.name for ack in acks if ack.status == 200}
    deadline = time.monotonic() + timeout
    while True:
        report = slack.report()
        answered = {post.name for post in report.posts if post.delivered}
        if wanted <= answered or time.monotonic() > deadline:
            return report
        time.sleep(0.5)


def _check_alive(apps: list[App]) -> None:
    for app in apps:
        if not app.service.running():
            raise app.service.fail("died during the run")
