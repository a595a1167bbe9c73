"""Needs, pairings and objections."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.selection import OPEN_PAIRING, PairingStatus
from storage.models import Agreement, Commissioner, Enterprise, Need, Objection, Pairing


class SelectionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def need(self, need_id: int) -> Need | None:
        return await self.session.get(Need, need_id)

    async def needs(self, *, statuses: Iterable[str] | None = None, enterprise_ids: Iterable[int] | None = None,
                    county: str | None = None, limit: int = 50) -> list[Need]:
        stmt = select(Need).join(Need.enterprise).order_by(Need.id.desc()).limit(limit)
        if statuses is not None:
            stmt = stmt.where(Need.status.in_(list(statuses)))
        if enterprise_ids is not None:
            stmt = stmt.where(Need.enterprise_id.in_(list(enterprise_ids)))
        if county is not None:
            stmt = stmt.where(Enterprise.county == county)
        return list((await self.session.scalars(stmt)).unique().all())

    async def pairing(self, pairing_id: int) -> Pairing | None:
        return await self.session.get(Pairing, pairing_id)

    async def pairing_for(self, need_id: int, commissioner_id: int) -> Pairing | None:
        return await self.session.scalar(select(Pairing).where(Pairing.need_id == need_id,
                                                                Pairing.commissioner_id == commissioner_id))

    async def pairings(self, *, statuses: Iterable[str], need_id: int | None = None,
                       commissioner_id: int | None = None) -> list[Pairing]:
        stmt = select(Pairing).where(Pairing.status.in_(list(statuses))).order_by(Pairing.id)
        if need_id is not None:
            stmt = stmt.where(Pairing.need_id == need_id)
        if commissioner_id is not None:
            stmt = stmt.where(Pairing.commissioner_id == commissioner_id)
        return list((await self.session.scalars(stmt)).unique().all())

    async def reject_open_pairings(self, *, need_id: int | None = None,
                                   commissioner_id: int | None = None) -> list[Pairing]:
        """End the selections still running on a need or for a commissioner; returns them."""
        rows = await self.pairings(statuses=[s.value for s in OPEN_PAIRING], need_id=need_id,
                                   commissioner_id=commissioner_id)
        for pairing in rows:
            pairing.status = PairingStatus.REJECTED.value
        return rows

    async def objection(self, objection_id: int) -> Objection | None:
        return await self.session.get(Objection, objection_id)

    async def objection_by(self, pairing_id: int, filed_by: str) -> Objection | None:
        return await self.session.scalar(select(Objection).where(Objection.pairing_id == pairing_id,
                                                                  Objection.filed_by == filed_by))

    async def pending_objections(self, pairing_id: int) -> list[Objection]:
        stmt = select(Objection).where(Objection.pairing_id == pairing_id, Objection.decision.is_(None))
        return list((await self.session.scalars(stmt.order_by(Objection.id))).unique().all())

    async def candidates(self) -> list[Commissioner]:
        """Everyone who may be selected: commissioners and applicants, not the disqualified."""
        stmt = select(Commissioner).where(Commissioner.status.in_(("active", "applicant"))).order_by(Commissioner.code)
        return list((await self.session.scalars(stmt)).unique().all())

    async def renewable(self, today: date, horizon: date) -> list[Agreement]:
        stmt = select(Agreement).where(Agreement.status == "active", Agreement.end_date >= today,
                                       Agreement.end_date <= horizon).order_by(Agreement.id)
        return list((await self.session.scalars(stmt)).unique().all())
