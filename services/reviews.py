"""The expert review (Jincheng 第二十条: 通过专家评审的方式进行考核评定): the bureau enters each
reviewer's sheet, points per criterion of the policy's [review] and a conclusion, and the dossier's
review sheet prints them. A reviewer's sheet entered again replaces the earlier one. Audited."""
from __future__ import annotations

from dataclasses import dataclass

from domain.clock import Clock
from domain.policy import Policy
from services.errors import Refusal
from storage.models import Commissioner, ExpertReview
from storage.repositories import Repos

MAX_REVIEWER_CHARS = 80


class ReviewError(Refusal):
    """`reason` names a catalogue text, review.error_<reason>."""


@dataclass(frozen=True)
class ReviewInput:
    year: int
    code: str  # the commissioner's
    reviewer: str
    scores: tuple[float, ...]  # in the order of the policy's criteria
    conclusion: str  # a grade key, or its name in either language


def grade_key(policy: Policy, word: str) -> str | None:
    return next((g.key for g in policy.grades if word in (g.key, g.zh, g.en, g.en.lower())), None)


def check(policy: Policy, entry: ReviewInput) -> str:
    """The problem with a sheet before looking anything up, or "" (pure)."""
    if policy.review is None:
        return "no_review"
    if not entry.reviewer.strip() or len(entry.reviewer) > MAX_REVIEWER_CHARS:
        return "reviewer_needed"
    if len(entry.scores) != len(policy.review.criteria):
        return "score_count"
    if any(not 0 <= s <= c.points for s, c in zip(entry.scores, policy.review.criteria)):
        return "score_range"
    if grade_key(policy, entry.conclusion) is None:
        return "unknown_grade"
    return ""


async def record(repos: Repos, clock: Clock, policy: Policy, entry: ReviewInput, *, actor: str) -> ExpertReview:
    problem = check(policy, entry)
    if problem:
        raise ReviewError(problem)
    commissioner = await repos.people.by_code(Commissioner, entry.code)
    if commissioner is None:
        raise ReviewError("unknown_commissioner")
    scores = {c.key: s for c, s in zip(policy.review.criteria, entry.scores)}
    conclusion = grade_key(policy, entry.conclusion)
    row = next((r for r in await repos.assessment.reviews(entry.year, commissioner.id)
                if r.reviewer == entry.reviewer.strip()), None)
    if row is None:
        row = ExpertReview(year=entry.year, commissioner_id=commissioner.id, reviewer=entry.reviewer.strip(),
                           scores=scores, conclusion=conclusion, written_by=actor, written_at=clock.now())
        repos.assessment.add(row)
    else:
        row.scores, row.conclusion, row.written_by, row.written_at = scores, conclusion, actor, clock.now()
    repos.audit.record(clock.now(), actor, "review", "commissioner", commissioner.id, year=entry.year,
                       reviewer=row.reviewer, scores=scores, conclusion=conclusion)
    return row


def total(review: ExpertReview) -> float:
    return sum(review.scores.values())
