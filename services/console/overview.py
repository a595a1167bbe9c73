"""The overview of one year: who is in the programme, services by month and county, pace
against the policy's minimum, and what needs someone's attention. Every figure is a sum over the
running counts (storage.running_counts): one statement, a few hundred rows, whatever the size."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.policy import Policy
from domain.progress import year_progress
from domain.reports import periods
from domain.web_access import Scope
from storage.repositories import Repos
from storage.running_figures import covers, parse_spans

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


@dataclass
class _Counts:
    """The running counts of one scope, read once."""
    rows: list[tuple[str, str, str, int]]

    def of(self, figure: str) -> list[tuple[str, str, int]]:
        return [(county, key, n) for f, county, key, n in self.rows if f == figure]

    def covered(self, figure: str, start: date, end: date) -> int:
        """Commissioners (cohort) or enterprises (firms) whose agreements touch the period."""
        return sum(n for _, key, n in self.of(figure) if covers(parse_spans(key), start, end))


async def _counts(repos: Repos, scope: Scope, year: int, today: date) -> _Counts:
    return _Counts(await repos.console.running_counts(scope.counties, year, today.year))


async def overview(repos: Repos, policy: Policy, scope: Scope, year: int, today: date) -> Overview:
    counts = await _counts(repos, scope, year, today)
    start, end = date(year, 1, 1), date(year, 12, 31)
    o = Overview(year, today)
    o.commissioners, o.enterprises = counts.covered("cohort", start, end), counts.covered("firms", start, end)
    for county, key, n in counts.of("visits"):
        if key.startswith("m"):
            o.by_month[int(key[1:]) - 1] += n
            o.by_county[county or "—"] = o.by_county.get(county or "—", 0) + n
        elif key == "flagged":
            o.flagged += n
        elif key == "disputed":
            o.disputed += n
        elif key == "pending":
            o.prompts_waiting += n
    o.services = sum(o.by_month)
    ending_by = today + timedelta(days=ENDING_DAYS)
    for _, key, n in counts.of("agreements"):
        (s, e), = parse_spans(key)
        if s <= today <= e:
            o.agreements_in_force += n
            o.agreements_ending += n if e <= ending_by else 0
    progress = year_progress(policy, min(today, end), 0, 0)
    o.services_target, o.expected_by_today = progress.services_target, progress.expected_by_today
    if progress.expected_by_today is not None and year == today.year:
        o.behind_pace = 0
        for _, key, n in counts.of("pace"):  # "start:end:live visits this year"
            span, done = key.rsplit(":", 1)
            (s, e), = parse_spans(span)
            if s <= today <= e and int(done) < progress.expected_by_today:
                o.behind_pace += n
    o.reports_overdue = sum(row.missing for row in _periods(counts, policy, year, today))
    return o


def _periods(counts: _Counts, policy: Policy, year: int, today: date) -> list[PeriodRow]:
    reports = counts.of("reports")
    out = []
    for cycle in policy.report_cycles:
        for p in periods(cycle, year):
            if p.opens > today:
                continue
            submitted = late = 0
            for _, key, n in reports:
                kind, period, was_late, spans = key.split("|", 3)
                if kind == cycle.key and period == p.key and covers(parse_spans(spans), p.start, p.end):
                    submitted += n
                    late += n if was_late == "1" else 0
            out.append(PeriodRow(cycle.key, p.key, p.start, p.end, p.due, counts.covered("cohort", p.start, p.end),
                                 submitted, late, p.is_overdue(today)))
    return out


async def report_periods(repos: Repos, policy: Policy, scope: Scope, year: int, today: date) -> list[PeriodRow]:
    """Every reporting period of the year that has opened: owed (commissioners whose agreements
    cover it), submitted, late, overdue."""
    return _periods(await _counts(repos, scope, year, today), policy, year, today)
