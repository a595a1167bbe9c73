"""Scoring a commissioner's year and proposing grades across the cohort. Pure.

Four components, each 0–100 and shown with its inputs (Yangquan 第十七条):
  duty          履职尽责    reports on time (late counts half) and the enterprises' response rate
  effect        技术服务成效  verified services against the reference, enterprises covered
  transfer      创新成果转化  outcomes logged against the reference
  satisfaction  服务对象满意度 mean visit rating and survey scores
Hard failures give the lowest grade whatever the score: below the policy's yearly minimum, too
many missing reports, too large a share of disputed visits. The top grade needs the policy's top
score and is capped by rank (优秀 ≤ 20% in Yangquan 第十八条) with a stated tie-break.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from domain.policy import Policy


@dataclass(frozen=True)
class YearInputs:
    code: str
    name: str
    verified_services: int  # live visits not disputed (verified or noted or flagged but confirmed)
    all_services: int
    disputed: int
    enterprises_served: int
    enterprises_agreed: int
    reports_on_time: int
    reports_late: int
    reports_missing: int
    prompts_answered: int
    prompts_closed: int  # answered + unanswered
    outcomes: int
    mean_rating: float | None  # 1–5
    survey_mean: float | None  # 1–5


@dataclass(frozen=True)
class Component:
    key: str
    score: float  # 0–100
    inputs: dict[str, object]


@dataclass(frozen=True)
class Scored:
    inputs: YearInputs
    components: tuple[Component, ...]
    total: float
    failures: tuple[str, ...]  # hard failures, by key: below_minimum, missing_reports, disputed_share


@dataclass(frozen=True)
class Graded:
    scored: Scored
    grade: str  # policy grade key
    reason: str  # top, capped, pass, below_pass, hard_failure
    rank: int  # 1 = best, by the tie-break order


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def score(policy: Policy, x: YearInputs) -> Scored:
    rules = policy.assessment
    reports_due = x.reports_on_time + x.reports_late + x.reports_missing
    report_part = _ratio(x.reports_on_time + 0.5 * x.reports_late, reports_due) if reports_due else 1.0
    response = _ratio(x.prompts_answered, x.prompts_closed) if x.prompts_closed else 1.0
    duty = 100 * (0.7 * report_part + 0.3 * response)
    reference = policy.min_services_per_year or rules.reference_services
    effect = 100 * (0.7 * min(_ratio(x.verified_services, reference), 1.0)
                    + 0.3 * min(_ratio(x.enterprises_served, max(x.enterprises_agreed, policy.min_enterprises)), 1.0))
    transfer = 100 * min(_ratio(x.outcomes, rules.reference_outcomes), 1.0)
    # No answers yet is neither praise nor blame: the middle of the scale.
    rating = x.mean_rating if x.mean_rating is not None else 3.0
    survey = x.survey_mean if x.survey_mean is not None else rating
    satisfaction = 100 * (0.6 * (rating - 1) / 4 + 0.4 * (survey - 1) / 4)
    components = (
        Component("duty", round(duty, 1), {"reports_on_time": x.reports_on_time, "reports_late": x.reports_late,
                                           "reports_missing": x.reports_missing, "response_rate": round(response, 3)}),
        Component("effect", round(effect, 1), {"verified_services": x.verified_services, "reference": reference,
                                               "enterprises_served": x.enterprises_served,
                                               "enterprises_agreed": x.enterprises_agreed}),
        Component("transfer", round(transfer, 1), {"outcomes": x.outcomes, "reference": rules.reference_outcomes}),
        Component("satisfaction", round(satisfaction, 1), {"mean_rating": x.mean_rating, "survey_mean": x.survey_mean}),
    )
    total = round(sum(rules.weights[c.key] * c.score for c in components), 1)
    failures = []
    if rules.fail_below_minimum and policy.min_services_per_year and x.verified_services < policy.min_services_per_year:
        failures.append("below_minimum")
    if x.reports_missing > rules.max_missing_reports:
        failures.append("missing_reports")
    if x.all_services and _ratio(x.disputed, x.all_services) > rules.max_disputed_share:
        failures.append("disputed_share")
    return Scored(x, components, total, tuple(failures))


def tie_break_key(s: Scored) -> tuple:
    """Higher total, then more verified services, then fewer disputes, then the code (A→Z)."""
    return (-s.total, -s.inputs.verified_services, s.inputs.disputed, s.inputs.code)


def top_grade_places(policy: Policy, cohort_size: int) -> int:
    """How many may get the top grade: floor(cap × n), computed exactly (0.29 × 100 is 29, not
    28.999…); everyone when the policy sets no cap."""
    if policy.top_grade_cap is None:
        return cohort_size
    from fractions import Fraction

    return math.floor(Fraction(str(policy.top_grade_cap)) * cohort_size)


def grade_cohort(policy: Policy, cohort: list[Scored], overrides: dict[str, str] | None = None) -> list[Graded]:
    """Proposed grades for everyone assessed together; `overrides` (code → grade key) are kept
    and count against the cap."""
    rules = policy.assessment
    top, middle, lowest = policy.grades[0].key, policy.grades[1].key, policy.grades[-1].key
    overrides = overrides or {}
    ranked = sorted(cohort, key=tie_break_key)
    cap = top_grade_places(policy, len(cohort))
    top_left = cap - sum(1 for g in overrides.values() if g == top)
    out: list[Graded] = []
    for rank, s in enumerate(ranked, start=1):
        code = s.inputs.code
        if code in overrides:
            out.append(Graded(s, overrides[code], "override", rank))
        elif s.failures:
            out.append(Graded(s, lowest, "hard_failure", rank))
        elif s.total >= rules.top_score and top_left > 0:
            top_left -= 1
            out.append(Graded(s, top, "top", rank))
        elif s.total >= rules.top_score:
            out.append(Graded(s, middle, "capped", rank))
        elif s.total >= rules.pass_score:
            out.append(Graded(s, middle, "pass", rank))
        else:
            out.append(Graded(s, lowest, "below_pass", rank))
    return out
