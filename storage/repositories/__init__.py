"""Repositories: the only place that speaks SQLAlchemy to the tables. Services use `Repos`."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.assessment import AssessmentRepo
from storage.repositories.audit import AuditRepo
from storage.repositories.changes import ChangeRepo
from storage.repositories.console import ConsoleRepo
from storage.repositories.feedback import FeedbackRepo
from storage.repositories.invites import InviteRepo
from storage.repositories.lease import LeaseRepo
from storage.repositories.people import PeopleRepo
from storage.repositories.reports import ReportRepo
from storage.repositories.selection import SelectionRepo
from storage.repositories.updates import UpdateRepo
from storage.repositories.users import UserRepo
from storage.repositories.visits import VisitRepo
from storage.repositories.web import WebRepo


class Repos:
    """All repositories over one session (one unit of work)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepo(session)
        self.people = PeopleRepo(session)
        self.invites = InviteRepo(session)
        self.audit = AuditRepo(session)
        self.updates = UpdateRepo(session)
        self.visits = VisitRepo(session)
        self.feedback = FeedbackRepo(session)
        self.reports = ReportRepo(session)
        self.assessment = AssessmentRepo(session)
        self.selection = SelectionRepo(session)
        self.changes = ChangeRepo(session)
        self.lease = LeaseRepo(session)
        self.web = WebRepo(session)
        self.console = ConsoleRepo(session)

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


__all__ = ["Repos", "AssessmentRepo", "AuditRepo", "ChangeRepo", "ConsoleRepo", "FeedbackRepo", "InviteRepo", "LeaseRepo",
           "PeopleRepo", "ReportRepo", "SelectionRepo", "UpdateRepo", "UserRepo", "VisitRepo", "WebRepo"]
