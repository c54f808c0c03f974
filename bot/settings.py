"""Settings: the environment variables of the runtime contract (DESIGN.md), read once.

Values come from the process environment and from `.env` (python-dotenv); the real
environment wins. Anything missing or malformed raises `SettingsError`, which names the
variable and says how to fix it; the CLI turns it into exit status 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_SEVENMOOR_TIMEZONE = "Asia/Shanghai"
DEFAULT_TENCENT_IM_HOST = "https://console.tim.qq.com"
DEFAULT_TENCENT_IM_ADMIN = "administrator"
DEFAULT_STATE_PATH = "./deskbot.sqlite3"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_AGENT_NUMBER = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


class SettingsError(Exception):
    """A setting is missing or malformed. `str()` is one line a person can act on."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True, kw_only=True)
class SevenMoorSettings:
    host: str
    account_id: str
    api_secret: str = field(repr=False)
    timezone: str = DEFAULT_SEVENMOOR_TIMEZONE


@dataclass(frozen=True, kw_only=True)
class TencentSettings:
    host: str
    sdkappid: int
    secret_key: str = field(repr=False)
    admin: str = DEFAULT_TENCENT_IM_ADMIN


@dataclass(frozen=True, kw_only=True)
class Settings:
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    sevenmoor: SevenMoorSettings | None = None
    tencent: TencentSettings | None = None
    admins: frozenset[str] = frozenset()
    audit_channel: str | None = None
    agent_map: Mapping[str, str] = field(default_factory=dict)
    state_path: Path = Path(DEFAULT_STATE_PATH)
    redis_url: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv_path: str | Path | None = ".env"
    ) -> Settings:
        """Read settings; `environ` defaults to `os.environ`, layered over `.env`."""
        merged: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        return cls.from_mapping(merged)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token and not bot_token.startswith("xoxb-"):
            raise SettingsError(
                "SLACK_BOT_TOKEN", "a bot token starts with 'xoxb-' (OAuth & Permissions page)"
            )
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN",
                "an app-level token starts with 'xapp-' (Basic Information → App-Level Tokens, "
                "scope connections:write)",
            )
        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        _require_http_url("SLACK_API_URL", api_url)
        if not api_url.endswith("/"):
            api_url += "/"

        return cls(
            slack_bot_token=bot_token,
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=app_token,
            slack_api_url=api_url,
            sevenmoor=_sevenmoor(get),
            tencent=_tencent(get),
            admins=_user_ids("DESK_ADMINS", get("DESK_ADMINS")),
            audit_channel=_channel(get("DESK_AUDIT_CHANNEL")),
            agent_map=_agent_map(get("DESK_AGENT_MAP")),
            state_path=Path(get("DESK_STATE_PATH") or DEFAULT_STATE_PATH),
            redis_url=_redis_url(get("DESK_REDIS_URL")),
        )

    def require_slack(self, *, socket_mode: bool) -> None:
        """Raise `SettingsError` for the first Slack credential `deskbot run` lacks."""
        if not self.slack_bot_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN", "not set; copy the Bot User OAuth Token (xoxb-…) of your app"
            )
        if socket_mode and not self.slack_app_token:
            raise SettingsError(
                "SLACK_APP_TOKEN",
                "not set; Socket Mode needs an app-level token (xapp-…) with connections:write, "
                "or run `deskbot run --http`",
            )
        if not socket_mode and not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET", "not set; HTTP mode verifies every request with it"
            )


def _require_http_url(variable: str, value: str) -> None:
    if not re.match(r"^https?://[^/\s]+", value):
        raise SettingsError(variable, f"expected an http(s) URL, got {value!r}")


def _all_or_none(get, names: list[str], vendor: str) -> bool:  # type: ignore[no-untyped-def]
    present = [name for name in names if get(name)]
    if present and len(present) < len(names):
        missing = next(name for name in names if not get(name))
        raise SettingsError(
            missing,
            f"not set, but {', '.join(present)} is: {vendor} needs all of {', '.join(names)}",
        )
    return bool(present)


def _sevenmoor(get) -> SevenMoorSettings | None:  # type: ignore[no-untyped-def]
    names = ["SEVENMOOR_HOST", "SEVENMOOR_ACCOUNT_ID", "SEVENMOOR_API_SECRET"]
    if not _all_or_none(get, names, "7moor"):
        return None
    host = get("SEVENMOOR_HOST").rstrip("/")
    _require_http_url("SEVENMOOR_HOST", host)
    timezone = get("SEVENMOOR_TIMEZONE") or DEFAULT_SEVENMOOR_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            "SEVENMOOR_TIMEZONE",
            f"unknown time zone {timezone!r}; use an IANA name such as Asia/Shanghai",
        ) from None
    return SevenMoorSettings(
        host=host,
        account_id=get("SEVENMOOR_ACCOUNT_ID"),
        api_secret=get("SEVENMOOR_API_SECRET"),
        timezone=timezone,
    )


def _tencent(get) -> TencentSettings | None:  # type: ignore[no-untyped-def]
    names = ["TENCENT_IM_SDKAPPID", "TENCENT_IM_SECRET_KEY"]
    if not _all_or_none(get, names, "Tencent IM Desk"):
        return None
    raw_appid = get("TENCENT_IM_SDKAPPID")
    if not raw_appid.isdigit():
        raise SettingsError(
            "TENCENT_IM_SDKAPPID", f"expected the numeric SDKAppID, got {raw_appid!r}"
        )
    host = (get("TENCENT_IM_HOST") or DEFAULT_TENCENT_IM_HOST).rstrip("/")
    _require_http_url("TENCENT_IM_HOST", host)
    return TencentSettings(
        host=host,
        sdkappid=int(raw_appid),
        secret_key=get("TENCENT_IM_SECRET_KEY"),
        admin=get("TENCENT_IM_ADMIN") or DEFAULT_TENCENT_IM_ADMIN,
    )


def _user_ids(variable: str, raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    for user_id in ids:
        if not _USER_ID.match(user_id):
            raise SettingsError(
                variable,
                f"{user_id!r} is not a Slack user ID (like U024BE7LH; profile → Copy member ID)",
            )
    return frozenset(ids)


def _channel(raw: str | None) -> str | None:
    if raw and not _CHANNEL_ID.match(raw):
        raise SettingsError(
            "DESK_AUDIT_CHANNEL",
            f"{raw!r} is not a channel ID (like C024BE91L; channel details → bottom of About)",
        )
    return raw


def _agent_map(raw: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if not raw:
        return mapping
    for pair in (part.strip() for part in raw.split(",")):
        if not pair:
            continue
        user_id, sep, agent = (piece.strip() for piece in pair.partition("="))
        if not sep or not _USER_ID.match(user_id) or not _AGENT_NUMBER.match(agent):
            raise SettingsError(
                "DESK_AGENT_MAP", f"{pair!r} is not USERID=AGENTNUMBER (e.g. U024BE7LH=8000)"
            )
        mapping[user_id] = agent
    return mapping


def _redis_url(raw: str | None) -> str | None:
    if raw and not re.match(r"^(redis|rediss|unix)://", raw):
        raise SettingsError(
            "DESK_REDIS_URL", "expected redis://host:port/db (or rediss://, unix://)"
        )
    return raw
