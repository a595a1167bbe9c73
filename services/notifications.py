"""Who is told: the accounts behind an enterprise, a commissioner, a county."""
from __future__ import annotations

from domain.roles import Role
from storage.models import User
from storage.repositories import Repos


async def enterprise_contacts(repos: Repos, enterprise_id: int) -> list[User]:
    grants = await repos.users.holders(Role.ENTERPRISE.value, f"enterprise:{enterprise_id}")
    return await repos.users.by_ids([g.user_id for g in grants])


async def commissioner_accounts(repos: Repos, commissioner_id: int) -> list[User]:
    grants = await repos.users.holders(Role.COMMISSIONER.value, f"commissioner:{commissioner_id}")
    return await repos.users.by_ids([g.user_id for g in grants])


async def county_admins(repos: Repos, county: str | None) -> list[User]:
    if not county:
        return []
    grants = await repos.users.holders(Role.COUNTY.value, f"county:{county}")
    return await repos.users.by_ids([g.user_id for g in grants])


async def bureau_admins(repos: Repos) -> list[User]:
    grants = await repos.users.holders_of_role(Role.BUREAU.value)
    return await repos.users.by_ids(sorted({g.user_id for g in grants}))


async def unit_contacts(repos: Repos, unit_id: int | None) -> list[User]:
    if unit_id is None:
        return []
    grants = await repos.users.holders(Role.UNIT.value, f"unit:{unit_id}")
    return await repos.users.by_ids([g.user_id for g in grants])
