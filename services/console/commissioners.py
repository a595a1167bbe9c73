"""Commissioners in the console: the list (SQL-paginated), one commissioner's page, the roster
download and the dossier, each only within the admin's scope."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select

from domain.policy import Policy
from domain.progress import YearProgress, year_progress
from domain.web_access import Scope
from locales import Translator
from services.assessment import assess
from services.console.cache import VersionedCache
from services.dossier import Dossier, build
from services.roster import roster_bytes
from storage.evidence_store import EvidenceStore
from storage.models import Agreement, Commissioner, DispatchingUnit, Outcome, Report, Visit, VisitFeedback
from storage.repositories import Repos
from storage.repositories.console import VisitFilter
from storage.repositories.console_people import CommissionerFilter, CommissionerRow

__all__ = ["CommissionerFilter", "CommissionerRow", "Profile", "commissioner_page", "filter_choices", "profile",
           "roster", "dossier"]

TIMELINE_LIMIT = 400  # a year's visits of one commissioner; Jincheng asks for 24


async def commissioner_page(repos: Repos, scope: Scope, f: CommissionerFilter, page: int, size: int,
                            proposed: dict[str, tuple[int, str]] | None = None) -> tuple[list[CommissionerRow], int]:
    """A page of the list. Sorted by proposed grade (`proposed`: code -> (rank, grade), from
    `proposed_grades`) the order comes from ranking the cohort; every other order is SQL's."""
    if f.sort != "grade" or proposed is None:
        return await repos.console_people.page(scope.counties, f, (page - 1) * size, size)
    matching = await repos.console_people.matching(scope.counties, f)
    unranked = len(proposed) + 1  # those without an agreement that year come last
    matching.sort(key=lambda row: (proposed.get(row[1], (unranked, ""))[0], row[1]), reverse=f.descending)
    chosen = matching[(page - 1) * size: page * size]
    rows = await repos.console_people.rows([cid for cid, _ in chosen], f.year)
    return [replace(r, proposed=proposed.get(r.commissioner.code, (0, None))[1]) for r in rows], len(matching)


async def proposed_grades(cache: VersionedCache, repos: Repos, policy: Policy, year: int,
                          today: date) -> dict[str, tuple[int, str]]:
    """Each assessed commissioner's rank and proposed grade (the whole cohort: the top grade's cap
    ranks it), kept until the data changes."""
    async def ranked() -> dict[str, tuple[int, str]]:
        result = await assess(repos, policy, year, today)
        return {g.scored.inputs.code: (g.rank, g.grade) for g in result.graded}

    return await cache.get(repos, ("proposed", year, today), ranked)


async def filter_choices(repos: Repos, policy: Policy, scope: Scope) -> tuple[list[str], list[tuple[str, str]]]:
    """Counties (in scope) and dispatching units (code, name) to filter by. The counties are the
    policy's list (imports and invites are checked against it), not a scan of every person."""
    counties = list(policy.counties) or await repos.people.counties()
    if scope.counties is not None:
        counties = [c for c in counties if c in scope.counties]
    units = [(u.code, u.name) for u in await repos.session.scalars(select(DispatchingUnit).order_by(DispatchingUnit.code))]
    return counties, units


@dataclass(frozen=True)
class Profile:
    commissioner: Commissioner
    year: int
    agreements: list[Agreement]
    visits: list[tuple[Visit, VisitFeedback | None]]
    reports: list[Report]
    outcomes: list[Outcome]
    progress: YearProgress

    @property
    def ratings(self) -> list[int]:
        return [a.rating for _, a in self.visits if a is not None and a.rating]

    def map_data(self) -> dict:
        """Enterprises (named squares) and visit points (flagged ones marked) for the map."""
        sites = {a.enterprise.id: a.enterprise for a in self.agreements}
        return {
            "sites": [{"lat": e.latitude, "lon": e.longitude, "name": e.name, "county": e.county or ""}
                      for e in sites.values() if e.latitude is not None],
            "points": [{"lat": v.latitude, "lon": v.longitude, "id": v.id, "date": v.visit_date.isoformat(),
                        "flagged": v.flagged}
                       for v, _ in self.visits if v.latitude is not None and v.voided_at is None],
        }


async def _scoped_commissioner(repos: Repos, scope: Scope, code: str) -> Commissioner | None:
    c = await repos.people.by_code(Commissioner, code)
    return c if c is not None and scope.covers(c.county) else None


async def profile(repos: Repos, policy: Policy, scope: Scope, code: str, year: int, today: date) -> Profile | None:
    c = await _scoped_commissioner(repos, scope, code)
    if c is None:
        return None
    agreements = await repos.people.agreements_of(commissioner_id=c.id)
    # The commissioner is the admin's: so is every one of their visits.
    visits, _ = await repos.console.visits(None, VisitFilter(year=year, commissioner_id=c.id, live=False), 0,
                                           TIMELINE_LIMIT)
    reports = list((await repos.session.scalars(
        select(Report).where(Report.commissioner_id == c.id, Report.period.like(f"{year}%"))
        .order_by(Report.due_on))).all())
    outcomes = list((await repos.session.scalars(
        select(Outcome).where(Outcome.commissioner_id == c.id, Outcome.achieved_on >= date(year, 1, 1),
                              Outcome.achieved_on <= date(year, 12, 31)).order_by(Outcome.achieved_on))).all())
    live = [v for v, _ in visits if v.voided_at is None]
    progress = year_progress(policy, min(today, date(year, 12, 31)), len(live), len({v.enterprise_id for v in live}))
    return Profile(c, year, agreements, visits, reports, outcomes, progress)


async def roster(repos: Repos, policy: Policy, t: Translator, scope: Scope, year: int, today: date) -> bytes:
    """The XLSX roster with proposed grades: the whole cohort is assessed (the cap ranks it), the
    rows are the admin's counties'."""
    return roster_bytes(policy, t, await assess(repos, policy, year, today), scope.counties)


async def dossier(repos: Repos, policy: Policy, store: EvidenceStore, t: Translator, scope: Scope, code: str,
                  year: int, today: date, now: datetime, map_tiles: str | None = None) -> Dossier | None:
    if await _scoped_commissioner(repos, scope, code) is None:
        return None
    assessment = await assess(repos, policy, year, today)
    if code not in assessment.commissioners:
        return None  # no agreement that year: nothing to assess
    return await build(repos, policy, store, t, assessment, code, now, map_tiles=map_tiles)
