"""Build the Bolt app: settings + facade + Slack client, listeners registered.

`create_app(settings, desk=..., client=...)` is how tests build the real app with a simulator
behind the facade and a fake Slack Web API in front of the client.

Slack answers HTTP 429 with `Retry-After` when the app posts too fast (chat.postMessage allows
about one message a second per channel), on the Web API and on response_urls alike. slack_sdk
retries only connection errors by default, and Bolt's `respond()` builds a `WebhookClient` that
takes no retry handlers, so both get `RetryAfter` here: wait what Slack asks (on the desk's
clock, so tests move time instead of sleeping), then post again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from ssl import SSLContext
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.clock import Clock
from bot.desk import Desk
from bot.settings import Settings
from handlers import register_listeners
from handlers.audit import AuditPoster, SendAuditPoster

logger = logging.getLogger(__name__)

LISTENER_THREADS = 64
SLACK_RETRIES = 2  # posts again at most twice after a 429
MAX_RETRY_AFTER = 30.0  # a person is waiting: when Slack asks for longer, give up instead


def create_app(
    settings: Settings,
    *,
    desk: Desk | None = None,
    client: WebClient | None = None,
    socket_mode: bool = False,
) -> App:
    desk = desk or Desk.from_settings(settings)
    client = client or WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RetryAfter(desk.clock))
    desk.on_change = AuditPoster(client, settings.audit_channel)
    desk.on_send = SendAuditPoster(client, settings.audit_channel)
    app = App(
        # Bolt's default pool of 5 makes acks wait behind answers being posted: a burst of
        # supervisors would see Slack's 3 s timeout. Vendor calls stay bounded by the budget.
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="deskbot-listener"
        ),
        client=client,  # the token is read from the client (passing both makes Bolt warn)
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("deskbot.slack"),
    )
    app.middleware(_inject(desk))
    app.middleware(_respond_with_retries([ConnectionErrorRetryHandler(), RetryAfter(desk.clock)]))
    register_listeners(app)
    return app


class RetryAfter(RateLimitErrorRetryHandler):
    """On HTTP 429, wait `Retry-After` seconds on `clock`, then try again (at most `retries`).

    slack_sdk's own handler sleeps with `time.sleep` plus up to a second of jitter; this one
    waits exactly as long as Slack asked, on deskbot's clock, and does not retry at all when
    Slack asks for more than `max_wait`: the caller hears of the 429 at once instead.
    """

    def __init__(
        self, clock: Clock, *, retries: int = SLACK_RETRIES, max_wait: float = MAX_RETRY_AFTER
    ) -> None:
        super().__init__(max_retry_count=retries)
        self._clock = clock
        self._max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and _retry_after(response) <= self._max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry retries only answers
        seconds = _retry_after(response)
        logger.info("Slack asked to slow down (HTTP 429); posting again in %.0f s", seconds)
        state.next_attempt_requested = True
        self._clock.sleep(seconds)
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> float:
    """Seconds from the Retry-After header (1 when it is missing or not a number of seconds)."""
    for name, value in response.headers.items():
        if name.lower() == "retry-after":
            text = str(value[0] if isinstance(value, list | tuple) else value).strip()
            return float(text) if text.isdigit() else 1.0
    return 1.0


class RetryingRespond(Respond):
    """Bolt's `respond()`, posting through a `WebhookClient` with deskbot's retry handlers."""

    def __init__(
        self,
        *,
        response_url: str | None,
        retry_handlers: list[RetryHandler],
        proxy: str | None = None,
        ssl: SSLContext | None = None,
    ) -> None:
        super().__init__(response_url=response_url, proxy=proxy, ssl=ssl)
        self.retry_handlers = retry_handlers

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:
        """`respond(text, blocks=…, replace_original=…, …)` or `respond({…})`, as in Bolt."""
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = (
            _build_message(**text) if isinstance(text, dict) else _build_message(text, **fields)
        )
        client = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            retry_handlers=self.retry_handlers,
        )
        return client.send_dict(message)


def _inject(desk: Desk) -> Callable[[BoltContext, Callable[[], None]], None]:
    """Put the facade into every listener's context: `def handler(ack, desk): …`."""

    def inject_desk(context: BoltContext, next: Callable[[], None]) -> None:
        context["desk"] = desk
        next()

    return inject_desk


def _respond_with_retries(
    retry_handlers: list[RetryHandler],
) -> Callable[[BoltContext, Callable[[], None]], None]:
    """Give every listener a `respond()` that waits out a 429 instead of losing the answer,
    and `respond_to(url)`, the same for a response_url a modal kept in its metadata."""

    def respond_to(response_url: str) -> Respond:
        return RetryingRespond(response_url=response_url, retry_handlers=retry_handlers)

    def respond_with_retries(context: BoltContext, next: Callable[[], None]) -> None:
        context["respond_to"] = respond_to  # for a response_url kept elsewhere (a modal's)
        if context.response_url:
            context["respond"] = RetryingRespond(
                response_url=context.response_url,
                retry_handlers=retry_handlers,
                proxy=context.client.proxy,
                ssl=context.client.ssl,
            )
        next()

    return respond_with_retries
