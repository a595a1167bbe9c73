"""The web console's reads: figures as SQL aggregates and lists paginated in SQL, each scoped to
the admin's counties (None: every county). A fixed number of statements per page, whatever
the number of commissioners or visits."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, distinct, exists, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Agreement,
    AuditEntry,
    Commissioner,
    Enterprise,
    Report,
    Visit,
    VisitFeedback,
)

Counties = Collection[str] | None
VisitEnterprise = aliased(Enterprise, name="visit_enterprise")
VisitCommissioner = aliased(Commissioner, name="visit_commissioner")


@dataclass(frozen=True)
class VisitFilter:
    year: int | None = None
    month: int | None = None
    county: str | None = None  # the enterprise's county
    status: str | None = None  # evidence status: verified, noted, flagged
    answer: str | None = None  # the enterprise's answer: pending, confirmed, disputed, unanswered
    commissioner_id: int | None = None
    commissioner_code: str | None = None
    # The review queue (neither voided nor accepted): "all" flagged or disputed, "flagged" (not
    # disputed) or "disputed"; None: not the queue.
    review: str | None = None
    live: bool = True  # voided visits left out


def _overlaps(start: date, end: date):  # noqa: ANN202 - a SQL condition
    return and_(Agreement.start_date <= end, Agreement.end_date >= start)


def _commissioner_scope(counties: Counties):  # noqa: ANN202
    return Commissioner.county.in_(list(counties)) if counties is not None else True


def visit_scope(counties: Counties):  # noqa: ANN202
    """A visit is an admin's when its enterprise or its commissioner is in their counties."""
    if counties is None:
        return True
    return or_(VisitEnterprise.county.in_(list(counties)), VisitCommissioner.county.in_(list(counties)))


def _scoped_visits(stmt: Select, counties: Counties, *, lean: bool = False) -> Select:
    """Visits joined to their enterprise and commissioner (aliased) and kept to the scope. `lean`:
    for a count that names neither, the bureau's (every county) joins nothing."""
    if lean and counties is None:
        return stmt
    return (stmt.join(VisitEnterprise, VisitEnterprise.id == Visit.enterprise_id)
            .join(VisitCommissioner, VisitCommissioner.id == Visit.commissioner_id)
            .where(visit_scope(counties)))


class ConsoleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the overview's figures -------------------------------------------------------------
    async def cohort(self, counties: Counties, start: date, end: date) -> tuple[int, int]:
        """Commissioners and enterprises with an agreement in the period."""
        stmt = (select(func.count(distinct(Agreement.commissioner_id)), func.count(distinct(Agreement.enterprise_id)))
                .join(Commissioner, Commissioner.id == Agreement.commissioner_id)
                .where(_overlaps(start, end), _commissioner_scope(counties)))
        people, firms = (await self.session.execute(stmt)).one()
        return int(people), int(firms)

    async def agreements_in_force(self, counties: Counties, on: date, ending_by: date) -> tuple[int, int]:
        """Active agreements on a day, and how many of them end by `ending_by`."""
        stmt = (select(func.count(Agreement.id), func.count(Agreement.id).filter(Agreement.end_date <= ending_by))
                .join(Commissioner, Commissioner.id == Agreement.commissioner_id)
                .where(Agreement.status == "active", Agreement.start_date <= on, Agreement.end_date >= on,
                       _commissioner_scope(counties)))
        in_force, ending = (await self.session.execute(stmt)).one()
        return int(in_force), int(ending)

    async def visits_by_month_and_county(self, counties: Counties, year: int) -> list[tuple[int, str | None, int]]:
        """(month, enterprise's county, live visits). Grouped by the day as stored (no date function
        on every row), then summed by month here: at most 366 x counties rows come back."""
        stmt = _scoped_visits(select(Visit.visit_date, VisitEnterprise.county, func.count(Visit.id)), counties).where(
            Visit.voided_at.is_(None), Visit.visit_date >= date(year, 1, 1), Visit.visit_date <= date(year, 12, 31),
        ).group_by(Visit.visit_date, VisitEnterprise.county)
        sums: dict[tuple[int, str | None], int] = {}
        for day, county, n in await self.session.execute(stmt):
            sums[(day.month, county)] = sums.get((day.month, county), 0) + int(n)
        return [(month, county, n) for (month, county), n in sums.items()]

    async def review_counts(self, counties: Counties, year: int) -> tuple[int, int, int]:
        """Open flagged visits, open disputes, prompts still waiting for the enterprise. Three
        statements, each led by an index on a status (a few per cent of the year's visits)
        rather than one pass over them all."""
        in_year = (Visit.visit_date >= date(year, 1, 1), Visit.visit_date <= date(year, 12, 31),
                   Visit.voided_at.is_(None))
        open_ = (*in_year, Visit.reviewed_at.is_(None))
        flagged = _scoped_visits(select(func.count(Visit.id)), counties, lean=True).outerjoin(
            VisitFeedback, VisitFeedback.visit_id == Visit.id).where(
            Visit.evidence_status == "flagged", *open_,
            or_(VisitFeedback.status.is_(None), VisitFeedback.status != "disputed"))
        disputes = _scoped_visits(select(func.count(Visit.id)), counties, lean=True).join(
            VisitFeedback, VisitFeedback.visit_id == Visit.id).where(VisitFeedback.status == "disputed", *open_)
        pending = _scoped_visits(select(func.count(Visit.id)), counties, lean=True).join(
            VisitFeedback, VisitFeedback.visit_id == Visit.id).where(VisitFeedback.status == "pending", *in_year)
        return tuple([int(await self.session.scalar(stmt) or 0) for stmt in (flagged, disputes, pending)])

    async def behind_pace(self, counties: Counties, year: int, today: date, expected: int) -> int:
        """Commissioners with an agreement in force and fewer live visits this year than expected."""
        done = (select(func.count(Visit.id)).where(
            Visit.commissioner_id == Commissioner.id, Visit.voided_at.is_(None),
            Visit.visit_date >= date(year, 1, 1), Visit.visit_date <= today).correlate(Commissioner).scalar_subquery())
        in_force = exists().where(Agreement.commissioner_id == Commissioner.id, Agreement.status == "active",
                                  Agreement.start_date <= today, Agreement.end_date >= today)
        stmt = select(func.count(Commissioner.id)).where(in_force, _commissioner_scope(counties), done < expected)
        return int(await self.session.scalar(stmt) or 0)

    async def reports_owed(self, counties: Counties, start: date, end: date, cycle: str,
                           period: str) -> tuple[int, int, int]:
        """For one period: commissioners whose agreements cover it, reports in, of which late."""
        covered = (select(Agreement.commissioner_id.label("cid")).distinct()
                   .join(Commissioner, Commissioner.id == Agreement.commissioner_id)
                   .where(_overlaps(start, end), _commissioner_scope(counties)).subquery())
        stmt = (select(func.count(covered.c.cid), func.count(Report.id), func.count(Report.id).filter(Report.late))
                .select_from(covered).outerjoin(Report, and_(Report.commissioner_id == covered.c.cid,
                                                             Report.cycle == cycle, Report.period == period)))
        owed, submitted, late = (await self.session.execute(stmt)).one()
        return int(owed), int(submitted), int(late)

    # --- visit lists --------------------------------------------------------------------------
    def _visit_conditions(self, f: VisitFilter) -> list:
        out: list = []
        if f.live:
            out.append(Visit.voided_at.is_(None))
        if f.year is not None:
            out += [Visit.visit_date >= date(f.year, 1, 1), Visit.visit_date <= date(f.year, 12, 31)]
        if f.month is not None:
            out.append(extract("month", Visit.visit_date) == f.month)
        if f.county is not None:
            out.append(VisitEnterprise.county == f.county)
        if f.status is not None:
            out.append(Visit.evidence_status == f.status)
        if f.answer is not None:
            out.append(VisitFeedback.status == f.answer)
        if f.commissioner_id is not None:
            out.append(Visit.commissioner_id == f.commissioner_id)
        if f.commissioner_code is not None:
            out.append(VisitCommissioner.code == f.commissioner_code)
        if f.review is not None:
            out += [Visit.reviewed_at.is_(None), Visit.voided_at.is_(None)]
            disputed = VisitFeedback.status == "disputed"
            if f.review == "flagged":
                out += [Visit.evidence_status == "flagged", or_(VisitFeedback.status.is_(None), ~disputed)]
            elif f.review == "disputed":
                out.append(disputed)
            else:
                out.append(or_(Visit.evidence_status == "flagged", disputed))
        return out

    async def visits(self, counties: Counties, f: VisitFilter, offset: int, limit: int,
                     oldest_first: bool = False) -> tuple[list[tuple[Visit, VisitFeedback | None]], int]:
        """A page of visits with the enterprise's answer, and how many match in all (two statements)."""
        base = _scoped_visits(select(Visit, VisitFeedback), counties).outerjoin(
            VisitFeedback, VisitFeedback.visit_id == Visit.id).where(*self._visit_conditions(f))
        order = (Visit.visit_date.asc(), Visit.id.asc()) if oldest_first else (Visit.visit_date.desc(), Visit.id.desc())
        rows = (await self.session.execute(base.order_by(*order).offset(offset).limit(limit))).unique().all()
        total = await self.session.scalar(
            _scoped_visits(select(func.count(Visit.id)), counties)
            .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id).where(*self._visit_conditions(f)))
        return [(v, fb) for v, fb in rows], int(total or 0)

    async def visit(self, counties: Counties, visit_id: int) -> tuple[Visit, VisitFeedback | None] | None:
        stmt = _scoped_visits(select(Visit, VisitFeedback), counties).outerjoin(
            VisitFeedback, VisitFeedback.visit_id == Visit.id).where(Visit.id == visit_id)
        row = (await self.session.execute(stmt)).unique().first()
        return (row[0], row[1]) if row else None

    async def history(self, entity: str, entity_id: int) -> list[AuditEntry]:
        stmt = (select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
                .order_by(AuditEntry.at, AuditEntry.id))
        return list((await self.session.scalars(stmt)).all())

    async def visits_by_ids(self, counties: Counties, ids: Collection[int]) -> dict[int, Visit]:
        """Visits by id, only those in scope (an earlier visit a photo came from, say)."""
        if not ids:
            return {}
        stmt = _scoped_visits(select(Visit), counties).where(Visit.id.in_(list(ids)))
        return {v.id: v for v in (await self.session.scalars(stmt)).unique()}

    async def data_version(self) -> tuple:
        """The newest ids of the rows figures are made of. Every change a person makes is audited
        (a house rule) and new visits, answers, reports and agreements get new ids: when none of
        these moved, no figure did. Primary-key lookups: constant time."""
        stmt = select(*(select(func.max(m.id)).scalar_subquery()
                        for m in (AuditEntry, Visit, VisitFeedback, Report, Agreement)))
        return tuple((await self.session.execute(stmt)).one())
