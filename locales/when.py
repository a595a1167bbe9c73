"""Dates and times as people read them: "2026年10月15日 13:05" in Chinese, "15 Oct 2026 13:05" in
English; never ISO in a chat. The Translator applies these to every `date`/`datetime` value it
is given, so callers pass the values, not strings (aware datetimes converted to the reader's
zone first: the Translator does not know it)."""
from __future__ import annotations

from datetime import date, datetime

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(value: date, lang: str, *, year: bool = True) -> str:
    """`year=False` for short lists where the year is plain (a visit list, the date buttons)."""
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日" if year else f"{value.month}月{value.day}日"
    text = f"{value.day} {_MONTHS_EN[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def moment(value: datetime, lang: str, *, year: bool = True) -> str:
    return f"{day(value.date(), lang, year=year)} {value:%H:%M}"


def readable(value: object, lang: str) -> object:
    """A date or datetime made readable; anything else as it is."""
    if isinstance(value, datetime):
        return moment(value, lang)
    if isinstance(value, date):
        return day(value, lang)
    return value
