"""Assess a year: every commissioner's figures (a fixed number of queries), scores, proposed
grades across the cohort, the bureau's overrides and final grades."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean
from zoneinfo import ZoneInfo

from domain.clock import Clock
from domain.evidence import counts_as_disputed, counts_as_verified
from domain.policy import Policy
from domain.reports import periods
from domain.scoring import Graded, YearInputs, grade_cohort, score
from services.errors import Refusal
from storage.models import Agreement, Commissioner, GradeDecision
from storage.repositories import Repos


class AssessmentError(Refusal):
    """`reason` names a catalogue text."""


@dataclass(frozen=True)
class Assessment:
    year: int
    as_of: date
    graded: list[Graded]
    commissioners: dict[str, Commissioner]  # by code
    decisions: dict[str, GradeDecision]  # by code
    county_opinions: dict[str, str] = field(default_factory=dict)  # by code: the county's word (/opinion)


async def inputs_for_year(repos: Repos, policy: Policy, year: int, as_of: date) -> tuple[list[YearInputs], dict[str, Commissioner]]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    agreements = await repos.assessment.agreements_in(start, end)
    by_commissioner: dict[int, list[Agreement]] = defaultdict(list)
    for a in agreements:
        by_commissioner[a.commissioner_id].append(a)
    visits = defaultdict(list)
    for row in await repos.assessment.visit_rows(start, end):
        visits[row[0]].append(row)
    reports = {(c, cycle, period): late for c, cycle, period, late in await repos.assessment.reports()}
    surveys = defaultdict(list)
    for commissioner_id, answers in await repos.assessment.survey_answers(str(year)):
        surveys[commissioner_id] += list(answers.values())
    outcomes = await repos.assessment.outcome_counts(start, end)
    inputs, people = [], {}
    for commissioner_id, agreed in by_commissioner.items():
        commissioner = agreed[0].commissioner
        rows = visits[commissioner_id]
        # An open dispute, or doubt the enterprise has not confirmed, keeps a visit from counting as
        # verified; one a reviewer accepted is settled (domain.evidence).
        disputed = sum(1 for r in rows if counts_as_disputed(r[3], bool(r[5])))
        verified = sum(1 for r in rows if counts_as_verified(r[2], r[3], bool(r[5])))
        answered = sum(1 for r in rows if r[3] in ("confirmed", "disputed"))
        closed = answered + sum(1 for r in rows if r[3] == "unanswered")
        ratings = [r[4] for r in rows if r[4]]
        on_time = late = missing = 0
        for cycle in policy.report_cycles:
            for period in periods(cycle, year):
                covered = any(a.start_date <= period.end and a.end_date >= period.start for a in agreed)
                if not covered or period.due >= as_of:
                    continue
                state = reports.get((commissioner_id, cycle.key, period.key))
                if state is None:
                    missing += 1
                elif state:
                    late += 1
                else:
                    on_time += 1
        inputs.append(YearInputs(
            code=commissioner.code, name=commissioner.name, verified_services=verified, all_services=len(rows),
            disputed=disputed, enterprises_served=len({r[1] for r in rows}),
            enterprises_agreed=len({a.enterprise_id for a in agreed}), reports_on_time=on_time, reports_late=late,
            reports_missing=missing, prompts_answered=answered, prompts_closed=closed,
            outcomes=outcomes.get(commissioner_id, 0), mean_rating=round(fmean(ratings), 2) if ratings else None,
            survey_mean=round(fmean(surveys[commissioner_id]), 2) if surveys[commissioner_id] else None))
        people[commissioner.code] = commissioner
    return inputs, people


async def assess(repos: Repos, policy: Policy, year: int, as_of: date) -> Assessment:
    inputs, people = await inputs_for_year(repos, policy, year, as_of)
    by_id = await repos.assessment.decisions(year)
    decisions = {code: by_id[c.id] for code, c in people.items() if c.id in by_id}
    graded = grade_cohort(policy, [score(policy, x) for x in inputs], {k: d.grade for k, d in decisions.items()})
    opinions = await repos.assessment.county_opinions(year)
    county_opinions = {code: opinions[c.id] for code, c in people.items() if c.id in opinions}
    return Assessment(year, as_of, graded, people, decisions, county_opinions)


async def decide(repos: Repos, clock: Clock, policy: Policy, *, year: int, code: str, grade: str, reason: str,
                 actor: str, final: bool = False, zone: ZoneInfo | None = None) -> GradeDecision:
    """The bureau overrides a proposed grade (with a reason), or makes one final. Audited. A final
    grade the policy names as failing (Yangquan 第十六条（一）) disqualifies the commissioner."""
    if grade not in {g.key for g in policy.grades}:
        raise AssessmentError("unknown_grade")
    if not reason.strip():
        raise AssessmentError("reason_needed")
    commissioner = await repos.people.by_code(Commissioner, code)
    if commissioner is None:
        raise AssessmentError("unknown_commissioner")
    row = await repos.assessment.decision(year, commissioner.id)
    if row is not None and row.final:
        raise AssessmentError("locked")
    old = row.grade if row else None
    if row is None:
        row = GradeDecision(year=year, commissioner_id=commissioner.id, grade=grade, reason=reason.strip(),
                            decided_by=actor, decided_at=clock.now(), final=final)
        repos.assessment.add(row)
    else:
        row.grade, row.reason, row.decided_by, row.decided_at, row.final = grade, reason.strip(), actor, clock.now(), final
    repos.audit.record(clock.now(), actor, "grade.final" if final else "grade.override", "commissioner",
                       commissioner.id, year=year, old=old, new=grade, reason=reason.strip())
    rules = policy.disqualification
    if final and rules.fail_grade is not None and grade == rules.fail_grade and commissioner.status != "disqualified":
        from services.disqualification import disqualify  # its notices import aiogram: only when needed

        await disqualify(repos, clock, policy, zone or ZoneInfo(policy.timezone), code=code,
                         reason_key=rules.fail_reason, note=reason.strip(), actor=actor)
    return row
