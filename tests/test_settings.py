"""Settings: the runtime contract's variables, parsed once, with errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings, SettingsError

FULL = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "s3cret-signing",
    "SEVENMOOR_HOST": "https://openapis.7moor.com/",
    "SEVENMOOR_ACCOUNT_ID": "N00000000556",
    "SEVENMOOR_API_SECRET": "moor-secret",
    "TENCENT_IM_SDKAPPID": "1400000000",
    "TENCENT_IM_SECRET_KEY": "tencent-key",
    "DESK_ADMINS": "U024BE7LH, W0ADMIN2",
    "DESK_AUDIT_CHANNEL": "C024BE91L",
    "DESK_AGENT_MAP": "U024BE7LH=8000,W0ADMIN2=8001",
}


def test_full_configuration_is_read_with_defaults() -> None:
    settings = Settings.from_mapping(FULL)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (
        settings.sevenmoor is not None and settings.sevenmoor.host == "https://openapis.7moor.com"
    )
    assert settings.sevenmoor.timezone == "Asia/Shanghai"
    assert settings.tencent is not None and settings.tencent.sdkappid == 1400000000
    assert settings.tencent.host == "https://console.tim.qq.com"
    assert settings.tencent.admin == "administrator"
    assert settings.admins == frozenset({"U024BE7LH", "W0ADMIN2"})
    assert settings.agent_map == {"U024BE7LH": "8000", "W0ADMIN2": "8001"}
    assert settings.state_path == Path("deskbot.sqlite3")


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Settings.from_mapping(FULL))
    for secret in ("xoxb-1-2-abc", "s3cret-signing", "moor-secret", "tencent-key"):
        assert secret not in text


def test_an_unconfigured_vendor_is_simply_absent() -> None:
    settings = Settings.from_mapping({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert settings.sevenmoor is None and settings.tencent is None


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"SEVENMOOR_API_SECRET": ""}, "SEVENMOOR_API_SECRET"),
        ({"TENCENT_IM_SDKAPPID": "abc"}, "TENCENT_IM_SDKAPPID"),
        ({"SEVENMOOR_TIMEZONE": "Mars/Olympus"}, "SEVENMOOR_TIMEZONE"),
        ({"SEVENMOOR_HOST": "openapis.7moor.com"}, "SEVENMOOR_HOST"),
        ({"DESK_ADMINS": "alice"}, "DESK_ADMINS"),
        ({"DESK_AUDIT_CHANNEL": "#general"}, "DESK_AUDIT_CHANNEL"),
        ({"DESK_AGENT_MAP": "U024BE7LH:8000"}, "DESK_AGENT_MAP"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"DESK_REDIS_URL": "localhost:6379"}, "DESK_REDIS_URL"),
    ],
)
def test_malformed_settings_name_the_variable(changes: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_mapping({**FULL, **changes})
    assert raised.value.variable == variable
    assert str(raised.value).startswith(variable)


def test_dotenv_is_read_and_the_real_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nDESK_ADMINS=U0FROMFILE\n")
    settings = Settings.from_env({"DESK_ADMINS": "U0FROMENV"}, dotenv_path=dotenv)
    assert settings.slack_bot_token == "xoxb-from-dotenv"
    assert settings.admins == frozenset({"U0FROMENV"})


def test_run_without_credentials_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["run"]) == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err
    assert main(["run", "--http"]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
