"""A visit being told: its steps, and the rules for its date and description. Pure."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class DateCheck(StrEnum):
    TODAY = "today"
    LATE = "late"  # earlier, within the policy's limit: allowed, marked late
    TOO_OLD = "too_old"
    FUTURE = "future"


class Mode(StrEnum):
    ON_SITE = "on_site"
    ONLINE = "online"


def check_date(visit_date: date, today: date, max_backdate_days: int) -> DateCheck:
    if visit_date > today:
        return DateCheck.FUTURE
    if visit_date == today:
        return DateCheck.TODAY
    if today - visit_date > timedelta(days=max_backdate_days):
        return DateCheck.TOO_OLD
    return DateCheck.LATE


_FULL = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_SHORT = re.compile(r"^\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str, today: date) -> date | None:
    """'2026-03-14', '2026/3/14', '2026年3月14日', or without the year: '3-14', '3月14日'.

    A date without a year is in this year, unless that is more than half a year ahead: '12-30'
    typed on 2 January means the last days of the year before, while '3-20' typed on 16 March is
    a (refused) future date, not a day a year ago.
    """
    try:
        if m := _FULL.match(text):
            return date(*(int(g) for g in m.groups()))
        if m := _SHORT.match(text):
            month, day = int(m.group(1)), int(m.group(2))
            candidate = date(today.year, month, day)
            return candidate if (candidate - today).days <= 183 else date(today.year - 1, month, day)
    except ValueError:
        return None
    return None


MAX_SUMMARY = 3000  # characters: the text and the card's own lines fit one 4,096-character message


def summary_length(text: str) -> int:
    """Characters that carry meaning: whitespace does not count towards the minimum."""
    return len(re.sub(r"\s+", "", text))


def summary_problem(text: str, min_chars: int) -> str | None:
    """Why a visit's text may not be stored ("summary_short", "summary_long"); None when it may.
    The same rule for a new visit and an amended one."""
    if summary_length(text) < min_chars:
        return "summary_short"
    if len(text) > MAX_SUMMARY:
        return "summary_long"
    return None


class Step(StrEnum):
    ENTERPRISE = "enterprise"
    KIND = "kind"
    MODE = "mode"
    DATE = "date"
    SUMMARY = "summary"
    FILES = "files"
    LOCATION = "location"
    CONFIRM = "confirm"


AMEND_WINDOW = timedelta(hours=24)


@dataclass
class VisitDraft:
    """A visit being told, as kept in the conversation state (JSON) between messages."""

    key: str
    agreement_id: int | None = None
    enterprise_id: int | None = None
    enterprise_name: str | None = None
    kind: str | None = None
    mode: str | None = None
    visit_date: str | None = None  # ISO date
    summary: str | None = None
    files: list[dict] = field(default_factory=list)  # {id, uid, kind, source, forwarded}
    files_done: bool = False
    location: dict | None = None  # {lat, lon, accuracy, live}
    location_skipped: bool = False
    card_message_id: int | None = None
    files_message_id: int | None = None  # the one message that counts uploads, edited in place

    @classmethod
    def from_dict(cls, data: dict) -> "VisitDraft":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def date(self) -> date | None:
        return date.fromisoformat(self.visit_date) if self.visit_date else None

    @property
    def images(self) -> int:
        return sum(1 for f in self.files if f.get("kind") == "image")

    def files_enough(self) -> bool:
        """On site: at least one photo. Online: a screenshot or a file (Jincheng 第十一条)."""
        return self.images >= 1 if self.mode == Mode.ON_SITE else len(self.files) >= 1

    def next_step(self) -> Step:
        if self.agreement_id is None:
            return Step.ENTERPRISE
        if self.kind is None:
            return Step.KIND
        if self.mode is None:
            return Step.MODE
        if self.visit_date is None:
            return Step.DATE
        if self.summary is None:
            return Step.SUMMARY
        if not (self.files_done and self.files_enough()):
            return Step.FILES
        if self.mode == Mode.ON_SITE and self.location is None and not self.location_skipped:
            return Step.LOCATION
        return Step.CONFIRM

    def clear(self, step: Step) -> None:
        """Forget one answer so the conversation asks it again (editing from the summary card)."""
        if step is Step.ENTERPRISE:
            self.agreement_id = self.enterprise_id = self.enterprise_name = None
        elif step is Step.KIND:
            self.kind = None
        elif step is Step.MODE:
            self.mode = None
        elif step is Step.DATE:
            self.visit_date = None
        elif step is Step.SUMMARY:
            self.summary = None
        elif step is Step.FILES:
            self.files, self.files_done, self.files_message_id = [], False, None
        elif step is Step.LOCATION:
            self.location, self.location_skipped = None, False
