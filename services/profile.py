"""What `/me` shows: each role with its record, agreements and this year's progress."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.feedback import FeedbackSummary
from domain.policy import Policy
from domain.progress import YearProgress
from domain.roles import Role
from services import feedback
from services.visits import progress_of
from storage.models import (
    Agreement,
    Commissioner,
    DispatchingUnit,
    Enterprise,
    RoleGrant,
)
from storage.repositories import Repos


@dataclass
class RoleView:
    grant: RoleGrant
    commissioner: Commissioner | None = None
    enterprise: Enterprise | None = None
    unit: DispatchingUnit | None = None
    agreements: list[Agreement] = field(default_factory=list)
    progress: YearProgress | None = None
    feedback: FeedbackSummary | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)  # (enterprise, comment), newest first


async def profile(repos: Repos, policy: Policy, grants: list[RoleGrant], today: date) -> list[RoleView]:
    views: list[RoleView] = []
    for grant in grants:
        view = RoleView(grant)
        if grant.role == Role.COMMISSIONER and grant.commissioner_id is not None:
            view.commissioner = await repos.people.get(Commissioner, grant.commissioner_id)
            view.agreements = await repos.people.agreements_of(commissioner_id=grant.commissioner_id)
            view.progress = await progress_of(repos, policy, grant.commissioner_id, today)
            view.feedback = await feedback.summary(repos, grant.commissioner_id, today.year)
            rows = await repos.feedback.of_commissioner(grant.commissioner_id, date(today.year, 1, 1), today)
            view.comments = [(r.visit.enterprise.name, r.comment) for r in reversed(rows) if r.comment][:3]
        elif grant.role == Role.ENTERPRISE and grant.enterprise_id is not None:
            view.enterprise = await repos.people.get(Enterprise, grant.enterprise_id)
            view.agreements = await repos.people.agreements_of(enterprise_id=grant.enterprise_id)
        elif grant.role == Role.UNIT and grant.unit_id is not None:
            view.unit = await repos.people.get(DispatchingUnit, grant.unit_id)
        views.append(view)
    return views
