"""Pure rules of two-way selection: notice period in working days, signers, terms, renewal."""
from __future__ import annotations

from datetime import date

from domain.policy import load_policy
from domain.selection import (
    Party,
    agreement_term,
    can_confirm,
    publicity_over,
    publicity_period,
    renewal_open,
    signers,
)
from domain.workdays import WorkCalendar


def test_working_days_skip_weekends_and_holidays() -> None:
    calendar = WorkCalendar()
    friday = date(2026, 11, 20)
    assert calendar.add(friday, 1) == date(2026, 11, 23)  # Monday
    assert calendar.add(friday, 5) == date(2026, 11, 27)
    assert WorkCalendar(holidays=frozenset({date(2026, 11, 23)})).add(friday, 1) == date(2026, 11, 24)


def test_working_days_follow_the_national_holidays_and_make_up_days() -> None:
    calendar = load_policy("yangquan").selection.work_calendar()
    assert not calendar.is_working_day(date(2026, 10, 1))  # 国庆, a Thursday
    assert calendar.is_working_day(date(2026, 10, 10))  # the 调休 Saturday after 国庆
    assert calendar.is_working_day(date(2026, 2, 28))  # a 调休 Saturday after 春节
    assert not calendar.is_working_day(date(2026, 2, 17))  # 春节, a Tuesday
    # Confirmed the day before 国庆: the notice starts after the holiday and counts the Saturday.
    assert publicity_period(date(2026, 9, 30), 5, calendar) == (date(2026, 10, 8), date(2026, 10, 13))


def test_the_policy_overrides_the_national_calendar() -> None:
    calendar = WorkCalendar(holidays=frozenset({date(2026, 10, 8)}), workdays=frozenset({date(2027, 2, 20)}))
    assert publicity_period(date(2026, 9, 30), 1, calendar) == (date(2026, 10, 9), date(2026, 10, 9))
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday the policy names for a year not yet known
    assert not calendar.is_working_day(date(2027, 2, 21))
    assert calendar.is_working_day(date(2027, 3, 1))  # past the schedule's years: Monday to Friday


def test_notice_period_from_the_policy() -> None:
    yangquan, jincheng = load_policy("yangquan"), load_policy("jincheng")
    confirmed = date(2026, 11, 20)  # a Friday
    assert publicity_period(confirmed, yangquan.selection.notice_working_days) == (date(2026, 11, 23), date(2026, 11, 27))
    assert publicity_period(confirmed, jincheng.selection.notice_working_days) is None  # no 公示 in Jincheng
    assert not publicity_over(date(2026, 11, 27), date(2026, 11, 27))
    assert publicity_over(date(2026, 11, 28), date(2026, 11, 27))
    assert publicity_over(date(2026, 11, 20), None)


def test_confirmation_needs_both_sides() -> None:
    assert can_confirm(True, True)
    assert not can_confirm(True, False) and not can_confirm(False, True)


def test_signers_follow_the_policy() -> None:
    assert signers(load_policy("yangquan").selection.unit_signs) == (Party.COMMISSIONER, Party.ENTERPRISE, Party.UNIT)
    assert signers(load_policy("jincheng").selection.unit_signs) == (Party.COMMISSIONER, Party.ENTERPRISE)


def test_one_year_term_and_renewal_window() -> None:
    assert agreement_term(date(2026, 3, 1), 12) == (date(2026, 3, 1), date(2027, 2, 28))
    end = date(2026, 12, 31)
    assert not renewal_open(date(2026, 11, 30), end, 30)
    assert renewal_open(date(2026, 12, 1), end, 30)
    assert not renewal_open(date(2027, 1, 1), end, 30)


def test_objections_need_a_sentence_and_the_notice_period() -> None:
    from domain.selection import may_object, objection_problem

    assert objection_problem("不同意") == "reason_short"
    assert objection_problem("该特派员与企业存在利益关系，不宜派驻。") is None
    end = date(2026, 3, 6)
    assert may_object("notice", date(2026, 3, 6), end)
    assert may_object("held", date(2026, 3, 2), end)
    assert not may_object("notice", date(2026, 3, 7), end)
    assert not may_object("signing", date(2026, 3, 2), end)
    assert not may_object("notice", date(2026, 3, 2), None)


def test_missing_signatures_and_renewal_term() -> None:
    from domain.selection import Party, missing_signatures, renewal_term, signers

    three = signers(True)
    assert missing_signatures(three, {Party.COMMISSIONER: True}) == (Party.ENTERPRISE, Party.UNIT)
    assert missing_signatures(signers(False), {Party.COMMISSIONER: True, Party.ENTERPRISE: True}) == ()
    assert renewal_term(date(2027, 2, 28), 12) == (date(2027, 3, 1), date(2028, 2, 29))


def test_every_selection_state_and_refusal_has_a_text() -> None:
    """Keys the selection code builds from values (f-strings): each value has a text in both languages."""
    import re
    from pathlib import Path

    from domain.selection import PairingStatus, Party
    from locales import LANGUAGES, catalogue

    root = Path(__file__).resolve().parent.parent
    source = "".join(p.read_text("utf-8") for p in sorted((root / "services" / "selection").glob("*.py")))
    reasons = set(re.findall(r'SelectionError\("(\w+)"', source))
    reasons |= {"already_confirmed", "was_rejected", "already_agreed", "not_signing", "reason_short"}
    wanted = [f"selection.error_{r}" for r in reasons]
    wanted += [f"selection.status_{s.value}" for s in PairingStatus]
    wanted += [f"selection.party_{p.value}" for p in Party]
    wanted += [f"selection.notice_objection_{d}" for d in ("upheld", "dismissed")]
    wanted += [f"selection.objection_{d}_done" for d in ("upheld", "dismissed")]
    wanted += [f"selection.notice_renewal_{a}" for a in ("renewed", "declined")]
    wanted += [f"selection.button_interest_{s}" for s in ("c", "e")]
    for lang in LANGUAGES:
        texts = catalogue(lang)
        assert [key for key in wanted if key not in texts] == [], lang
