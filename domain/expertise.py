"""A commissioner's expertise profile as pure rules: the fields (专业领域) and keywords (擅长方向) that
matching reads, and the capacity (enterprises they can serve; None: the policy's default).

Texts are free: lists may be separated by "，、,;；" or spaces, as people write them. A text is kept
stripped with its runs of whitespace made one space; it needs 2 to 500 characters and at least two
that are not separators. A capacity is a whole number within `CAPACITY_RANGE` (an optional 家 or 个
after it is fine; full-width digits too).
"""
from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from domain.records import CAPACITY_RANGE


class ProfileField(StrEnum):
    EXPERTISE = "expertise"  # 专业领域
    KEYWORDS = "keywords"  # 擅长方向
    CAPACITY = "capacity"  # 可服务企业数


PROFILE_FIELDS: tuple[str, ...] = tuple(f.value for f in ProfileField)
TEXT_FIELDS = frozenset({ProfileField.EXPERTISE, ProfileField.KEYWORDS})
TEXT_MIN, TEXT_MAX = 2, 500
SEPARATORS = "，、,;；"
EDITABLE_STATUSES = frozenset({"applicant", "active"})  # a disqualified commissioner's profile stays as it is

_CAPACITY = re.compile(r"(\d+)\s*[家个]?")


def clean_text(text: str | None) -> str:
    """Stripped, every run of whitespace (newlines too) one space."""
    return " ".join((text or "").split())


def text_problem(text: str | None) -> str | None:
    """What is wrong with a fields or keywords text, as a short key; None when it may be kept."""
    cleaned = clean_text(text)
    meaningful = sum(1 for ch in cleaned if ch not in SEPARATORS and not ch.isspace())
    if len(cleaned) < TEXT_MIN or meaningful < TEXT_MIN:
        return "too_short"
    if len(cleaned) > TEXT_MAX:
        return "too_long"
    return None


def parse_capacity(text: str | None) -> int | None:
    """The whole number a capacity answer names, in range or not; None when it names none."""
    match = _CAPACITY.fullmatch(unicodedata.normalize("NFKC", text or "").strip())
    return int(match.group(1)) if match else None


def capacity_problem(text: str | None) -> str | None:
    number = parse_capacity(text)
    if number is None:
        return "not_number"
    low, high = CAPACITY_RANGE
    if not low <= number <= high:
        return "out_of_range"
    return None


def problem(field: str, text: str | None) -> str | None:
    """What is wrong with the answer for `field`: "field", "too_short", "too_long", "not_number",
    "out_of_range"; None when it may be saved."""
    if field not in PROFILE_FIELDS:
        return "field"
    if field == ProfileField.CAPACITY:
        return capacity_problem(text)
    return text_problem(text)


def value(field: str, text: str | None) -> str | int:
    """The value to store for an answer `problem` found nothing wrong with."""
    if problem(field, text) is not None:
        raise ValueError(f"{field}: {text!r}")
    if field == ProfileField.CAPACITY:
        return int(parse_capacity(text))  # type: ignore[arg-type] - checked above
    return clean_text(text)


def editable(status: str) -> bool:
    return status in EDITABLE_STATUSES
