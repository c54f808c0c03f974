"""Build the Bolt app: settings + facade + Slack client, listeners registered.

`create_app(settings, desk=..., client=...)` is how tests build the real app with a simulator
behind the facade and a fake Slack Web API in front of the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.desk import Desk
from bot.settings import Settings
from handlers import register_listeners
from handlers.audit import AuditPoster, SendAuditPoster

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    desk: Desk | None = None,
    client: WebClient | None = None,
    socket_mode: bool = False,
) -> App:
    client = client or WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        # chat.postMessage allows ~1/s per channel; on 429 wait Retry-After and try again.
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    desk = desk or Desk.from_settings(settings)
    desk.on_change = AuditPoster(client, settings.audit_channel)
    desk.on_send = SendAuditPoster(client, settings.audit_channel)
    app = App(
        client=client,  # the token is read from the client (passing both makes Bolt warn)
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("deskbot.slack"),
    )
    app.middleware(_inject(desk))
    register_listeners(app)
    return app


def _inject(desk: Desk) -> Callable[[BoltContext, Callable[[], None]], None]:
    """Put the facade into every listener's context: `def handler(ack, desk): …`."""

    def inject_desk(context: BoltContext, next: Callable[[], None]) -> None:
        context["desk"] = desk
        next()

    return inject_desk
