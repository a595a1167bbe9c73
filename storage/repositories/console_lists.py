"""The console's read-only lists: selection (needs, pairings, notices and objections) and who
still owes a report for a period; scoped to the admin's counties, each a bounded page."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agreement, Commissioner, Enterprise, Need, Objection, Pairing, Report

Counties = Collection[str] | None
LIST_LIMIT = 100


class ConsoleListRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _need_scope(self, counties: Counties):  # noqa: ANN202 - a SQL condition
        return Enterprise.county.in_(list(counties)) if counties is not None else True

    async def open_needs(self, counties: Counties) -> list[Need]:
        stmt = (select(Need).join(Enterprise, Enterprise.id == Need.enterprise_id)
                .where(Need.status == "open", self._need_scope(counties)).order_by(Need.id.desc()).limit(LIST_LIMIT))
        return list((await self.session.scalars(stmt)).unique().all())

    async def pairings(self, counties: Counties, statuses: Collection[str]) -> list[Pairing]:
        stmt = (select(Pairing).join(Need, Need.id == Pairing.need_id)
                .join(Enterprise, Enterprise.id == Need.enterprise_id)
                .where(Pairing.status.in_(list(statuses)), self._need_scope(counties))
                .order_by(Pairing.id).limit(LIST_LIMIT))
        return list((await self.session.scalars(stmt)).unique().all())

    async def objections(self, pairing_ids: Collection[int]) -> list[Objection]:
        if not pairing_ids:
            return []
        stmt = select(Objection).where(Objection.pairing_id.in_(list(pairing_ids))).order_by(Objection.id)
        return list((await self.session.scalars(stmt)).unique().all())

    async def missing_reports(self, counties: Counties, start: date, end: date, cycle: str,
                              period: str) -> list[Commissioner]:
        """Commissioners whose agreements cover the period and who have no report for it."""
        covered = select(Agreement.commissioner_id).where(Agreement.start_date <= end, Agreement.end_date >= start)
        sent = select(Report.commissioner_id).where(and_(Report.cycle == cycle, Report.period == period))
        stmt = select(Commissioner).where(Commissioner.id.in_(covered), Commissioner.id.not_in(sent))
        if counties is not None:
            stmt = stmt.where(Commissioner.county.in_(list(counties)))
        return list((await self.session.scalars(stmt.order_by(Commissioner.code).limit(LIST_LIMIT))).unique().all())
