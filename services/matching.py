"""Candidate commissioners for a need, from what is stored: expertise profile (fields and
keywords), county, capacity and current load. Applicants count; the disqualified and the barred
do not (Yangquan 第十六条, Jincheng 第二十一条)."""
from __future__ import annotations

from collections import Counter
from datetime import date

from domain.matching import Candidate, Match, rank
from domain.policy import Policy
from storage.models import Commissioner
from storage.repositories import Repos


def profile_text(c: Commissioner) -> str:
    return "、".join(part for part in (c.expertise, c.keywords) if part)


async def candidates(repos: Repos, policy: Policy, today: date) -> list[Candidate]:
    load = Counter(a.commissioner_id for a in await repos.feedback.active_agreements(today))
    return [Candidate(c.code, c.name, profile_text(c), c.county, load[c.id],
                      c.capacity or policy.selection.default_capacity, applicant=c.status == "applicant", id=c.id)
            for c in await repos.selection.candidates()
            if c.barred_until is None or c.barred_until < today]


async def match_need(repos: Repos, policy: Policy, today: date, text: str, county: str | None,
                     limit: int = 10) -> list[Match]:
    return rank(text, county, await candidates(repos, policy, today), limit)
