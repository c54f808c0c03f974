"""`deskbot check`, settings errors, `deskbot run` refusals, `deskbot simulate`, `deskbot demo`.

The doctor runs in-process against the simulator and the fake Slack; the commands whose
contract is a process (exit status, stderr, a port served until stopped) run as
`python -m bot …` subprocesses, with an environment of their own and cwd in a temporary
folder so no `.env` of the developer's leaks in.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from bot.budget import Budget
from bot.cli import main
from bot.clock import SYSTEM_CLOCK
from bot.doctor import Check, checks, run_checks
from bot.settings import Settings
from bot.simulator import (
    SIM_SEVENMOOR_ACCOUNT_ID,
    SIM_SEVENMOOR_API_SECRET,
    Simulator,
    vendor_settings,
)
from bot.vendors.sevenmoor import SevenMoorClient
from tests.slack_fakes import APP_TOKEN, BOT_TOKEN, FakeSlackWebApi, FakeSocketModeServer

CONTRACT_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SEVENMOOR_HOST",
    "SEVENMOOR_ACCOUNT_ID",
    "SEVENMOOR_API_SECRET",
    "SEVENMOOR_TIMEZONE",
    "TENCENT_IM_HOST",
    "TENCENT_IM_SDKAPPID",
    "TENCENT_IM_SECRET_KEY",
    "TENCENT_IM_ADMIN",
    "DESK_ADMINS",
    "DESK_AUDIT_CHANNEL",
    "DESK_AGENT_MAP",
    "DESK_STATE_PATH",
    "DESK_REDIS_URL",
)
PROCESS_TIMEOUT = 30.0
DEMO_TIMEOUT = 120.0


def by_name(found: list[Check], name: str) -> Check:
    [check] = [c for c in found if c.name == name]
    return check


# ---- deskbot check --------------------------------------------------------------------------


def test_check_passes_every_line_against_working_services(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_checks(settings)

    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert status == 0
    assert all(line.startswith("[PASS]") for line in lines), lines
    found = checks(settings)
    assert [check.name for check in found] == [
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN / SLACK_SIGNING_SECRET",
        "Slack auth.test",
        "DESK_ADMINS",
        "DESK_AUDIT_CHANNEL",
        "DESK_AGENT_MAP",
        "DESK_STATE_PATH",
        "7moor queueQueue",
        "Tencent IM get_im_agent_list_multilingual",
    ]
    assert len(lines) == len(found)
    assert "authenticated as deskbot" in by_name(found, "Slack auth.test").detail
    assert "17 skill group(s)" in by_name(found, "7moor queueQueue").detail
    tencent = by_name(found, "Tencent IM get_im_agent_list_multilingual")
    assert "4 customer-service account(s)" in tencent.detail


def test_check_fails_a_wrong_7moor_secret_with_a_fix(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.sevenmoor is not None
    wrong = replace(settings, sevenmoor=replace(settings.sevenmoor, api_secret="not-the-secret"))

    status = run_checks(wrong)

    out = capsys.readouterr().out
    assert status == 1
    lines = out.splitlines()
    [line] = [line for line in lines if line.startswith("[FAIL]")]
    assert line == "[FAIL] 7moor queueQueue: 7moor rejected deskbot's credentials or signature."
    fix = lines[lines.index(line) + 1].strip()
    assert fix.startswith(
        "fix: check SEVENMOOR_HOST, SEVENMOOR_ACCOUNT_ID and SEVENMOOR_API_SECRET"
    )
    assert "SEVENMOOR_TIMEZONE" in fix
    assert "not-the-secret" not in out
    assert "1 check(s) failed." in out


def test_check_skips_an_unconfigured_vendor(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_checks(replace(settings, tencent=None))

    out = capsys.readouterr().out
    assert status == 0
    assert "[skip] Tencent IM Desk: not configured: set TENCENT_IM_SDKAPPID" in out


def test_check_fails_a_refused_slack_token(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_checks(replace(settings, slack_bot_token="xoxb-revoked"))

    out = capsys.readouterr().out
    assert status == 1
    assert "[FAIL] Slack auth.test: Slack said invalid_auth." in out
    assert "xoxb-revoked" not in out.replace("xoxb-…", "")


def test_check_tests_the_socket_mode_token(
    settings: Settings, socket_mode_server: FakeSocketModeServer
) -> None:
    good = by_name(
        checks(replace(settings, slack_app_token=APP_TOKEN)), "Slack apps.connections.open"
    )
    bad = by_name(
        checks(replace(settings, slack_app_token="xapp-1-revoked")), "Slack apps.connections.open"
    )

    assert good.ok is True
    assert bad.ok is False
    assert "invalid_auth" in bad.detail and "connections:write" in bad.fix


def test_check_fails_an_unreachable_redis_with_the_fix(settings: Settings) -> None:
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        url = f"redis://:hunter2@127.0.0.1:{probe.getsockname()[1]}/0"
    check = by_name(checks(replace(settings, redis_url=url)), "DESK_REDIS_URL")

    assert check.ok is False
    assert check.detail.startswith("cannot reach Redis at ")
    assert "hunter2" not in check.detail  # the password never reaches the output
    assert "start Redis there, or correct DESK_REDIS_URL" in check.fix


@pytest.mark.redis
def test_check_passes_a_live_redis_and_says_what_it_shares(
    settings: Settings, redis_url: str
) -> None:
    check = by_name(checks(replace(settings, redis_url=redis_url)), "DESK_REDIS_URL")

    assert check.ok is True
    assert "budget, cache, locks and state are" in check.detail


def test_deskbot_check_reads_the_environment(
    simulator: Simulator,
    slack_api: FakeSlackWebApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f14e45fceea167a5a36dedd4bea2543")
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("SEVENMOOR_HOST", simulator.url)
    monkeypatch.setenv("SEVENMOOR_ACCOUNT_ID", SIM_SEVENMOOR_ACCOUNT_ID)
    monkeypatch.setenv("SEVENMOOR_API_SECRET", SIM_SEVENMOOR_API_SECRET)

    status = main(["check"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "[PASS] 7moor queueQueue: 17 skill group(s)" in out
    assert "[skip] Tencent IM Desk: not configured" in out
    assert "[skip] DESK_ADMINS: not set: read-only" in out  # a valid way to run, not a failure


# ---- settings errors and refusals -----------------------------------------------------------


def clean_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(folder)  # no .env here


def test_run_without_a_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )

    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_http_mode_without_a_signing_secret_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)

    assert main(["run", "--http"]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err


def test_socket_mode_without_an_app_token_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)

    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_APP_TOKEN" in err and "deskbot run --http" in err


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"DESK_ADMINS": "bob"}, "DESK_ADMINS"),
        ({"SLACK_BOT_TOKEN": "xoxp-a-user-token"}, "SLACK_BOT_TOKEN"),
        ({"DESK_AGENT_MAP": "U0ADMIN1:8000"}, "DESK_AGENT_MAP"),
        (  # half a vendor: the missing variable is named
            {"SEVENMOOR_ACCOUNT_ID": "N000", "SEVENMOOR_API_SECRET": "s3cr3t-value"},
            "SEVENMOOR_HOST",
        ),
    ],
)
def test_a_malformed_setting_exits_2_naming_it(
    environment: dict[str, str],
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean_environment(monkeypatch, tmp_path)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)

    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"deskbot: {named}: ")
    assert "Set it in the environment or in .env" in err


def test_an_unusable_state_file_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setattr("bot.logs.configure_logging", lambda *_args, **_kwargs: None)
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f14e45fceea167a5a36dedd4bea2543")
    monkeypatch.setenv("DESK_STATE_PATH", str(tmp_path / "a-file" / "state.sqlite3"))

    assert main(["run", "--http"]) == 2
    err = capsys.readouterr().err
    assert "DESK_STATE_PATH" in err and "not writable" in err


def run_deskbot(
    *args: str, env: Mapping[str, str], cwd: Path, timeout: float = PROCESS_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**env, "PYTHONUNBUFFERED": "1"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_run_with_a_refused_app_token_says_which_token(
    slack_api: FakeSlackWebApi, tmp_path: Path
) -> None:
    result = run_deskbot(
        "run",
        env={
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": "xapp-1-revoked",
            "SLACK_API_URL": slack_api.url,
        },
        cwd=tmp_path,
    )

    assert result.returncode == 1, result.stderr
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    assert "xapp-1-revoked" not in result.stderr


def test_run_with_a_refused_bot_token_says_which_token(
    slack_api: FakeSlackWebApi, tmp_path: Path
) -> None:
    result = run_deskbot(
        "run",
        "--http",
        env={
            "SLACK_BOT_TOKEN": "xoxb-revoked",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": slack_api.url,
        },
        cwd=tmp_path,
    )

    assert result.returncode == 1, result.stderr
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr


# ---- deskbot simulate -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's next stdout line; fails (rather than hangs) if none comes in time."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"no output within {timeout}s")
    return process.stdout.readline()


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "simulate", "--port", str(port)],
        env={"PYTHONUNBUFFERED": "1", "PATH": os.environ.get("PATH", "")},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, port
    finally:
        process.terminate()
        process.wait(PROCESS_TIMEOUT)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_simulate_serves_both_vendors_on_loopback(
    simulate: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = simulate
    url = f"http://127.0.0.1:{port}"

    first = read_line(process, PROCESS_TIMEOUT)  # printed once the port is bound
    assert first.startswith(f"Simulating 7moor and Tencent IM Desk at {url}")
    client = SevenMoorClient(
        vendor_settings(url)[0],
        budget=Budget(clock=SYSTEM_CLOCK),
        clock=SYSTEM_CLOCK,
    )
    try:
        assert client.count_groups() == 17  # a genuinely signed 7moor call is answered
    finally:
        client.close()
    process.terminate()
    assert process.wait(PROCESS_TIMEOUT) == -signal.SIGTERM


def test_simulate_on_a_busy_port_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        status = main(["simulate", "--port", str(port)])

    err = capsys.readouterr().err
    assert status == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "--port" in err


# ---- deskbot demo ---------------------------------------------------------------------------


def test_demo_runs_the_main_flows_without_credentials(tmp_path: Path) -> None:
    result = run_deskbot(
        "demo", env={"PATH": os.environ.get("PATH", "")}, cwd=tmp_path, timeout=DEMO_TIMEOUT
    )

    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for line in [
        "Nobody in this group is claiming",
        "2 skill groups match “阿瓦达哇多23”",
        "<!channel> VIP & Co (10019351)",  # as Slack shows the escaped text
        "Only deskbot admins can change skill groups",
        "Not done",
        "already sent",
        "does not exist or has already ended",
        "Recent changes",
    ]:
        assert line in out, line
    assert re.search(r"Sent (\w+ )?to session fd8a2e30", out)
    assert "Traceback" not in result.stderr
