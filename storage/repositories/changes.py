"""Change requests on agreements, and disqualifications."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChangeRequest, Disqualification


class ChangeRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ChangeRequest | Disqualification) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def request(self, request_id: int) -> ChangeRequest | None:
        return await self.session.get(ChangeRequest, request_id)

    async def pending(self, agreement_id: int | None = None) -> list[ChangeRequest]:
        stmt = select(ChangeRequest).where(ChangeRequest.status == "pending").order_by(ChangeRequest.id)
        if agreement_id is not None:
            stmt = stmt.where(ChangeRequest.agreement_id == agreement_id)
        return list((await self.session.scalars(stmt)).unique().all())

    async def claim(self, request_id: int, status: str, decided_by: str, decided_at, note: str) -> bool:  # noqa: ANN001
        """Decide a pending request with one conditional UPDATE: True for the one caller that did."""
        result = await self.session.execute(
            update(ChangeRequest).where(ChangeRequest.id == request_id, ChangeRequest.status == "pending")
            .values(status=status, decided_by=decided_by, decided_at=decided_at, decision_note=note)
            .execution_options(synchronize_session="fetch"))
        return result.rowcount == 1


    async def disqualifications(self, commissioner_id: int) -> list[Disqualification]:
        stmt = (select(Disqualification).where(Disqualification.commissioner_id == commissioner_id)
                .order_by(Disqualification.id))
        return list((await self.session.scalars(stmt)).unique().all())
