"""The console's enterprise list: filters in SQL, one page of ids at a time, then the figures of
just that page (a fixed number of statements, whatever the number of enterprises or visits). An
enterprise is a county admin's when it is in their county."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agreement, Enterprise, Visit, VisitFeedback

Counties = Collection[str] | None


@dataclass(frozen=True)
class EnterpriseFilter:
    year: int
    county: str | None = None
    in_year: bool = False  # with an agreement in the year (the overview's count)


@dataclass(frozen=True)
class EnterpriseRow:
    enterprise: Enterprise
    agreements: int  # agreements touching the year
    services: int  # live visits in the year
    confirmed: int
    disputed: int
    pending: int  # prompts still waiting for the enterprise
    ratings: int
    mean_rating: float | None


class ConsoleFirmRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _conditions(self, counties: Counties, f: EnterpriseFilter) -> list:
        out: list = []
        if counties is not None:
            out.append(Enterprise.county.in_(list(counties)))
        if f.county:
            out.append(Enterprise.county == f.county)
        if f.in_year:
            out.append(exists().where(Agreement.enterprise_id == Enterprise.id,
                                      Agreement.start_date <= date(f.year, 12, 31),
                                      Agreement.end_date >= date(f.year, 1, 1)))
        return out

    async def page(self, counties: Counties, f: EnterpriseFilter, offset: int,
                   limit: int) -> tuple[list[EnterpriseRow], int]:
        conditions = self._conditions(counties, f)
        ids = list((await self.session.scalars(
            select(Enterprise.id).where(*conditions).order_by(Enterprise.code).offset(offset).limit(limit))).all())
        total = int(await self.session.scalar(select(func.count(Enterprise.id)).where(*conditions)) or 0)
        return await self.rows(ids, f.year), total

    async def in_scope(self, counties: Counties, code: str) -> Enterprise | None:
        stmt = select(Enterprise).where(Enterprise.code == code, *self._conditions(counties, EnterpriseFilter(0)))
        return await self.session.scalar(stmt)

    async def rows(self, ids: list[int], year: int) -> list[EnterpriseRow]:
        """The figures of these enterprises for the year, in the order given (three statements)."""
        if not ids:
            return []
        firms = {e.id: e for e in await self.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}
        start, end = date(year, 1, 1), date(year, 12, 31)
        agreed = dict((await self.session.execute(
            select(Agreement.enterprise_id, func.count(Agreement.id))
            .where(Agreement.enterprise_id.in_(ids), Agreement.start_date <= end, Agreement.end_date >= start)
            .group_by(Agreement.enterprise_id))).all())
        answer = VisitFeedback.status
        figures = {row[0]: row[1:] for row in await self.session.execute(
            select(Visit.enterprise_id, func.count(Visit.id), func.count(Visit.id).filter(answer == "confirmed"),
                   func.count(Visit.id).filter(answer == "disputed"), func.count(Visit.id).filter(answer == "pending"),
                   func.count(VisitFeedback.rating), func.avg(VisitFeedback.rating))
            .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id)
            .where(and_(Visit.enterprise_id.in_(ids), Visit.voided_at.is_(None), Visit.visit_date >= start,
                        Visit.visit_date <= end))
            .group_by(Visit.enterprise_id))}
        out = []
        for eid in ids:
            n, confirmed, disputed, pending, ratings, mean = figures.get(eid, (0, 0, 0, 0, 0, None))
            out.append(EnterpriseRow(firms[eid], int(agreed.get(eid, 0)), int(n), int(confirmed), int(disputed),
                                     int(pending), int(ratings), round(float(mean), 2) if mean is not None else None))
        return out
