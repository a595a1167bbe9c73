"""Slow down an account that keeps trying invite tokens (guessing is pointless, but noisy)."""
from __future__ import annotations

from datetime import datetime, timedelta

FREE_FAILURES = 3  # typos happen; the first few cost nothing
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)  # a quiet day resets the count


def locked_until(failures: int, last_failure_at: datetime | None) -> datetime | None:
    """When the next attempt is allowed, or None if it is allowed now regardless of time.

    After FREE_FAILURES failures each further failure doubles the wait, capped at MAX_DELAY.
    """
    if last_failure_at is None or failures < FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES, 16)  # 30 s · 2^16 is far past the cap already
    delay = min(BASE_DELAY * (2**doublings), MAX_DELAY)
    return last_failure_at + delay


def failures_after(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """The failure count to keep after one more failure at `now`."""
    if last_failure_at is not None and now - last_failure_at > FORGET_AFTER:
        failures = 0
    return failures + 1


def wait_seconds(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    until = locked_until(failures, last_failure_at)
    if until is None or now >= until:
        return 0
    return max(1, int((until - now).total_seconds() + 0.999))
