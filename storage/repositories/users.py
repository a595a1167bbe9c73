from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RoleGrant, User

# Every update reads it: built once (see storage.repositories._upsert.upsert).
_SEEN = (select(User, RoleGrant).outerjoin(RoleGrant, RoleGrant.user_id == User.id)
         .where(User.telegram_id == bindparam("telegram_id")).order_by(RoleGrant.id))


class UserRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._renamed: list[tuple[int, str, str | None]] = []

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        return await self.session.scalar(select(User).where(User.telegram_id == telegram_id))

    async def seen(self, telegram_id: int, full_name: str, username: str | None,
                   now: datetime) -> tuple[User, list[RoleGrant]]:
        """The account for this Telegram user and its roles, in one query; created on first
        contact, names kept current."""
        rows = (await self.session.execute(_SEEN, {"telegram_id": telegram_id})).all()
        if not rows:
            user = User(telegram_id=telegram_id, full_name=full_name, username=username, created_at=now,
                        failed_starts=0)
            self.session.add(user)
            await self.session.flush()
            return user, []
        user = rows[0][0]
        if (user.full_name, user.username) != (full_name, username):
            # Shown current at once, written with the update's other writes at its end (see
            # `rename`): a renamed account must not take SQLite's write lock for the whole update.
            set_committed_value(user, "full_name", full_name)
            set_committed_value(user, "username", username)
            self._renamed.append((user.id, full_name, username))
        return user, [grant for _, grant in rows if grant is not None]

    async def write_renames(self) -> None:
        """Store the names `seen` found changed (called just before the update commits)."""
        renamed, self._renamed = self._renamed, []
        for user_id, full_name, username in renamed:
            await self.session.execute(update(User).where(User.id == user_id)
                                       .values(full_name=full_name, username=username))

    async def by_ids(self, ids: list[int]) -> list[User]:
        if not ids:
            return []
        return list((await self.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))).all())

    async def grants_of(self, user_id: int) -> list[RoleGrant]:
        stmt = select(RoleGrant).where(RoleGrant.user_id == user_id).order_by(RoleGrant.id)
        return list((await self.session.scalars(stmt)).all())

    async def holders(self, role: str, subject_key: str) -> list[RoleGrant]:
        stmt = select(RoleGrant).where(RoleGrant.role == role, RoleGrant.subject_key == subject_key)
        return list((await self.session.scalars(stmt)).all())

    async def holders_of_role(self, role: str) -> list[RoleGrant]:
        stmt = select(RoleGrant).where(RoleGrant.role == role).order_by(RoleGrant.id)
        return list((await self.session.scalars(stmt)).all())

    async def add_grant(self, grant: RoleGrant) -> RoleGrant:
        self.session.add(grant)
        await self.session.flush()
        return grant

    async def remove_grants(self, grant_ids: list[int]) -> None:
        if grant_ids:
            await self.session.execute(delete(RoleGrant).where(RoleGrant.id.in_(grant_ids)))

    async def admin_scopes(self) -> list[tuple[User, str | None]]:
        """Every admin with the county they see (None: the bureau, everything), each pair once,
        in the order the roles were granted."""
        grants = (await self.session.scalars(select(RoleGrant).where(RoleGrant.role.in_(("bureau", "county")))
                                             .order_by(RoleGrant.id))).all()
        users = {u.id: u for u in await self.by_ids(sorted({g.user_id for g in grants}))}
        seen: set[tuple[int, str | None]] = set()
        out = []
        for g in grants:
            key = (g.user_id, None if g.role == "bureau" else g.county)
            if key not in seen:
                seen.add(key)
                out.append((users[g.user_id], key[1]))
        return out
