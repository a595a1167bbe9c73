"""Dispatching units, commissioners, enterprises and agreements."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agreement, Commissioner, DispatchingUnit, Enterprise

Coded = TypeVar("Coded", DispatchingUnit, Commissioner, Enterprise)


class PeopleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_code(self, model: type[Coded], code: str) -> Coded | None:
        return await self.session.scalar(select(model).where(model.code == code))

    async def commissioner(self, code: str) -> Commissioner | None:
        return await self.by_code(Commissioner, code)

    async def by_codes(self, model: type[Coded], codes: Iterable[str]) -> dict[str, Coded]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.session.scalars(select(model).where(model.code.in_(wanted)))
        return {row.code: row for row in rows}

    async def get(self, model: type[Coded], id_: int) -> Coded | None:
        return await self.session.get(model, id_)

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def counties(self) -> list[str]:
        """Every county named on an enterprise or a commissioner."""
        names: set[str] = set()
        for column in (Enterprise.county, Commissioner.county):
            rows = await self.session.scalars(select(column).distinct().where(column.is_not(None)))
            names.update(name for name in rows if name)
        return sorted(names)

    async def agreements_by_keys(
        self, keys: Iterable[tuple[int, int, date]]
    ) -> dict[tuple[int, int, date], Agreement]:
        keys = list(keys)
        if not keys:
            return {}
        commissioner_ids = {k[0] for k in keys}
        rows = await self.session.scalars(
            select(Agreement).where(Agreement.commissioner_id.in_(commissioner_ids))
        )
        wanted = set(keys)
        return {
            key: row
            for row in rows
            if (key := (row.commissioner_id, row.enterprise_id, row.start_date)) in wanted
        }

    async def agreements_of(
        self, *, commissioner_id: int | None = None, enterprise_id: int | None = None
    ) -> list[Agreement]:
        conditions = []
        if commissioner_id is not None:
            conditions.append(Agreement.commissioner_id == commissioner_id)
        if enterprise_id is not None:
            conditions.append(Agreement.enterprise_id == enterprise_id)
        stmt = select(Agreement).where(or_(*conditions)).order_by(Agreement.start_date.desc(), Agreement.id)
        return list((await self.session.scalars(stmt)).all())

    async def agreements_in_force(self, commissioner_id: int, today: date) -> list[Agreement]:
        """The commissioner's active agreements whose term includes `today`, as `agreements_of` orders them."""
        stmt = (select(Agreement)
                .where(Agreement.commissioner_id == commissioner_id, Agreement.status == "active",
                       Agreement.start_date <= today, Agreement.end_date >= today)
                .order_by(Agreement.start_date.desc(), Agreement.id))
        return list((await self.session.scalars(stmt)).all())

    async def count(self, model: type) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(model)) or 0)
