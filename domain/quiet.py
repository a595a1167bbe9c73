"""Quiet hours: when a message may go out, in the policy's local time. Pure."""
from __future__ import annotations

from datetime import datetime, time, timedelta


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, start: time, end: time) -> bool:
    now = local.time()
    if start == end:
        return False
    if start < end:  # e.g. 12:00–14:00
        return start <= now < end
    return now >= start or now < end  # across midnight, e.g. 21:00–08:00


def next_allowed(local: datetime, start: time, end: time) -> datetime:
    """`local` itself if it is outside quiet hours, else the moment they end (same zone)."""
    if not in_quiet_hours(local, start, end):
        return local
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)
