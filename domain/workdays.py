"""Working days in China: the State Council's yearly holiday schedule (法定节假日 and the make-up
working days, 调休) from the maintained `chinesecalendar` package, with the policy's own lists on
top. For a year the package does not know yet, Monday to Friday plus the policy's lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()  # the policy's extra days off (a local holiday)
    workdays: frozenset[date] = frozenset()  # the policy's extra working days (调休 of a year not yet known)
    national: bool = True  # follow the national holiday schedule where the package covers the year

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.national and covers(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself does not count)."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day


def covers(year: int) -> bool:
    """Whether the installed package knows that year's holiday schedule (published each December)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True
