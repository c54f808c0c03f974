"""Real processes on loopback for the benchmarks: start, wait until ready, always stop.

Every service is a child process whose output goes to a log file in the run's work
directory, registered with an `ExitStack` so it is stopped (SIGINT, then SIGKILL) however
the benchmark ends. Nothing here knows what a service is for; `stack.py` does.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 20.0
STOP_SECONDS = 5.0
POLL_SECONDS = 0.05
T = TypeVar("T")


class ServiceFailed(RuntimeError):
    """A service exited or never became ready; the message ends with its last output."""


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def last_words(self, lines: int = 3) -> str:
        """The last non-empty lines it printed, for a failure message."""
        said = [line.strip() for line in self.output().splitlines() if line.strip()]
        return " / ".join(said[-lines:]) or "(no output)"

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def fail(self, what: str) -> ServiceFailed:
        status = self.process.poll()
        exited = f" (exit status {status})" if status is not None else ""
        return ServiceFailed(f"{self.name} {what}{exited}: {self.last_words()}")

    def stop(self) -> None:
        """SIGINT (Ctrl-C: every child here shuts down cleanly on it), then SIGKILL."""
        if self.running():
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_SECONDS)


def free_port() -> int:
    """A loopback port free right now (the OS does not hand it out again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: ours without Slack/vendor/desk settings, plus `extra`.

    Settings a developer exported for their own runs must not leak into a benchmark.
    """
    prefixes = ("SLACK_", "SEVENMOOR_", "TENCENT_IM_", "DESK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **(extra or {})}


def spawn(
    stack: ExitStack,
    name: str,
    argv: Sequence[str],
    workdir: Path,
    env: dict[str, str] | None = None,
) -> Service:
    """Start `argv` in `workdir` (no `.env` there), logging to `workdir/<name>.log`."""
    log = workdir / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(argv),
            cwd=workdir,
            env=child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    service = Service(name, process, log)
    stack.callback(service.stop)
    return service


def wait_until(
    service: Service, ready: Callable[[], T | None], what: str, timeout: float = STARTUP_SECONDS
) -> T:
    """Poll `ready()` until it returns something; fail if the service exits or time runs out.

    `what` completes "<service> exited before …" and "<service> did not … in time".
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ready()
        if found is not None:
            return found
        if not service.running():
            raise service.fail(f"exited before it would {what}")
        time.sleep(POLL_SECONDS)
    raise service.fail(f"did not {what} within {timeout:.0f} s")


def wait_for_output(service: Service, pattern: str) -> re.Match[str]:
    """Wait until the service prints a line matching `pattern`."""
    wanted = re.compile(pattern, re.MULTILINE)
    return wait_until(service, lambda: wanted.search(service.output()), f"print {pattern!r}")


def wait_for_http(service: Service, url: str) -> None:
    """Wait until GET `url` answers 200."""

    def answers() -> bool | None:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(url, timeout=1.0).status_code == 200 or None
        return None

    wait_until(service, answers, f"answer {url}")


def wait_for_port(service: Service, port: int) -> None:
    """Wait until something accepts TCP connections on loopback `port`."""

    def accepts() -> bool | None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        return None

    wait_until(service, accepts, f"listen on port {port}")
