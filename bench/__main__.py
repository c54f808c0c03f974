"""`make bench`: every benchmark of issue 6, as real processes on loopback.

    .venv/bin/python -m bench [--quick] [--only load ratio redis memory facade]

Prints the environment and a table of figures, and writes them all to bench/results.json
(the facade benchmark also writes bench/results-facade.json). A full run takes about seven
minutes; `--quick` is a smoke run of about a minute and a half. Nothing is asserted: the
exit status is 1 only when a benchmark could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import facade, memory, scenarios
from bench.report import environment, print_report
from bench.scenarios import LoadShape

RESULTS = Path(__file__).with_name("results.json")
SECTIONS = ("facade", "load", "ratio", "redis", "memory")


@dataclass(frozen=True)
class Plan:
    mode: str
    facade_seconds: float
    load: LoadShape
    ratio_clients: int
    ratio_seconds: float
    memory_groups: int


FULL = Plan("full", 60.0, LoadShape(seconds=120.0), 32, 20.0, 10_000)
QUICK = Plan("quick", 8.0, LoadShape(seconds=20.0), 32, 5.0, 1_000)


def run_facade(plan: Plan) -> dict[str, Any]:
    """bench/facade.py as it runs alone; its own table is kept out of this one."""
    with contextlib.redirect_stdout(io.StringIO()):
        facade.main(["--seconds", str(plan.facade_seconds)])
    return dict(json.loads(facade.RESULTS.read_text()))


def runners(plan: Plan) -> dict[str, Callable[[Path], dict[str, Any]]]:
    """Each benchmark, given a work directory of its own (state files, process logs)."""
    return {
        "facade": lambda _workdir: run_facade(plan),
        "load": lambda workdir: scenarios.load(workdir, plan.load),
        "ratio": lambda workdir: scenarios.ratio(
            workdir, clients=plan.ratio_clients, seconds=plan.ratio_seconds
        ),
        "redis": lambda workdir: scenarios.redis_pair(workdir, plan.load),
        "memory": lambda workdir: memory.measure(workdir, plan.memory_groups),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~1.5 min)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS, metavar="NAME")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="deskbot-bench-"))
    results: dict[str, Any] = {"environment": environment()}
    started = time.perf_counter()
    failed = False
    for name, run in runners(plan).items():
        if name not in args.only:
            continue
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        (workdir / name).mkdir()
        try:
            results[name] = run(workdir / name)
        except Exception as error:  # one broken benchmark must not lose the others' figures
            traceback.print_exc()
            results[name] = {"error": str(error)}
            failed = True
    results["run"] = {**asdict(plan), "wall_seconds": round(time.perf_counter() - started, 1)}
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print_report(results)
    shown = RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS
    print(f"\nfigures written to {shown}")
    if failed:
        print(f"logs of the processes are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
