"""Repositories: the only place that speaks SQLAlchemy to the tables. Services use `Repos`."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import commit, durable
from storage.repositories.assessment import AssessmentRepo
from storage.repositories.audit import AuditRepo
from storage.repositories.changes import ChangeRepo
from storage.repositories.console import ConsoleRepo
from storage.repositories.console_firms import ConsoleFirmRepo
from storage.repositories.console_lists import ConsoleListRepo
from storage.repositories.console_people import ConsolePeopleRepo
from storage.repositories.feedback import FeedbackRepo
from storage.repositories.invites import InviteRepo
from storage.repositories.lease import LeaseRepo
from storage.repositories.outbox import OutboxRepo
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
        self.lease = LeaseRepo(session)
        self.outbox = OutboxRepo(session)
        self.assessment = AssessmentRepo(session)
        self.selection = SelectionRepo(session)
        self.changes = ChangeRepo(session)
        self.web = WebRepo(session)
        self.console = ConsoleRepo(session)
        self.console_people = ConsolePeopleRepo(session)
        self.console_lists = ConsoleListRepo(session)
        self.console_firms = ConsoleFirmRepo(session)

    def durable(self) -> None:
        """This unit of work must survive power loss once committed (storage.db.durable)."""
        durable(self.session)

    async def commit(self) -> None:
        await commit(self.session)

    async def rollback(self) -> None:
        await self.session.rollback()


__all__ = ["Repos", "AssessmentRepo", "AuditRepo", "ChangeRepo", "ConsoleRepo", "ConsoleFirmRepo", "ConsoleListRepo", "ConsolePeopleRepo",
           "FeedbackRepo", "InviteRepo", "LeaseRepo", "OutboxRepo", "PeopleRepo", "ReportRepo", "SelectionRepo", "UpdateRepo",
           "UserRepo", "VisitRepo", "WebRepo"]
