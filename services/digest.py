"""Digests for admins: the week in a chat message, the month as a PDF. Nothing surprises anyone
in December: new visits, flags and disputes, overdue reports, who is behind pace."""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from domain.evidence import counts_as_disputed
from domain.policy import Policy
from domain.progress import year_progress
from domain.reports import relevant_periods
from locales import Translator
from services.reports import _covers, period_label
from storage.repositories import Repos


@dataclass
class CountyFigures:
    """One county's line in the monthly table (visits by the enterprise's county, people by the
    commissioner's)."""

    services: int = 0
    flagged: int = 0
    disputed: int = 0
    overdue: int = 0
    commissioners: int = 0
    behind: int = 0

    @property
    def on_pace(self) -> int:
        return self.commissioners - self.behind


@dataclass
class Digest:
    since: date
    until: date
    visits: int = 0
    by_county: Counter = field(default_factory=Counter)
    flagged: list[str] = field(default_factory=list)
    disputed: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)
    counties: dict[str, CountyFigures] = field(default_factory=dict)
    by_day: Counter = field(default_factory=Counter)  # services per visit date

    def county(self, name: str | None) -> CountyFigures:
        return self.counties.setdefault(name or "—", CountyFigures())

    def weeks(self) -> list[tuple[date, date, int]]:
        """Services per week (Monday to Sunday, clipped to the period): (first day, last day, count)."""
        out = []
        start = self.since
        while start <= self.until:
            end = min(start + timedelta(days=6 - start.weekday()), self.until)
            out.append((start, end, sum(n for day, n in self.by_day.items() if start <= day <= end)))
            start = end + timedelta(days=1)
        return out

    def total(self) -> CountyFigures:
        figures = CountyFigures()
        for c in self.counties.values():
            for name in ("services", "flagged", "disputed", "overdue", "commissioners", "behind"):
                setattr(figures, name, getattr(figures, name) + getattr(c, name))
        return figures


async def collect(repos: Repos, policy: Policy, t: Translator, since: date, until: date,
                  county: str | Collection[str] | None = None) -> Digest:
    """The figures between two dates (inclusive); a county admin's digest covers their county (the
    web console passes the counties an admin covers)."""
    counties = {county} if isinstance(county, str) else county
    digest = Digest(since, until)
    for visit, answer in await repos.visits.with_answers_between(since, until):
        if counties is not None and visit.enterprise.county not in counties:
            continue
        digest.visits += 1
        digest.by_county[visit.enterprise.county or "—"] += 1
        digest.by_day[visit.visit_date] += 1
        figures = digest.county(visit.enterprise.county)
        figures.services += 1
        who = f"#{visit.id} {visit.visit_date:%m-%d} {visit.commissioner.name} → {visit.enterprise.name}"
        if counts_as_disputed(answer, visit.reviewed_at is not None):
            digest.disputed.append(who)
            figures.disputed += 1
        elif visit.flagged:
            digest.flagged.append(who)
            figures.flagged += 1
    agreements = await repos.feedback.active_agreements(until)
    done = await repos.reports.submitted()
    by_commissioner: dict[int, list] = {}
    for a in agreements:
        if counties is None or a.commissioner.county in counties:
            by_commissioner.setdefault(a.commissioner_id, []).append(a)
    counts = Counter(await repos.visits.commissioner_ids_between(date(until.year, 1, 1), until))
    for commissioner_id, agreed in sorted(by_commissioner.items()):
        c = agreed[0].commissioner
        figures = digest.county(c.county)
        figures.commissioners += 1
        for cycle in policy.report_cycles:
            for period in relevant_periods(cycle, until):
                if period.is_overdue(until) and _covers(agreed, period) and \
                        (commissioner_id, cycle.key, period.key) not in done:
                    digest.overdue.append(t("digest.overdue_item", name=c.name, code=c.code,
                                             period=period_label(t, cycle, period)))
                    figures.overdue += 1
        progress = year_progress(policy, until, counts[commissioner_id], 0)
        if progress.behind_pace:
            figures.behind += 1
            digest.behind.append(t("digest.behind_item", name=c.name, code=c.code, done=progress.services,
                                   expected=progress.expected_by_today))
    return digest


def weekly_text(t: Translator, digest: Digest, limit: int = 8) -> str:
    def listing(items: list[str]) -> str:
        shown = items[:limit]
        more = len(items) - len(shown)
        text = "\n".join(f"  • {item}" for item in shown) if shown else "  —"
        return text + (f"\n  {t('digest.more', n=more)}" if more > 0 else "")

    by_county = "，".join(f"{k} {v}" for k, v in digest.by_county.most_common()) if digest.by_county else "—"
    return "\n".join([
        t("digest.title", since=digest.since, until=digest.until),
        t("digest.visits", count=digest.visits, by_county=by_county),
        t("digest.flagged", count=len(digest.flagged)), listing(digest.flagged),
        t("digest.disputed", count=len(digest.disputed)), listing(digest.disputed),
        t("digest.overdue", count=len(digest.overdue)), listing(digest.overdue),
        t("digest.behind", count=len(digest.behind)), listing(digest.behind),
    ])


def last_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the week before `today`."""
    end = today - timedelta(days=today.weekday() + 1)
    return end - timedelta(days=6), end


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end
