"""The environment the figures were taken in, and the table `make bench` prints."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.services import REPO
from bench.stack import REDIS_SERVER

PACKAGES = ("slack-bolt", "slack_sdk", "httpx", "waitress", "limits", "redis", "cachetools")


def environment() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "redis_server": _output([str(REDIS_SERVER), "--version"]).split(" sha=")[0],
        "commit": _output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "uncommitted_changes": bool(_output(["git", "-C", str(REPO), "status", "--porcelain"])),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return ""


def print_report(results: dict[str, Any]) -> None:
    _print_environment(results["environment"], results["run"])
    sections: dict[str, Callable[[dict[str, Any]], None]] = {
        "load": _print_load,
        "ratio": _print_ratio,
        "redis": _print_redis,
        "memory": _print_memory,
        "facade": _print_facade,
    }
    for name, show in sections.items():
        if name not in results:
            continue
        print()
        if "error" in results[name]:
            print(f"{name}: FAILED: {results[name]['error']}")
        else:
            show(results[name])


def _print_environment(env: dict[str, Any], run: dict[str, Any]) -> None:
    dirty = " + uncommitted changes" if env["uncommitted_changes"] else ""
    packages = ", ".join(f"{name} {v}" for name, v in env["packages"].items())
    print(
        f"deskbot benchmarks ({run['mode']} run, {run['wall_seconds']:.0f} s), commit {env['commit']}{dirty}"
    )
    print(f"{env['cores']} cores ({env['cpu']}), {env['python']}, {env['platform']}")
    print(f"{packages}; {env['redis_server']}")


def _print_load(load: dict[str, Any]) -> None:
    print(
        f"Load: {load['supervisors']} supervisors, /desk who <one of {len(load['groups'])} groups> "
        f"every {load['every_seconds']:.0f} s for {load['seconds']:.0f} s, signed HTTP to "
        f"`deskbot run --http` (simulator: limits on, "
        f"{load['vendor_latency_seconds'] * 1000:.0f} ms latency)"
    )
    _print_served(load)


def _print_served(load: dict[str, Any]) -> None:
    ack, answer = load["ack_ms"], load["answer_ms"]
    rows = (
        (
            "commands sent / served / failed",
            f"{load['sent']} / {load['served']} / {load['failed']}  ({load['per_second']}/s)",
        ),
        ("ack latency p50 / p99 / max", f"{ack['p50']} / {ack['p99']} / {ack['max']} ms"),
        (
            "answers shown",
            f"{load['answered']} (unanswered {load['unanswered']}), {load['answered_in_ack']} in "
            f"the ack; p50 / p99 {answer['p50']} / {answer['p99']} ms; "
            f"{load['answered_before_ack']} posted before their ack",
        ),
        (
            "data shown",
            f"live {load['live']}, cached {load['cached']}, stale {load['stale']}; "
            f"oldest age shown {load['oldest_age_shown_s']} s",
        ),
        ("over-limit answers (must be 0)", f"{load['over_limit_answers']} said a limit was hit"),
    )
    for label, value in rows:
        print(f"  {label:<33}{value}")
    _print_vendor(load["vendor"])


def _print_vendor(vendor: dict[str, Any]) -> None:
    print(
        f"  {'vendor endpoint':<33}{'limit/min':>9}{'calls':>7}{'peak/min':>10}{'over-limit':>12}"
    )
    for name, e in vendor["endpoints"].items():
        limit = e["limit_per_minute"] if e["limit_per_minute"] is not None else "-"
        print(
            f"  {name:<33}{limit:>9}{e['calls']:>7}{e['peak_per_minute']:>10}{e['over_limit']:>12}"
        )
    verdict = "within every limit" if vendor["within_limits"] else "OVER A LIMIT"
    print(f"  vendor over-limit answers: {vendor['over_limit']} ({verdict})")


def _print_ratio(ratio: dict[str, Any]) -> None:
    print(
        f"Ratio: saturation, {ratio['clients']} clients back to back for {ratio['seconds']:.0f} s; "
        "same waitress, threads and signing"
    )
    print(f"  {'app':<25}{'acked/s':>9}{'ack p50':>9}{'ack p99':>9}{'CPU/cmd':>9}{'answered':>10}")
    for label, key in (("deskbot run --http", "ours"), ("bare Bolt, ack only", "bare")):
        run = ratio[key]
        answered = run.get("answered", "-")
        print(
            f"  {label:<25}{run['per_second']:>9}{run['ack_ms']['p50']:>9}"
            f"{run['ack_ms']['p99']:>9}{run['app_cpu_ms_per_command']:>9}{answered:>10}"
        )
    verdict = "met" if ratio["ratio"] >= 0.8 else "NOT met"
    print(f"  ours / bare = {ratio['ratio']:.2f} (goal ≥ 0.8: {verdict})")


def _print_redis(redis: dict[str, Any]) -> None:
    if "skipped" in redis:
        print(f"Two instances, one Redis: skipped: {redis['skipped']}")
        return
    print(
        f"Two instances, one Redis: the same load split over {redis['instances']} instances, "
        f"asking about all {len(redis['groups'])} seed groups (two budgets would overspend)"
    )
    _print_served(redis)


def _print_memory(memory: dict[str, Any]) -> None:
    rss, per = memory["rss_mib"], memory["kib_per_group"]
    print(
        f"Memory: one Desk, {memory['groups']} groups read through its public path in "
        f"{memory['fill_seconds']} s; read cache holds {memory['cache_entries']} entries"
    )
    print(
        f"  RSS empty cache / + group list / + every group's claims / peak: {rss['empty_cache']} / "
        f"{rss['group_list_cached']} / {rss['claims_cached']} / {rss['peak']} MiB"
    )
    print(
        f"  per group: {per['group_list']} KiB (list), {per['group_list_and_claims']} KiB (list and claims)"
    )


def _print_facade(facade: dict[str, Any]) -> None:
    peaks = ", ".join(
        f"{name} {e['peak_per_minute']}/{e['limit_per_minute']}"
        for name, e in facade["endpoints"].items()
    )
    latency = facade["latency_ms"]
    print(
        f"Facade (bench/facade.py, in process, {facade['settings']['wall_seconds']:.0f} s): "
        f"{facade['requests_served']} reads, {facade['stale_served']} stale, "
        f"over-limit answers {facade['over_limit_answers']}"
    )
    print(
        f"  cached p50 {latency['cached']['p50']} ms, uncached p99 {latency['fresh']['p99']} ms; "
        f"peak/limit per min: {peaks}"
    )
