"""What `deskbot run` logs never contains a configured secret or a request signature."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.logs import MASK, RedactSecrets, configure_logging, secrets_of
from bot.settings import Settings
from tests.conftest import make_settings
from tests.slack_fakes import BOT_TOKEN, SIGNING_SECRET


@pytest.fixture
def secret_settings(tmp_path: Path) -> Settings:
    return make_settings("http://sim.invalid", "http://slack.invalid/api/", tmp_path / "s.db")


@pytest.fixture
def root_logging() -> Iterator[None]:
    """`configure_logging` takes over the root logger; give it back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_secrets_of_lists_every_secret_bearing_setting(secret_settings: Settings) -> None:
    assert secret_settings.sevenmoor is not None and secret_settings.tencent is not None
    found = secrets_of(secret_settings)

    assert BOT_TOKEN in found and SIGNING_SECRET in found
    assert secret_settings.sevenmoor.api_secret in found
    assert secret_settings.tencent.secret_key in found


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("redis://127.0.0.1:6379/0", []),  # no password: the address stays readable
        ("redis://:s3cr%21t@redis.internal:6379/0", ["s3cr!t", "s3cr%21t"]),
        ("redis://deskbot:hunter2@redis.internal/1", ["hunter2"]),
        ("redis://hunter2@redis.internal", ["hunter2"]),  # the password in the user's place
        ("redis://redis.internal/0?password=hunter2", ["hunter2"]),
    ],
)
def test_only_the_password_of_a_redis_url_is_a_secret(
    secret_settings: Settings, url: str, secrets: list[str]
) -> None:
    found = secrets_of(replace(secret_settings, redis_url=url))

    assert url not in found or secrets == [url]
    assert [s for s in found if s in url or s in secrets] == sorted(secrets)


def test_configured_logging_masks_secrets_in_messages_arguments_and_tracebacks(
    secret_settings: Settings, root_logging: None
) -> None:
    assert secret_settings.sevenmoor is not None
    secret = secret_settings.sevenmoor.api_secret
    redactor = configure_logging(secrets_of(secret_settings))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    logging.getLogger().addHandler(handler)
    log = logging.getLogger("deskbot.test")

    log.warning("token %s", BOT_TOKEN)
    log.warning("POST http://x/queueQueue/N1?sig=ABCDEF0123&x=1 and ?usersig=eJw*abc-_")
    try:
        raise RuntimeError(f"secret {secret} in an exception")
    except RuntimeError:
        log.exception("failed")

    text = stream.getvalue()
    assert BOT_TOKEN not in text and secret not in text
    assert "ABCDEF0123" not in text and "eJw*abc" not in text
    assert text.count(MASK) >= 4
    assert "&x=1" in text and "RuntimeError" in text


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = RedactSecrets(["abc", ""])

    assert redactor.redact("abc def") == "abc def"
