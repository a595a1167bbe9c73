"""Reporting periods from the policy's cycles: windows, deadlines and reminder days. Pure.

Yangquan 第十七条: quarterly progress to the county. Jincheng 第十九条: a half-year 工作小结 and a
year-end 工作总结 for the dispatching unit. A window opens a few days before its period ends
and the report is due some days after.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.policy import ReportCycle


class Reminder(StrEnum):
    OPEN = "open"
    MIDPOINT = "midpoint"
    DAY_BEFORE = "day_before"


@dataclass(frozen=True)
class Period:
    cycle: str
    key: str  # "2026-Q1", "2026-H1", "2026"
    start: date
    end: date
    opens: date
    due: date

    def reminder_on(self, today: date) -> Reminder | None:
        for reminder, day in self.reminder_days().items():
            if day == today:
                return reminder
        return None

    def reminder_days(self) -> dict[Reminder, date]:
        middle = self.opens + (self.due - self.opens) / 2
        return {Reminder.OPEN: self.opens, Reminder.MIDPOINT: middle, Reminder.DAY_BEFORE: self.due - timedelta(days=1)}

    def is_open(self, today: date) -> bool:
        return self.opens <= today <= self.due

    def is_overdue(self, today: date) -> bool:
        return today > self.due


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def periods(cycle: ReportCycle, year: int) -> list[Period]:
    out = []
    for index, first_month in enumerate(range(1, 13, cycle.months), start=1):
        if cycle.only and index not in cycle.only:
            continue  # e.g. Jincheng's second half-year is covered by the year-end summary
        start = date(year, first_month, 1)
        end = _month_end(year, first_month + cycle.months - 1)
        if cycle.months == 12:
            key = str(year)
        elif cycle.months == 6:
            key = f"{year}-H{index}"
        elif cycle.months == 3:
            key = f"{year}-Q{index}"
        else:
            key = f"{year}-P{index}"
        out.append(Period(cycle.key, key, start, end, end - timedelta(days=cycle.opens_days_before_end),
                          end + timedelta(days=cycle.due_days)))
    return out


def relevant_periods(cycle: ReportCycle, today: date) -> list[Period]:
    """Periods whose window has opened by today, this year's and last year's (year-end reports
    are due in January)."""
    return [p for year in (today.year - 1, today.year) for p in periods(cycle, year) if p.opens <= today]
