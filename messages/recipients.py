"""Who is told: the accounts behind an enterprise, a commissioner, a county."""
from __future__ import annotations

from collections.abc import Iterable

from domain.roles import Role
from storage.models import Commissioner, Enterprise, User
from storage.repositories import Repos


async def enterprise_contacts(repos: Repos, enterprise_id: int) -> list[User]:
    grants = await repos.users.holders(Role.ENTERPRISE.value, f"enterprise:{enterprise_id}")
    return await repos.users.by_ids([g.user_id for g in grants])


async def commissioner_accounts(repos: Repos, commissioner_id: int) -> list[User]:
    grants = await repos.users.holders(Role.COMMISSIONER.value, f"commissioner:{commissioner_id}")
    return await repos.users.by_ids([g.user_id for g in grants])


def each_once(people: Iterable[User]) -> list[User]:
    """The accounts in order, each once (one person may hold several of the roles told)."""
    return list({u.id: u for u in people}.values())


async def pair_accounts(repos: Repos, commissioner_id: int, enterprise_id: int) -> list[User]:
    """Both sides of an agreement or a pairing: the commissioner's accounts, then the enterprise's
    contacts, each once."""
    return each_once(await commissioner_accounts(repos, commissioner_id)
                     + await enterprise_contacts(repos, enterprise_id))


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


async def county_admins_of(repos: Repos, user: User) -> list[User]:
    """The admins of the counties of a commissioner's or an enterprise contact's roles."""
    counties = set()
    for grant in await repos.users.grants_of(user.id):
        if grant.role == Role.COMMISSIONER and grant.commissioner_id:
            c = await repos.people.get(Commissioner, grant.commissioner_id)
            counties.add(c.county if c else None)
        elif grant.role == Role.ENTERPRISE and grant.enterprise_id:
            e = await repos.people.get(Enterprise, grant.enterprise_id)
            counties.add(e.county if e else None)
    admins: list[User] = []
    for county in sorted(c for c in counties if c):
        holders = await repos.users.holders(Role.COUNTY.value, f"county:{county}")
        admins += await repos.users.by_ids([g.user_id for g in holders])
    return admins
