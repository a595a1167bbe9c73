"""The overview of one year: who is in the programme, services by month and county, pace
against the policy's minimum, and what needs someone's attention."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.policy import Policy
from domain.progress import year_progress
from domain.reports import periods
from domain.web_access import Scope
from services.console.cache import VersionedCache
from storage.repositories import Repos

ENDING_DAYS = 30  # the reminders' "agreement ending" window


@dataclass
class Overview:
    year: int
    today: date
    commissioners: int = 0
    enterprises: int = 0
    agreements_in_force: int = 0
    agreements_ending: int = 0
    services: int = 0
    by_month: list[int] = field(default_factory=lambda: [0] * 12)
    by_county: dict[str, int] = field(default_factory=dict)
    services_target: int | None = None  # per commissioner and year (Jincheng: 24)
    expected_by_today: int | None = None
    behind_pace: int | None = None
    flagged: int = 0
    disputed: int = 0
    prompts_waiting: int = 0
    reports_overdue: int = 0


async def overview(repos: Repos, policy: Policy, scope: Scope, year: int, today: date) -> Overview:
    counties = scope.counties
    start, end = date(year, 1, 1), date(year, 12, 31)
    o = Overview(year, today)
    o.commissioners, o.enterprises = await repos.console.cohort(counties, start, end)
    o.agreements_in_force, o.agreements_ending = await repos.console.agreements_in_force(
        counties, today, today + timedelta(days=ENDING_DAYS))
    for month, county, n in await repos.console.visits_by_month_and_county(counties, year):
        o.by_month[month - 1] += n
        o.by_county[county or "—"] = o.by_county.get(county or "—", 0) + n
    o.services = sum(o.by_month)
    o.flagged, o.disputed, o.prompts_waiting = await repos.console.review_counts(counties, year)
    pace_day = min(today, end)
    progress = year_progress(policy, pace_day, 0, 0)
    o.services_target, o.expected_by_today = progress.services_target, progress.expected_by_today
    if progress.expected_by_today is not None and year == today.year:
        o.behind_pace = await repos.console.behind_pace(counties, year, today, progress.expected_by_today)
    o.reports_overdue = sum(row.missing for row in await report_periods(repos, policy, scope, year, today))
    return o


async def kept_overview(cache: VersionedCache, repos: Repos, policy: Policy, scope: Scope, year: int,
                        today: date) -> Overview:
    """The overview, counted again only when the data has changed since it was last counted."""
    key = ("overview", scope.stored() and tuple(scope.stored()), year, today)
    return await cache.get(repos, key, lambda: overview(repos, policy, scope, year, today))


@dataclass(frozen=True)
class PeriodRow:
    cycle: str
    period: str
    start: date
    end: date
    due: date
    owed: int
    submitted: int
    late: int
    overdue: bool

    @property
    def missing(self) -> int:
        return self.owed - self.submitted if self.overdue else 0


async def report_periods(repos: Repos, policy: Policy, scope: Scope, year: int, today: date) -> list[PeriodRow]:
    """Every reporting period of the year that has opened: owed, submitted, late, overdue."""
    out = []
    for cycle in policy.report_cycles:
        for p in periods(cycle, year):
            if p.opens > today:
                continue
            owed, submitted, late = await repos.console.reports_owed(scope.counties, p.start, p.end, cycle.key, p.key)
            out.append(PeriodRow(cycle.key, p.key, p.start, p.end, p.due, owed, submitted, late,
                                 p.is_overdue(today)))
    return out
