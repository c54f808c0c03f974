"""`deskbot check`: every setting, Slack's auth.test, a PING to Redis, one cheap read per vendor.

Each line passes or fails with the fix; the exit status is 0 only when everything
configured works, so it also serves as a deployment smoke test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis.exceptions import RedisError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.budget import Budget
from bot.clock import SYSTEM_CLOCK
from bot.errors import DeskError
from bot.logs import RedactSecrets, secrets_of
from bot.settings import Settings
from bot.shared import SharedRedis
from bot.state import SqliteStateStore, StateError
from bot.vendors.sevenmoor import SevenMoorClient
from bot.vendors.tencent import TencentDeskClient


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not configured, nothing to check
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "PASS", False: "FAIL", None: "skip"}[self.ok]
        text = f"[{mark}] {self.name}: {self.detail}"
        return f"{text}\n       fix: {self.fix}" if self.fix and self.ok is False else text


def _mask(value: str | None) -> str:
    if not value:
        return "not set"
    return f"set ({value[:5]}…, {len(value)} characters)"


def _probe(name: str, action: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, True, action())
    except DeskError as error:
        # A vendor error's next step is written for supervisors ("an operator can run
        # `deskbot check`"); the doctor's reader is that operator, so give them the setting.
        step = error.next_step if "deskbot check" not in error.next_step else ""
        return Check(name, False, error.sentence, step or fix)
    except Exception as error:  # a doctor reports every failure, whatever its kind
        return Check(name, False, f"{type(error).__name__}: {error}", fix)


def checks(settings: Settings) -> list[Check]:
    found: list[Check] = [
        Check(
            "SLACK_BOT_TOKEN",
            bool(settings.slack_bot_token),
            _mask(settings.slack_bot_token),
            "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
        ),
        Check(
            "SLACK_APP_TOKEN / SLACK_SIGNING_SECRET",
            bool(settings.slack_app_token or settings.slack_signing_secret),
            f"app token {_mask(settings.slack_app_token)}; signing secret {_mask(settings.slack_signing_secret)}",
            "Socket Mode needs SLACK_APP_TOKEN (xapp-…); HTTP mode needs SLACK_SIGNING_SECRET",
        ),
    ]
    if settings.slack_bot_token:
        client = WebClient(
            token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10
        )

        def auth_test() -> str:
            try:
                answer = client.auth_test()
            except SlackApiError as error:
                raise DeskError(
                    f"Slack said {error.response.get('error')}.",
                    "Check SLACK_BOT_TOKEN (reinstall the app if it was rotated).",
                ) from error
            return f"authenticated as {answer.get('user')} in {answer.get('team')} via {settings.slack_api_url}"

        found.append(
            _probe("Slack auth.test", auth_test, "check SLACK_BOT_TOKEN and SLACK_API_URL")
        )
    if settings.slack_app_token:
        app_client = WebClient(base_url=settings.slack_api_url, timeout=10)

        def connections_open() -> str:
            try:
                app_client.apps_connections_open(app_token=settings.slack_app_token)
            except SlackApiError as error:
                raise DeskError(
                    f"Slack said {error.response.get('error')} to SLACK_APP_TOKEN.",
                    "Create an app-level token with the connections:write scope (Basic Information → App-Level Tokens), and enable Socket Mode.",
                ) from error
            return "Socket Mode can connect (`deskbot run`)"

        found.append(
            _probe("Slack apps.connections.open", connections_open, "check SLACK_APP_TOKEN")
        )
    found.append(
        Check(
            "DESK_ADMINS",
            True if settings.admins else None,  # read-only is a valid way to run the bot
            f"{len(settings.admins)} admin(s)"
            if settings.admins
            else "not set: read-only, nobody may change groups or send messages"
            " (set DESK_ADMINS=U…,U… to allow it)",
        )
    )
    found.append(
        Check(
            "DESK_AUDIT_CHANNEL",
            True if settings.audit_channel else None,
            settings.audit_channel or "not set: changes are kept in the history only",
        )
    )
    found.append(
        Check(
            "DESK_AGENT_MAP",
            True if settings.agent_map else None,
            f"{len(settings.agent_map)} mapped user(s)"
            if settings.agent_map
            else "not set: agents are given by number",
        )
    )

    shared = SharedRedis(settings.redis_url) if settings.redis_url else None
    if shared is None:
        found.append(_state_file(settings))
    else:
        found.append(
            Check(
                "DESK_STATE_PATH",
                None,
                "not used: history, Undo and sends live in Redis (DESK_REDIS_URL)",
            )
        )
        found.append(_redis(shared))
    # The probes below spend from the budget the running instances share, when it answers;
    # without it one probe per vendor is still polite, and tests the vendor rather than Redis.
    reachable = shared is not None and found[-1].ok is True
    budget = Budget(clock=SYSTEM_CLOCK, shared=shared if reachable else None)
    if settings.sevenmoor:
        moor = SevenMoorClient(settings.sevenmoor, budget=budget, clock=SYSTEM_CLOCK)
        found.append(
            _probe(
                "7moor queueQueue",
                lambda: f"{moor.count_groups()} skill group(s) at {settings.sevenmoor.host}",
                "check SEVENMOOR_HOST, SEVENMOOR_ACCOUNT_ID and SEVENMOOR_API_SECRET (from 7moor's"
                " console), SEVENMOOR_TIMEZONE and this machine's clock: the signature carries the time",
            )
        )
        moor.close()
    else:
        found.append(
            Check(
                "7moor",
                None,
                "not configured: set SEVENMOOR_HOST, SEVENMOOR_ACCOUNT_ID, SEVENMOOR_API_SECRET to use who/groups/add/…",
            )
        )
    if settings.tencent:
        desk = TencentDeskClient(settings.tencent, budget=budget, clock=SYSTEM_CLOCK)
        found.append(
            _probe(
                "Tencent IM get_im_agent_list_multilingual",
                lambda: (
                    f"{len(desk.im_agents())} customer-service account(s) at {settings.tencent.host}"
                ),
                "check TENCENT_IM_HOST, TENCENT_IM_SDKAPPID, TENCENT_IM_SECRET_KEY, TENCENT_IM_ADMIN",
            )
        )
        desk.close()
    else:
        found.append(
            Check(
                "Tencent IM Desk",
                None,
                "not configured: set TENCENT_IM_SDKAPPID and TENCENT_IM_SECRET_KEY to use agents/send",
            )
        )
    if shared is not None:
        shared.close()
    return found


def _state_file(settings: Settings) -> Check:
    try:
        store = SqliteStateStore(settings.state_path)
    except StateError as error:
        return Check(
            "DESK_STATE_PATH", False, str(error), "point DESK_STATE_PATH at a writable file"
        )
    store.close()
    return Check("DESK_STATE_PATH", True, f"{settings.state_path} is usable")


def _redis(shared: SharedRedis) -> Check:
    try:
        version = shared.ping()
    except RedisError as error:
        return Check(
            "DESK_REDIS_URL",
            False,
            f"cannot reach Redis at {shared.label} ({type(error).__name__}: {error})",
            "start Redis there, or correct DESK_REDIS_URL (host, port, password, database); "
            "to run a single instance without Redis, unset DESK_REDIS_URL",
        )
    return Check(
        "DESK_REDIS_URL",
        True,
        f"Redis {version} at {shared.label} answers: budget, cache, locks and state are "
        "shared by every instance using it",
    )


def run_checks(settings: Settings) -> int:
    results = checks(settings)
    redactor = RedactSecrets(secrets_of(settings))  # an unexpected error may quote a URL
    for result in results:
        print(redactor.redact(result.line()))
    failed = [r for r in results if r.ok is False]
    print(
        f"\n{len(results) - len(failed)} of {len(results)} checks fine."
        if not failed
        else f"\n{len(failed)} check(s) failed."
    )
    return 1 if failed else 0
