"""Logging setup, with every configured secret masked out of every record.

Libraries log URLs and headers at debug level (a 7moor sig, a Tencent usersig, a token);
the filter masks the configured values and signature query parameters wherever they appear.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from bot.settings import Settings

_SIGNED_QUERY = re.compile(r"((?:sig|usersig|token)=)[^&\s'\"]+", re.IGNORECASE)
MASK = "••••"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _SIGNED_QUERY.sub(rf"\g<1>{MASK}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def configure_logging(secrets: Iterable[str], *, level: int = logging.INFO) -> RedactSecrets:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redactor = RedactSecrets(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "waitress.queue"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor


def secrets_of(settings: Settings) -> list[str]:
    """Every secret-bearing setting's value (tokens, keys, the Redis password)."""
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        *(redis_passwords(settings.redis_url) if settings.redis_url else []),
    ]
    if settings.sevenmoor:
        values.append(settings.sevenmoor.api_secret)
    if settings.tencent:
        values.append(settings.tencent.secret_key)
    return [v for v in values if v]


def redis_passwords(url: str) -> list[str]:
    """The credentials in a Redis URL, and nothing else of it: a URL without a password is no
    secret, and masking all of it would hide which Redis an operator is looking at."""
    parts = urlsplit(url)
    # "redis://secret@host" passes the secret as the only credential, in the user's place.
    found = [parts.password or ("" if parts.password is not None else parts.username or "")]
    found = [value for value in found if value]
    found += [unquote(value) for value in found]  # as written in the URL, and as Redis gets it
    found += parse_qs(parts.query).get("password", [])
    return sorted(set(found))
