"""One vendor call: spend budget, POST signed JSON, retry where it is safe, interpret.

Retry rules by what a call does (githubkit's idea: a small policy, not loops everywhere):
- READ and IDEMPOTENT (a read, or replacing a whole member list): retried on transport
  errors, 5xx answers and the vendor's own "internal error" answers (7moor code 500, Tencent
  141002, which come as JSON, with HTTP 200 or 500), with capped backoff.
- ONCE_UNLESS_UNSENT (send_msg with its fixed MsgRandom): retried only when the request
  surely never reached the vendor (could not connect), since the vendor's de-duplication
  window is unconfirmed.
- NEVER (creating a group): one attempt; a retry could create the group twice.
Every attempt spends budget: the vendor counts attempts, not intentions. An over-limit answer
is never retried, and holds every further call to that endpoint for a whole window.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from bot.budget import Budget, EndpointLimit, Priority
from bot.clock import Clock
from bot.errors import (
    ConnectFailed,
    DeskError,
    MalformedAnswer,
    RateLimited,
    VendorError,
    VendorFailure,
    VendorTimeout,
    VendorUnreachable,
)

logger = logging.getLogger(__name__)

# The vendors answer within 3 s server-side; a slow 5 s answer must still succeed.
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=5.0)
RETRY_DELAYS: tuple[float, ...] = (0.25, 1.0)  # capped backoff: two retries at most
READ_BUDGET_WAIT = 2.0  # a supervisor is waiting; a stale answer beats a long wait
WRITE_BUDGET_WAIT = 20.0  # a confirmed change waits its turn rather than fail

Interpret = Callable[[str, httpx.Response], Any]


class Retry(enum.Enum):
    READ = "read"
    IDEMPOTENT = "idempotent"
    ONCE_UNLESS_UNSENT = "once-unless-unsent"
    NEVER = "never"


# Transport errors raised before a request could leave: no connection, or none free in the
# pool. Only these prove the vendor never saw it (a send may then go again).
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _may_retry(rule: Retry, error: Exception) -> bool:
    if rule in (Retry.READ, Retry.IDEMPOTENT):
        return isinstance(error, httpx.TransportError | _RetryableStatus | VendorFailure)
    if rule is Retry.ONCE_UNLESS_UNSENT:
        return isinstance(error, _NEVER_SENT)
    return False


class VendorHttp:
    """A pooled, keep-alive httpx client for one vendor, with its budget and interpretation."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        budget: Budget,
        budget_scope: str,
        limits: Mapping[str, EndpointLimit],
        clock: Clock,
        interpret: Interpret,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.vendor = vendor
        self._budget = budget
        self._scope = budget_scope
        self._limits = limits
        self._clock = clock
        self._interpret = interpret
        self._client = httpx.Client(
            base_url=base_url,
            auth=auth,
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
            verify=_tls_context(),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    def call(
        self,
        endpoint: str,
        path: str,
        body: Mapping[str, Any],
        *,
        priority: Priority,
        retry: Retry,
    ) -> Any:
        """POST `body` to `path`, returning what `interpret` makes of a successful answer."""
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        limit = self._limits[endpoint]
        wait = WRITE_BUDGET_WAIT if priority is Priority.WRITE else READ_BUDGET_WAIT
        # The first failure after which the vendor may have acted: a later attempt that
        # never left must not hide it (a write that timed out may still be applied).
        maybe_arrived: Exception | None = None
        for attempt in range(len(RETRY_DELAYS) + 1):
            self._budget.spend(self.budget_key(endpoint), limit, priority, max_wait=wait)
            try:
                return self._attempt(endpoint, path, content)
            except RateLimited:
                # The vendor counted more than the budget did: wait a whole window, every caller.
                self._budget.hold(self.budget_key(endpoint), limit)
                raise
            except (httpx.TransportError, _RetryableStatus, VendorFailure) as error:
                if maybe_arrived is None and not isinstance(error, (*_NEVER_SENT, VendorFailure)):
                    maybe_arrived = error
                if attempt < len(RETRY_DELAYS) and _may_retry(retry, error):
                    logger.warning(
                        "%s %s failed (%s); retry %d",
                        self.vendor,
                        endpoint,
                        _describe(error),
                        attempt + 1,
                    )
                    self._clock.sleep(RETRY_DELAYS[attempt])
                    continue
                if isinstance(error, VendorFailure):
                    raise
                if isinstance(error, _NEVER_SENT) and maybe_arrived is not None:
                    raise self._as_vendor_error(endpoint, maybe_arrived) from error
                raise self._as_vendor_error(endpoint, error) from error
        raise AssertionError("unreachable: the loop returns or raises")

    def budget_key(self, endpoint: str) -> str:
        return f"{self._scope}:{endpoint}"

    def close(self) -> None:
        self._client.close()

    def _attempt(self, endpoint: str, path: str, content: bytes) -> Any:
        started = time.perf_counter()
        response = self._client.post(path, content=content)
        logger.debug(
            "%s %s → HTTP %d in %.0f ms",
            self.vendor,
            endpoint,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        if response.status_code >= 500 and not _is_json(response):
            raise _RetryableStatus(response)
        return self._interpret(endpoint, response)

    def _as_vendor_error(self, endpoint: str, error: Exception) -> DeskError:
        if isinstance(error, _RetryableStatus):
            return VendorUnreachable(
                f"{self.vendor} answered with a server error (HTTP {error.response.status_code}).",
                "This is usually brief: try again in a minute.",
                vendor=self.vendor,
                endpoint=endpoint,
                code=error.response.status_code,
            )
        if isinstance(error, httpx.TimeoutException) and not isinstance(error, _NEVER_SENT):
            return VendorTimeout(
                f"{self.vendor} did not answer in time.",
                "Try again in a minute; if it keeps happening, the vendor may be having trouble.",
                vendor=self.vendor,
                endpoint=endpoint,
            )
        unreachable = ConnectFailed if isinstance(error, _NEVER_SENT) else VendorUnreachable
        return unreachable(
            f"deskbot could not reach {self.vendor} ({_in_words(error)}).",
            "Try again in a minute; an operator can run `deskbot check` to test the connection.",
            vendor=self.vendor,
            endpoint=endpoint,
        )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one loads the CA bundle (~25 ms)."""
    return httpx.create_ssl_context()


def _is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def _in_words(error: Exception) -> str:
    """A transport failure as a supervisor may read it (the log keeps the class name)."""
    if isinstance(error, httpx.ConnectTimeout):
        return "connecting timed out"
    if isinstance(error, httpx.ConnectError):
        return "no connection could be made"
    if isinstance(error, httpx.PoolTimeout):
        return "too many calls were already waiting for a connection"
    if isinstance(error, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError):
        return "the connection was dropped before an answer came"
    return "a network error"


def _describe(error: Exception) -> str:
    if isinstance(error, _RetryableStatus):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, VendorError):
        return error.context()
    return type(error).__name__


def json_object(vendor: str, endpoint: str, response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or MalformedAnswer: vendors sometimes answer with HTML."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise MalformedAnswer(
            f"{vendor} sent an answer deskbot cannot read (HTTP {response.status_code}).",
            "Nothing was assumed from it. Try again in a minute.",
            vendor=vendor,
            endpoint=endpoint,
            code=response.status_code,
        )
    return body


__all__ = ["DEFAULT_TIMEOUT", "Retry", "VendorError", "VendorHttp", "json_object"]
