"""From raw observations to figures: acks, what supervisors saw, what the vendors saw.

What a supervisor sees is read from the answer text, in handlers/render's wording:
"Live from 7moor." (age 0), "As of 12 s ago (cached).", or, when deskbot had to serve its
last answer, ":hourglass: Showing the last answer, from 2 min ago." followed by why. An
answer is *over the limit* when it says a limit was hit: deskbot's own budget ("The vendor
allows only so many … a minute") or the vendor's refusal ("… is calling too often").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bench.facade import ENDPOINT_LIMITS, percentile
from bench.slack_stub import Post
from bench.traffic import Ack

_AGE = re.compile(r"(?:As of|from) (\d+) (s|min|h) ago")
_UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600}
LIVE = "Live from"
STALE = "Showing the last answer"
OVER_LIMIT_PHRASES = ("allows only so many", "calling too often")


def milliseconds(values: Sequence[float], share: float) -> float:
    return round(percentile(list(values), share) * 1000, 1)


def age_shown(text: str) -> int | None:
    """Seconds of the data's age the answer states; None when it states none."""
    found = _AGE.search(text)
    if found:
        return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    return 0 if LIVE in text else None


def says_over_limit(text: str) -> bool:
    return any(phrase in text for phrase in OVER_LIMIT_PHRASES)


def ack_figures(acks: Sequence[Ack], seconds: float | None = None) -> dict[str, Any]:
    """Served (HTTP 200) and failed commands, ack latency, and throughput over `seconds`."""
    served = [ack.seconds for ack in acks if ack.status == 200]
    figures: dict[str, Any] = {
        "sent": len(acks),
        "served": len(served),
        "failed": len(acks) - len(served),
        "ack_ms": {
            "p50": milliseconds(served, 0.50),
            "p99": milliseconds(served, 0.99),
            "max": round(max(served, default=0.0) * 1000, 1),
        },
    }
    if seconds:
        figures["per_second"] = round(len(served) / seconds, 1)
    return figures


def answer_figures(acks: Sequence[Ack], posts: Iterable[Post]) -> dict[str, Any]:
    """What the supervisors behind `acks` were shown: in the ack itself, or on their
    response_urls (when the answer took longer than deskbot waits before acking)."""
    first: dict[str, Post] = {}
    refused = 0
    for post in sorted(posts, key=lambda p: p.arrived):
        if not post.delivered:
            refused += 1
        elif post.name not in first:
            first[post.name] = post
    answered: list[tuple[Ack, str, float]] = []  # (ack, what was shown, when it arrived)
    for ack in acks:
        if ack.answer:
            answered.append((ack, ack.answer, ack.sent + ack.seconds))
        elif ack.name in first:
            answered.append((ack, first[ack.name].text, first[ack.name].arrived))
    texts = [text for _ack, text, _arrived in answered]
    ages = [age for age in map(age_shown, texts) if age is not None]
    delays = [arrived - ack.sent for ack, _text, arrived in answered]
    return {
        "answered": len(answered),
        "unanswered": sum(1 for ack in acks if ack.status == 200) - len(answered),
        "answered_in_ack": sum(1 for ack in acks if ack.answer),
        # An answer posted before its "looking that up…" ack reached Slack could be shown
        # above a placeholder that never goes away; deskbot answers in the ack to avoid it.
        "answered_before_ack": sum(
            1
            for ack, _text, arrived in answered
            if not ack.answer and arrived < ack.sent + ack.seconds
        ),
        "refused_posts": refused,
        "answer_ms": {"p50": milliseconds(delays, 0.50), "p99": milliseconds(delays, 0.99)},
        "live": sum(1 for text in texts if LIVE in text),
        "cached": sum(1 for text in texts if "(cached)" in text),
        "stale": sum(1 for text in texts if STALE in text),
        "over_limit_answers": sum(1 for text in texts if says_over_limit(text)),
        "oldest_age_shown_s": max(ages, default=None),
    }


def vendor_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The simulator's counts per endpoint, beside each endpoint's documented limit."""
    endpoints = {
        name: {
            "limit_per_minute": ENDPOINT_LIMITS.get(name),
            "calls": figures["received"],
            "peak_per_minute": figures["peak_per_minute"],
            "over_limit": figures["over_limit"],
        }
        for name, figures in sorted(stats["endpoints"].items())
    }
    # The simulator refuses what is over a limit, so its peaks never pass one: a vendor
    # over-limit answer is the sign that deskbot asked for more.
    within = stats["over_limit"] == 0 and all(
        e["limit_per_minute"] is None or e["peak_per_minute"] <= e["limit_per_minute"]
        for e in endpoints.values()
    )
    return {"endpoints": endpoints, "over_limit": stats["over_limit"], "within_limits": within}
