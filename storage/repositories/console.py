"""The web console's reads: figures as SQL aggregates and lists paginated in SQL, each scoped to
the admin's counties (None: every county). A fixed number of statements per page, whatever
the number of commissioners or visits."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Agreement,
    AuditEntry,
    Commissioner,
    Enterprise,
    Report,
    RunningCount,
    Visit,
    VisitFeedback,
)
from storage.running_counts import whole_key

Counties = Collection[str] | None
VisitEnterprise = aliased(Enterprise, name="visit_enterprise")
VisitCommissioner = aliased(Commissioner, name="visit_commissioner")


@dataclass(frozen=True)
class VisitFilter:
    year: int | None = None
    month: int | None = None
    county: str | None = None  # the enterprise's county
    status: str | None = None  # evidence status: verified, noted, flagged (not accepted), or accepted
    answer: str | None = None  # the enterprise's answer: pending, confirmed, disputed, unanswered
    commissioner_id: int | None = None
    commissioner_code: str | None = None
    enterprise_id: int | None = None
    enterprise_code: str | None = None
    # The review queue (neither voided nor accepted): "all" flagged or disputed, "flagged" (not
    # disputed) or "disputed"; None: not the queue.
    review: str | None = None
    live: bool = True  # voided visits left out


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
    async def running_counts(self, counties: Counties, year: int, this_year: int) -> list[tuple[str, str, str, int]]:
        """(figure, county, key, n) of the running counts (storage.running_counts) for a year's
        overview, summed over the second county: a few hundred rows whatever the data's size. A
        county admin's are those where either county is theirs (a visit: its enterprise's or its
        commissioner's)."""
        scope = (True if counties is None else
                 or_(RunningCount.county.in_(list(counties)), RunningCount.county2.in_(list(counties))))
        wanted = or_(and_(RunningCount.figure == "visits", RunningCount.year == year),
                     and_(RunningCount.figure == "pace", RunningCount.year == this_year),
                     RunningCount.figure.in_(("cohort", "firms", "agreements", "reports")))
        stmt = (select(RunningCount.figure, RunningCount.county, RunningCount.key, RunningCount.long_key,
                       func.sum(RunningCount.n))
                .where(wanted, scope)
                .group_by(RunningCount.figure, RunningCount.county, RunningCount.key, RunningCount.long_key))
        return [(f, c, whole_key(k, long_key), int(n)) for f, c, k, long_key, n in await self.session.execute(stmt)]

    # --- visit lists --------------------------------------------------------------------------
    def _visit_conditions(self, f: VisitFilter) -> list:
        out: list = []
        if f.live:
            out.append(Visit.voided_at.is_(None))
        if f.year is not None:
            out += [Visit.visit_date >= date(f.year, 1, 1), Visit.visit_date <= date(f.year, 12, 31)]
        if f.month is not None and f.year is not None:  # a range the date index can serve
            last = (date(f.year + f.month // 12, f.month % 12 + 1, 1) - timedelta(days=1))
            out += [Visit.visit_date >= date(f.year, f.month, 1), Visit.visit_date <= last]
        elif f.month is not None:
            out.append(extract("month", Visit.visit_date) == f.month)
        if f.county is not None:
            out.append(VisitEnterprise.county == f.county)
        if f.status == "flagged":  # still in doubt: an accepted visit is not (domain.evidence.counts_as_flagged)
            out.append(Visit.flagged)
        elif f.status == "accepted":
            out.append(Visit.reviewed_at.is_not(None))
        elif f.status is not None:
            out.append(Visit.evidence_status == f.status)
        if f.answer is not None:
            out.append(VisitFeedback.status == f.answer)
        if f.commissioner_id is not None:
            out.append(Visit.commissioner_id == f.commissioner_id)
        if f.commissioner_code is not None:
            out.append(VisitCommissioner.code == f.commissioner_code)
        if f.enterprise_id is not None:
            out.append(Visit.enterprise_id == f.enterprise_id)
        if f.enterprise_code is not None:
            out.append(VisitEnterprise.code == f.enterprise_code)
        if f.review is not None:
            out += [Visit.reviewed_at.is_(None), Visit.voided_at.is_(None)]
            disputed = VisitFeedback.status == "disputed"
            if f.review == "flagged":
                out += [Visit.flagged, or_(VisitFeedback.status.is_(None), ~disputed)]
            elif f.review == "disputed":
                out.append(disputed)
            else:
                out.append(or_(Visit.flagged, disputed))
        return out

    async def visits(self, counties: Counties, f: VisitFilter, offset: int, limit: int,
                     oldest_first: bool = False) -> tuple[list[tuple[Visit, VisitFeedback | None]], int]:
        """A page of visits with the enterprise's answer, and how many match in all (two statements)."""
        base = _scoped_visits(select(Visit, VisitFeedback), counties).outerjoin(
            VisitFeedback, VisitFeedback.visit_id == Visit.id).where(*self._visit_conditions(f))
        order = (Visit.visit_date.asc(), Visit.id.asc()) if oldest_first else (Visit.visit_date.desc(), Visit.id.desc())
        rows = (await self.session.execute(base.order_by(*order).offset(offset).limit(limit))).unique().all()
        total = await self._counted_total(counties, f)
        if total is None:  # narrowed by status, answer, commissioner or review: led by their indexes
            total = await self.session.scalar(
                _scoped_visits(select(func.count(Visit.id)), counties)
                .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id).where(*self._visit_conditions(f)))
        return [(v, fb) for v, fb in rows], int(total or 0)

    async def _counted_total(self, counties: Counties, f: VisitFilter) -> int | None:
        """Live visits by year, month and county (the overview's links) from the running counts,
        instead of counting a year's rows; None for a filter they do not cover."""
        if not f.live or any(x is not None for x in (f.status, f.answer, f.commissioner_id, f.commissioner_code,
                                                       f.enterprise_id, f.enterprise_code, f.review)):
            return None
        months = [f.month] if f.month is not None else range(1, 13)
        stmt = select(func.sum(RunningCount.n)).where(RunningCount.figure == "visits",
                                                      RunningCount.key.in_([f"m{m:02d}" for m in months]))
        if f.year is not None:
            stmt = stmt.where(RunningCount.year == f.year)
        if f.county is not None:
            stmt = stmt.where(RunningCount.county == f.county)
        if counties is not None:
            stmt = stmt.where(or_(RunningCount.county.in_(list(counties)), RunningCount.county2.in_(list(counties))))
        return int(await self.session.scalar(stmt) or 0)

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
