"""Beijing time: the zone 7moor stamps signatures and `updateTime` in.

The vendor's servers run on China time whatever the caller's machine uses, so the simulator
reads and writes these strings in Asia/Shanghai, never in the host's own zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
SIG_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
UPDATE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def sig_timestamp(now: float) -> str:
    """`yyyyMMddHHmmss` for `now` (Unix seconds), as the vendor expects in a signature."""
    return datetime.fromtimestamp(now, BEIJING).strftime(SIG_TIMESTAMP_FORMAT)


def parse_sig_timestamp(text: str) -> float | None:
    """Unix seconds of a `yyyyMMddHHmmss` Beijing timestamp; None when it is not one."""
    if len(text) != 14 or not text.isdigit():
        return None
    try:
        moment = datetime.strptime(text, SIG_TIMESTAMP_FORMAT).replace(tzinfo=BEIJING)
    except ValueError:
        return None
    return moment.timestamp()


def update_time(now: float) -> str:
    """`YYYY-MM-DD HH:MM:SS` for `now`, the format of a skill group's `updateTime`."""
    return datetime.fromtimestamp(now, BEIJING).strftime(UPDATE_TIME_FORMAT)
