"""The pieces a benchmark scenario starts: simulator, deskbot, the bare app, Redis.

    with ExitStack() as stack:
        sim = start_simulator(stack, workdir)                 # `deskbot simulate --port 0`
        bot = start_deskbot(stack, workdir, "deskbot", sim.env, slack.url)
        sim.set_faults({"latency": 0.08}); ...; sim.stats()

Every process is stopped when the stack closes. The bot gets the simulator's settings exactly
as `deskbot simulate` prints them, so the benchmark runs what an operator would.
"""

from __future__ import annotations

import re
import shutil
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.services import (
    BIN,
    Service,
    free_port,
    spawn,
    wait_for_http,
    wait_for_output,
    wait_for_port,
)
from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET

HOST = "127.0.0.1"
THREADS = 16  # `deskbot run --http`'s default waitress thread count, given to both apps
REDIS_SERVER = Path("/usr/bin/redis-server")
_SETTING = re.compile(r"^\s+([A-Z][A-Z0-9_]+)=(\S+)$", re.MULTILINE)
_READY = r"TENCENT_IM_ADMIN=\S+"


@dataclass
class SimulatorProcess:
    service: Service
    url: str
    env: dict[str, str]  # the settings it printed for deskbot

    def stats(self) -> dict[str, Any]:
        """GET /_simulator/stats: per endpoint received, accepted, over_limit, peaks."""
        return dict(httpx.get(f"{self.url}/_simulator/stats", timeout=10.0).json())

    def set_faults(self, switches: dict[str, Any]) -> None:
        httpx.post(f"{self.url}/_simulator/faults", json=switches, timeout=10.0).raise_for_status()

    def reset(self) -> None:
        httpx.post(f"{self.url}/_simulator/reset", timeout=10.0).raise_for_status()


@dataclass
class App:
    service: Service
    url: str  # where Slack posts: http://127.0.0.1:PORT/slack/events


def start_simulator(stack: ExitStack, workdir: Path) -> SimulatorProcess:
    service = spawn(stack, "simulator", [str(BIN / "deskbot"), "simulate", "--port", "0"], workdir)
    wait_for_output(service, _READY)
    env = dict(_SETTING.findall(service.output()))
    return SimulatorProcess(service, env["SEVENMOOR_HOST"], env)


def start_deskbot(
    stack: ExitStack,
    workdir: Path,
    name: str,
    vendor_env: dict[str, str],
    slack_api_url: str,
    extra_env: dict[str, str] | None = None,
) -> App:
    """`deskbot run --http` against the simulator and the fake Slack; its state in `workdir`."""
    env = {
        **vendor_env,
        **_slack_env(slack_api_url),
        "DESK_STATE_PATH": str(workdir / f"{name}.sqlite3"),
        **(extra_env or {}),
    }
    argv = [str(BIN / "deskbot"), "run", "--http", "--host", HOST]
    return _serve_app(stack, workdir, name, argv, env)


def start_bare_app(stack: ExitStack, workdir: Path, slack_api_url: str) -> App:
    """bench/bare_app.py: Bolt that only acks /desk, on the same server and threads."""
    argv = [sys.executable, "-m", "bench.bare_app", "--host", HOST]
    return _serve_app(stack, workdir, "bare", argv, _slack_env(slack_api_url))


def _slack_env(slack_api_url: str) -> dict[str, str]:
    return {
        "SLACK_API_URL": slack_api_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }


def _serve_app(
    stack: ExitStack, workdir: Path, name: str, argv: list[str], env: dict[str, str]
) -> App:
    port = free_port()
    service = spawn(
        stack, name, [*argv, "--port", str(port), "--threads", str(THREADS)], workdir, env
    )
    base = f"http://{HOST}:{port}"
    wait_for_http(service, f"{base}/healthz")
    return App(service, f"{base}/slack/events")


def start_redis(stack: ExitStack, workdir: Path) -> str:
    """A throwaway redis-server on a free port; its URL. RuntimeError when there is none."""
    if not REDIS_SERVER.exists() and not shutil.which("redis-server"):
        raise RuntimeError(f"no redis-server ({REDIS_SERVER} is missing)")
    binary = str(REDIS_SERVER) if REDIS_SERVER.exists() else "redis-server"
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    service = spawn(stack, "redis", argv, workdir)
    wait_for_port(service, port)
    return f"redis://{HOST}:{port}/0"
