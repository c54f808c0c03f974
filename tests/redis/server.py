"""A real redis-server on a free loopback port, for the tests of multi-instance mode.

Started without persistence (`--save '' --appendonly no`), so a restart is an empty Redis,
as after a crash of an unpersisted one. Waiting for it to answer PING is real time: it is a
process starting, not a vendor window.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

START_SECONDS = 10.0
REQUIRE_VARIABLE = "DESK_REQUIRE_REDIS"


def redis_binary() -> str:
    """The redis-server path; skips the test without it (fails it with DESK_REQUIRE_REDIS=1)."""
    binary = shutil.which("redis-server")
    if binary is not None:
        return binary
    reason = "redis-server is not installed (apt-get install redis-server); the Redis tests need it"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_VARIABLE}=1 says they must run", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, binary: str) -> None:
        self._binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers PING."""
        self._process = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + START_SECONDS
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self._process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"redis-server did not start on port {self.port}"
                        ) from None
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown, every connection drops."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
            self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started server of its own, killed at the end (skipped or failed without the binary)."""
    server = RedisServer(redis_binary())
    server.start()
    try:
        yield server
    finally:
        server.kill()
