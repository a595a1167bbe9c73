"""Change requests and disqualification as pure rules."""
from __future__ import annotations

from datetime import date

import pytest

from domain.changes import (
    CHANGE_KINDS,
    barred_until,
    ended_on,
    ends_agreement,
    request_problem,
    requester_party,
)

REASON = "企业转产，原服务内容已不需要"


def test_kinds() -> None:
    assert CHANGE_KINDS == ("end_early", "switch", "change_targets")
    assert all(len(k) <= 16 for k in CHANGE_KINDS)  # change_requests.kind is VARCHAR(16)
    assert ends_agreement("end_early") and ends_agreement("switch")
    assert not ends_agreement("change_targets")


@pytest.mark.parametrize(("kind", "reason", "detail", "problem"), [
    ("end_early", REASON, "", None),
    ("switch", REASON, "", None),
    ("change_targets", REASON, "新增两项工艺改进", None),
    ("change_targets", REASON, "   ", "targets_needed"),
    ("end_early", "太忙了", "", "reason_short"),
    ("end_early", "  一二三四五六七八九  ", "", "reason_short"),  # nine characters once trimmed
    ("end_early", "一二三四五六七八九十", "", None),
    ("rename", REASON, "", "kind"),
])
def test_request_problem(kind: str, reason: str, detail: str, problem: str | None) -> None:
    assert request_problem(kind, reason, detail) == problem


def test_requester_party() -> None:
    assert requester_party(1, 5, commissioner_ids={1}, enterprise_ids=set()) == "commissioner"
    assert requester_party(1, 5, commissioner_ids=set(), enterprise_ids={5}) == "enterprise"
    assert requester_party(1, 5, commissioner_ids={2}, enterprise_ids={6}) is None


def test_ended_on_comes_forward_never_later_never_before_start() -> None:
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert ended_on(start, end, date(2026, 3, 16)) == date(2026, 3, 16)
    assert ended_on(start, end, date(2027, 2, 1)) == end
    assert ended_on(date(2026, 4, 1), date(2027, 3, 31), date(2026, 3, 16)) == date(2026, 4, 1)


@pytest.mark.parametrize(("decided", "years", "until"), [
    (date(2026, 3, 16), 1, date(2027, 12, 31)),  # Yangquan: not selected the next year
    (date(2026, 12, 31), 1, date(2027, 12, 31)),
    (date(2026, 1, 1), 3, date(2029, 12, 31)),  # Jincheng: three years
    (date(2026, 5, 5), 0, date(2026, 12, 31)),
])
def test_barred_until(decided: date, years: int, until: date) -> None:
    assert barred_until(decided, years) == until
