"""Changes to a signed agreement and disqualification, as pure rules (Yangquan 第十一条、第十五条（二）、
第十六条; Jincheng 第二十一条).

A change request is written by one party of an active agreement (the commissioner, or a contact of
the enterprise) and decided by the bureau. Approval of `end_early` or `switch` (enterprise) ends the
agreement (a new one, with another enterprise, goes through selection again); approval of
`change_targets` replaces the agreement's task targets with the requested text.
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum


class ChangeKind(StrEnum):
    END_EARLY = "end_early"  # 提前终止
    # 更换服务对象. Stored as "switch": change_requests.kind is VARCHAR(16) (migration 0006).
    SWITCH_ENTERPRISE = "switch"
    CHANGE_TARGETS = "change_targets"  # 调整任务目标


CHANGE_KINDS: tuple[str, ...] = tuple(k.value for k in ChangeKind)
ENDING_KINDS = frozenset({ChangeKind.END_EARLY, ChangeKind.SWITCH_ENTERPRISE})
MIN_REASON = 10  # characters: a reason the bureau can decide on
TEXT_MAX = 2000


class ChangeStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def clean(text: str | None) -> str:
    return (text or "").strip()[:TEXT_MAX]


def request_problem(kind: str, reason: str, detail: str = "") -> str | None:
    """What is wrong with a change request, as a short key; None when it may be filed."""
    if kind not in CHANGE_KINDS:
        return "kind"
    if len(clean(reason)) < MIN_REASON:
        return "reason_short"
    if kind == ChangeKind.CHANGE_TARGETS and not clean(detail):
        return "targets_needed"
    return None


def requester_party(agreement_commissioner_id: int, agreement_enterprise_id: int, *,
                    commissioner_ids: set[int], enterprise_ids: set[int]) -> str | None:
    """Which party of the agreement a person speaks for: "commissioner", "enterprise", or None."""
    if agreement_commissioner_id in commissioner_ids:
        return "commissioner"
    if agreement_enterprise_id in enterprise_ids:
        return "enterprise"
    return None


def ends_agreement(kind: str) -> bool:
    return kind in ENDING_KINDS


def ended_on(start_date: date, end_date: date, today: date) -> date:
    """An agreement ended today: its end date comes forward to today, never goes later, and never
    before its start (an agreement ended before it began ends on its first day)."""
    return max(start_date, min(end_date, today))


def barred_until(decided_on: date, bar_years: int) -> date:
    """No new selection up to and including 31 December of `bar_years` years after the decision's
    year (Yangquan: the next year; Jincheng: three years)."""
    return date(decided_on.year + bar_years, 12, 31)
