"""The console's commissioner list: filters and sorting in SQL, one page of ids at a time, then
the figures for just that page (a fixed number of statements, whatever the cohort's size)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agreement, Commissioner, DispatchingUnit, GradeDecision, Report, Visit, VisitFeedback

Counties = Collection[str] | None
SQL_SORTS = ("code", "progress", "flags", "rating", "reports", "decided")
SORTS = (*SQL_SORTS, "grade")  # grade: the proposed grade (services.console.commissioners)


@dataclass(frozen=True)
class CommissionerFilter:
    year: int
    today: date
    county: str | None = None
    unit: str | None = None  # the dispatching unit's code
    status: str | None = None  # applicant, active, disqualified
    in_year: bool = False  # with an agreement in the year
    in_force: bool = False  # with an agreement in force today
    ending_by: date | None = None  # with an agreement in force that ends by then
    behind: int | None = None  # fewer live visits this year than this (the pace's expectation)
    sort: str = "code"
    descending: bool = False


@dataclass(frozen=True)
class CommissionerRow:
    commissioner: Commissioner
    services: int
    flagged: int
    mean_rating: float | None
    reports: int
    grade: str | None  # the bureau's decision for the year, if any
    proposed: str | None = None  # the proposed grade, when the list is sorted by it


class ConsolePeopleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _year_visits(self, f: CommissionerFilter):  # noqa: ANN202 - a SQL condition
        return and_(Visit.commissioner_id == Commissioner.id, Visit.voided_at.is_(None),
                    Visit.visit_date >= date(f.year, 1, 1), Visit.visit_date <= date(f.year, 12, 31))

    def _metric(self, f: CommissionerFilter, name: str):  # noqa: ANN202 - a correlated scalar subquery
        if name == "progress":
            stmt = select(func.count(Visit.id)).where(self._year_visits(f))
        elif name == "flags":
            stmt = select(func.count(Visit.id)).where(self._year_visits(f), Visit.flagged)
        elif name == "rating":
            stmt = (select(func.avg(VisitFeedback.rating)).join(Visit, Visit.id == VisitFeedback.visit_id)
                    .where(self._year_visits(f)))
        elif name == "reports":
            stmt = select(func.count(Report.id)).where(Report.commissioner_id == Commissioner.id,
                                                       Report.period.like(f"{f.year}%"))
        else:
            stmt = select(GradeDecision.grade).where(GradeDecision.commissioner_id == Commissioner.id,
                                                     GradeDecision.year == f.year)
        return stmt.correlate(Commissioner).scalar_subquery()

    def _conditions(self, counties: Counties, f: CommissionerFilter) -> list:
        out: list = []
        if counties is not None:
            out.append(Commissioner.county.in_(list(counties)))
        if f.county:
            out.append(Commissioner.county == f.county)
        if f.unit:
            out.append(Commissioner.unit_id.in_(select(DispatchingUnit.id).where(DispatchingUnit.code == f.unit)))
        if f.status:
            out.append(Commissioner.status == f.status)
        mine = Agreement.commissioner_id == Commissioner.id
        if f.in_year:
            out.append(exists().where(mine, Agreement.start_date <= date(f.year, 12, 31),
                                      Agreement.end_date >= date(f.year, 1, 1)))
        in_force = [mine, Agreement.status == "active", Agreement.start_date <= f.today, Agreement.end_date >= f.today]
        if f.in_force or f.behind is not None:
            out.append(exists().where(*in_force))
        if f.ending_by is not None:
            out.append(exists().where(*in_force, Agreement.end_date <= f.ending_by))
        if f.behind is not None:
            out.append(self._metric(f, "progress") < f.behind)
        return out

    async def matching(self, counties: Counties, f: CommissionerFilter) -> list[tuple[int, str]]:
        """(id, code) of every commissioner the filter keeps: for an order SQL cannot give (the
        proposed grade, which ranks the whole cohort)."""
        return [tuple(r) for r in await self.session.execute(
            select(Commissioner.id, Commissioner.code).where(*self._conditions(counties, f)))]

    async def page(self, counties: Counties, f: CommissionerFilter, offset: int,
                   limit: int) -> tuple[list[CommissionerRow], int]:
        conditions = self._conditions(counties, f)
        key = f.sort if f.sort in SQL_SORTS else "code"
        order = Commissioner.code if key == "code" else self._metric(f, key)
        order = order.desc() if f.descending else order.asc()
        ids = list((await self.session.scalars(
            select(Commissioner.id).where(*conditions).order_by(order.nulls_last(), Commissioner.code)
            .offset(offset).limit(limit))).all())
        total = int(await self.session.scalar(select(func.count(Commissioner.id)).where(*conditions)) or 0)
        return await self.rows(ids, f.year), total

    async def rows(self, ids: list[int], year: int) -> list[CommissionerRow]:
        """The figures of these commissioners for the year, in the order given (four statements)."""
        if not ids:
            return []
        people = {c.id: c for c in await self.session.scalars(select(Commissioner).where(Commissioner.id.in_(ids)))}
        in_year = and_(Visit.commissioner_id.in_(ids), Visit.voided_at.is_(None),
                       Visit.visit_date >= date(year, 1, 1), Visit.visit_date <= date(year, 12, 31))
        visits = {cid: (n, flagged, rating) for cid, n, flagged, rating in await self.session.execute(
            select(Visit.commissioner_id, func.count(Visit.id),
                   func.count(Visit.id).filter(Visit.flagged), func.avg(VisitFeedback.rating))
            .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id).where(in_year)
            .group_by(Visit.commissioner_id))}
        reports = dict((await self.session.execute(
            select(Report.commissioner_id, func.count(Report.id))
            .where(Report.commissioner_id.in_(ids), Report.period.like(f"{year}%"))
            .group_by(Report.commissioner_id))).all())
        grades = dict((await self.session.execute(
            select(GradeDecision.commissioner_id, GradeDecision.grade)
            .where(GradeDecision.commissioner_id.in_(ids), GradeDecision.year == year))).all())
        out = []
        for cid in ids:
            n, flagged, rating = visits.get(cid, (0, 0, None))
            out.append(CommissionerRow(people[cid], int(n), int(flagged),
                                       round(float(rating), 2) if rating is not None else None,
                                       int(reports.get(cid, 0)), grades.get(cid)))
        return out
