"""Reporting periods, reminder days and quiet hours: pure domain rules, no database."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.policy import ReportCycle, load_policy
from domain.quiet import in_quiet_hours, next_allowed, parse_hhmm
from domain.reports import Period, Reminder, periods, relevant_periods

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = (time(21, 0), time(8, 0))


def cycle(policy: str, key: str) -> ReportCycle:
    return next(c for c in load_policy(policy).report_cycles if c.key == key)


QUARTERLY = cycle("yangquan", "quarterly")
HALF_YEAR = cycle("jincheng", "half_year")
YEAR_END = cycle("jincheng", "year_end")


def shape(p: Period) -> tuple[str, date, date, date, date]:
    return p.key, p.start, p.end, p.opens, p.due


# --- periods -----------------------------------------------------------------------------------

def test_presets_have_the_expected_cycles() -> None:
    assert [c.key for c in load_policy("yangquan").report_cycles] == ["quarterly"]
    assert [c.key for c in load_policy("jincheng").report_cycles] == ["half_year", "year_end"]
    assert (QUARTERLY.months, QUARTERLY.due_days, QUARTERLY.opens_days_before_end, QUARTERLY.recipient) \
        == (3, 10, 5, "county")
    assert (HALF_YEAR.only, YEAR_END.recipient, HALF_YEAR.recipient) == ((1,), "unit", "unit")


def test_yangquan_quarters() -> None:
    quarters = periods(QUARTERLY, 2026)
    assert [shape(p) for p in quarters] == [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 26), date(2026, 4, 10)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30), date(2026, 6, 25), date(2026, 7, 10)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), date(2026, 9, 25), date(2026, 10, 10)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 26), date(2027, 1, 10)),
    ]
    assert {p.cycle for p in quarters} == {"quarterly"}
    for p in quarters:  # the rule itself: opens 5 days before the end, due 10 days after
        assert (p.end - p.opens).days == 5 and (p.due - p.end).days == 10


def test_quarter_ends_in_a_leap_year() -> None:
    q1 = periods(QUARTERLY, 2028)[0]
    assert (q1.end, q1.opens, q1.due) == (date(2028, 3, 31), date(2028, 3, 26), date(2028, 4, 10))


def test_jincheng_half_year_only_the_first_half() -> None:
    assert [shape(p) for p in periods(HALF_YEAR, 2026)] == [
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), date(2026, 6, 25), date(2026, 7, 10)),
    ]


def test_jincheng_year_end_is_due_in_january() -> None:
    [year] = periods(YEAR_END, 2026)
    assert shape(year) == ("2026", date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 26), date(2027, 1, 15))
    assert year.cycle == "year_end"


def test_other_period_lengths_get_a_generic_key() -> None:
    two_monthly = ReportCycle(key="bimonthly", zh="双月", en="Bi-monthly", months=2, due_days=0, recipient="bureau")
    ps = periods(two_monthly, 2026)
    assert [p.key for p in ps] == [f"2026-P{i}" for i in range(1, 7)]
    assert (ps[0].end, ps[0].due) == (date(2026, 2, 28), date(2026, 2, 28))


# --- relevant_periods ---------------------------------------------------------------------------

def keys(ps: list[Period]) -> list[str]:
    return [p.key for p in ps]


def test_relevant_periods_are_those_opened_by_today() -> None:
    assert keys(relevant_periods(QUARTERLY, date(2026, 3, 25))) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert keys(relevant_periods(QUARTERLY, date(2026, 3, 26)))[-1] == "2026-Q1"  # opens that day
    assert keys(relevant_periods(QUARTERLY, date(2026, 7, 1)))[-2:] == ["2026-Q1", "2026-Q2"]
    assert "2026-Q3" not in keys(relevant_periods(QUARTERLY, date(2026, 9, 24)))
    assert keys(relevant_periods(QUARTERLY, date(2026, 12, 31)))[-4:] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def test_last_years_year_end_report_is_relevant_in_january() -> None:
    assert keys(relevant_periods(YEAR_END, date(2027, 1, 5))) == ["2026"]
    assert keys(relevant_periods(YEAR_END, date(2026, 12, 25))) == ["2025"]
    assert keys(relevant_periods(YEAR_END, date(2026, 12, 26))) == ["2025", "2026"]
    assert keys(relevant_periods(HALF_YEAR, date(2026, 6, 24))) == ["2025-H1"]
    assert keys(relevant_periods(HALF_YEAR, date(2026, 6, 25))) == ["2025-H1", "2026-H1"]
    # last year's fourth quarter is due on 10 January
    q4 = relevant_periods(QUARTERLY, date(2027, 1, 9))[-1]
    assert q4.key == "2026-Q4" and q4.is_open(date(2027, 1, 9))


# --- reminder days, open, overdue ----------------------------------------------------------------

def test_reminder_days_of_the_first_quarter() -> None:
    q1 = periods(QUARTERLY, 2026)[0]
    assert q1.reminder_days() == {Reminder.OPEN: date(2026, 3, 26), Reminder.MIDPOINT: date(2026, 4, 2),
                                  Reminder.DAY_BEFORE: date(2026, 4, 9)}
    assert q1.reminder_on(date(2026, 3, 26)) is Reminder.OPEN
    assert q1.reminder_on(date(2026, 4, 2)) is Reminder.MIDPOINT
    assert q1.reminder_on(date(2026, 4, 9)) is Reminder.DAY_BEFORE
    others = [date(2026, 3, 25), date(2026, 3, 27), date(2026, 4, 1), date(2026, 4, 3), date(2026, 4, 8),
              date(2026, 4, 10), date(2026, 4, 11), date(2026, 1, 1)]
    assert [q1.reminder_on(d) for d in others] == [None] * len(others)


def test_reminder_days_of_the_year_end_report() -> None:
    [year] = periods(YEAR_END, 2026)
    # 20 days from opening to the deadline: the midpoint is 10 days in
    assert year.reminder_days() == {Reminder.OPEN: date(2026, 12, 26), Reminder.MIDPOINT: date(2027, 1, 5),
                                    Reminder.DAY_BEFORE: date(2027, 1, 14)}


def test_is_open_and_is_overdue() -> None:
    q1 = periods(QUARTERLY, 2026)[0]
    assert [q1.is_open(d) for d in (date(2026, 3, 25), date(2026, 3, 26), date(2026, 4, 10), date(2026, 4, 11))] \
        == [False, True, True, False]
    assert [q1.is_overdue(d) for d in (date(2026, 3, 26), date(2026, 4, 10), date(2026, 4, 11), date(2027, 1, 1))] \
        == [False, False, True, True]


# --- quiet hours ----------------------------------------------------------------------------------

def at(hour: int, minute: int = 0, day: int = 16) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_parse_hhmm() -> None:
    assert parse_hhmm("21:00") == time(21, 0) and parse_hhmm("08:30") == time(8, 30)


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (20, 59, False), (21, 0, True), (23, 59, True), (0, 0, True), (3, 0, True), (7, 59, True), (8, 0, False),
    (12, 0, False),
])
def test_quiet_hours_across_midnight(hour: int, minute: int, quiet: bool) -> None:
    assert in_quiet_hours(at(hour, minute), *QUIET) is quiet


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (11, 59, False), (12, 0, True), (13, 59, True), (14, 0, False), (22, 0, False), (3, 0, False),
])
def test_quiet_hours_within_one_day(hour: int, minute: int, quiet: bool) -> None:
    assert in_quiet_hours(at(hour, minute), time(12, 0), time(14, 0)) is quiet


def test_equal_start_and_end_means_never_quiet() -> None:
    assert not in_quiet_hours(at(21), time(21, 0), time(21, 0))
    assert next_allowed(at(21), time(21, 0), time(21, 0)) == at(21)


def test_next_allowed() -> None:
    assert next_allowed(at(22, 30), *QUIET) == at(8, 0, day=17)
    assert next_allowed(at(21, 0), *QUIET) == at(8, 0, day=17)
    assert next_allowed(at(3, 0), *QUIET) == at(8, 0)
    assert next_allowed(at(7, 59), *QUIET) == at(8, 0)
    assert next_allowed(at(10, 0), *QUIET) == at(10, 0)
    assert next_allowed(at(20, 59), *QUIET) == at(20, 59)
    late = datetime(2026, 3, 16, 22, 30, 15, 123, tzinfo=SHANGHAI)  # seconds are dropped at the end of quiet
    assert next_allowed(late, *QUIET) == at(8, 0, day=17)
    assert next_allowed(at(12, 30), time(12, 0), time(14, 0)) == at(14, 0)
    # month end: the next morning is in the next month
    assert next_allowed(datetime(2026, 3, 31, 23, 0, tzinfo=SHANGHAI), *QUIET) == at(8, 0, day=1).replace(month=4)
    assert next_allowed(at(22, 30), *QUIET).tzinfo is SHANGHAI
