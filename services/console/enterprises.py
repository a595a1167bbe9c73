"""Enterprises in the console: the list (filtered by county, SQL-paginated, each figure of just
the page's rows) and one enterprise's page (its agreements, figures and visits), each only within
the admin's scope (an enterprise in another county is not found)."""
from __future__ import annotations

from dataclasses import dataclass

from domain.web_access import Scope
from storage.models import Agreement, Enterprise, Visit, VisitFeedback
from storage.repositories import Repos
from storage.repositories.console import VisitFilter
from storage.repositories.console_firms import EnterpriseFilter, EnterpriseRow

__all__ = ["EnterpriseFilter", "EnterpriseRow", "EnterpriseProfile", "enterprise_page", "profile"]


async def enterprise_page(repos: Repos, scope: Scope, f: EnterpriseFilter, page: int,
                          size: int) -> tuple[list[EnterpriseRow], int]:
    return await repos.console_firms.page(scope.counties, f, (page - 1) * size, size)


@dataclass(frozen=True)
class EnterpriseProfile:
    enterprise: Enterprise
    year: int
    figures: EnterpriseRow
    agreements: list[Agreement]
    visits: list[tuple[Visit, VisitFeedback | None]]  # one page of the year's, newest first
    total: int


async def profile(repos: Repos, scope: Scope, code: str, year: int, page: int, size: int) -> EnterpriseProfile | None:
    found = await repos.console_firms.in_scope(scope.counties, code)
    if found is None:
        return None
    figures, = await repos.console_firms.rows([found.id], year)
    agreements = await repos.people.agreements_of(enterprise_id=found.id)
    # The enterprise is the admin's: so is every visit to it.
    visits, total = await repos.console.visits(None, VisitFilter(year=year, enterprise_id=found.id),
                                               (page - 1) * size, size)
    return EnterpriseProfile(found, year, figures, agreements, visits, total)
