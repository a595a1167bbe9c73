"""Outcomes of the service (Yangquan 第十条): logged by the commissioner with their evidence."""
from __future__ import annotations

from datetime import date

from domain.clock import Clock
from domain.policy import Policy
from services.errors import Refusal
from storage.models import Agreement, Outcome
from storage.repositories import Repos


class OutcomeError(Refusal):
    """`reason` names a catalogue text."""


async def log_outcome(repos: Repos, clock: Clock, policy: Policy, *, commissioner_id: int, agreement_id: int,
                      kind: str, title: str, achieved_on: date, today: date, user_id: int,
                      evidence_file_id: int | None) -> Outcome:
    if kind not in {k.key for k in policy.outcome_kinds}:
        raise OutcomeError("kind")
    agreement = await repos.people.get(Agreement, agreement_id)
    if agreement is None or agreement.commissioner_id != commissioner_id:
        raise OutcomeError("agreement")
    if achieved_on > today:
        raise OutcomeError("future")
    if not title.strip():
        raise OutcomeError("title")
    outcome = Outcome(commissioner_id=commissioner_id, enterprise_id=agreement.enterprise_id, kind=kind,
                      title=title.strip()[:500], achieved_on=achieved_on, evidence_file_id=evidence_file_id,
                      logged_at=clock.now(), author_user_id=user_id)
    repos.session.add(outcome)
    await repos.session.flush()
    repos.audit.record(clock.now(), f"user:{user_id}", "outcome.log", "outcome", outcome.id, kind=kind)
    return outcome
