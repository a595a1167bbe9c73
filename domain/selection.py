"""Two-way selection to a signed agreement, as pure rules (Yangquan 第十四条; Jincheng 第六–九条).

A pairing (a commissioner proposed for a need) moves:

    interest ─(bureau confirms)→ publicity ─(period over, no objection)→ signing ─(all sign)→ agreed
                     │                   └─(objection)→ held ─(dismissed)→ publicity / signing
                     │                                        └─(upheld)→ rejected
                     └─(no publicity period in the policy)→ signing

Either side's interest opens a pairing; the bureau may confirm once both sides are interested.
"""
from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from enum import StrEnum

from domain.workdays import WorkCalendar

URGENCIES = ("low", "normal", "high")
NEED_STATUSES = ("open", "matched", "closed")


class PairingStatus(StrEnum):
    INTEREST = "interest"
    PUBLICITY = "notice"  # 公示 (the stored value keeps its first name)
    HELD = "held"
    SIGNING = "signing"
    AGREED = "agreed"
    REJECTED = "rejected"


OPEN_PAIRING = (PairingStatus.INTEREST, PairingStatus.PUBLICITY, PairingStatus.HELD, PairingStatus.SIGNING)


class Party(StrEnum):
    COMMISSIONER = "commissioner"
    ENTERPRISE = "enterprise"
    UNIT = "unit"


def publicity_period(confirmed_on: date, working_days: int,
                  calendar: WorkCalendar = WorkCalendar()) -> tuple[date, date] | None:
    """Publicity runs from the next working day for `working_days` working days (国庆,
    春节 and the other public holidays do not count, a 调休 Saturday does); None when the policy
    has no publicity."""
    if working_days <= 0:
        return None
    return calendar.add(confirmed_on, 1), calendar.add(confirmed_on, working_days)


def publicity_over(today: date, notice_end: date | None) -> bool:
    return notice_end is None or today > notice_end


def can_confirm(commissioner_interest: bool, enterprise_interest: bool) -> bool:
    """双向选择: the bureau confirms only what both sides chose."""
    return commissioner_interest and enterprise_interest


def signers(unit_signs: bool) -> tuple[Party, ...]:
    return (Party.COMMISSIONER, Party.ENTERPRISE, Party.UNIT) if unit_signs else (Party.COMMISSIONER, Party.ENTERPRISE)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def agreement_term(start: date, months: int) -> tuple[date, date]:
    """One year by default: 1 March 2026 to 28 February 2027."""
    return start, add_months(start, months) - timedelta(days=1)


def renewal_open(today: date, end: date, renewal_days: int) -> bool:
    return end - timedelta(days=renewal_days) <= today <= end


OBJECTION_MIN_CHARS = 10  # an objection says what is wrong, in a sentence at least


def objection_problem(reason: str | None) -> str | None:
    """None when the objection can be filed; else the name of what is wrong with it."""
    return "reason_short" if len((reason or "").strip()) < OBJECTION_MIN_CHARS else None


def may_object(status: str, today: date, notice_end: date | None) -> bool:
    """Objections are taken while the pairing is in publicity (or already held by another objection)."""
    return status in (PairingStatus.PUBLICITY, PairingStatus.HELD) and notice_end is not None and today <= notice_end


def missing_signatures(required: tuple[Party, ...], signed: dict[Party, bool]) -> tuple[Party, ...]:
    return tuple(p for p in required if not signed.get(p, False))


def renewal_term(end: date, months: int) -> tuple[date, date]:
    """A renewed agreement runs on from the day after the old one ends."""
    return agreement_term(end + timedelta(days=1), months)
