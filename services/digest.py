"""Digests for admins: the week in a chat message, the month as a PDF. Nothing surprises anyone
in December: new visits, flags and disputes, overdue reports, who is behind pace."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from domain.policy import Policy
from domain.progress import year_progress
from domain.reports import relevant_periods
from locales import Translator
from services.reports import _covers, period_label
from storage.repositories import Repos


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


async def collect(repos: Repos, policy: Policy, t: Translator, since: date, until: date,
                  county: str | None = None) -> Digest:
    """The figures between two dates (inclusive); a county admin's digest covers their county."""
    digest = Digest(since, until)
    for visit, answer in await repos.visits.with_answers_between(since, until):
        if county is not None and visit.enterprise.county != county:
            continue
        digest.visits += 1
        digest.by_county[visit.enterprise.county or "—"] += 1
        who = f"#{visit.id} {visit.commissioner.name} → {visit.enterprise.name}"
        if answer == "disputed":
            digest.disputed.append(who)
        elif visit.evidence_status == "flagged":
            digest.flagged.append(who)
    agreements = await repos.feedback.active_agreements(until)
    done = await repos.reports.submitted()
    by_commissioner: dict[int, list] = {}
    for a in agreements:
        if county is None or a.commissioner.county == county:
            by_commissioner.setdefault(a.commissioner_id, []).append(a)
    counts = Counter(await repos.visits.commissioner_ids_between(date(until.year, 1, 1), until))
    for commissioner_id, agreed in sorted(by_commissioner.items()):
        c = agreed[0].commissioner
        for cycle in policy.report_cycles:
            for period in relevant_periods(cycle, until):
                if period.is_overdue(until) and _covers(agreed, period) and \
                        (commissioner_id, cycle.key, period.key) not in done:
                    digest.overdue.append(f"{c.name}（{c.code}）{period_label(t, cycle, period)}")
        progress = year_progress(policy, until, counts[commissioner_id], 0)
        if progress.behind_pace:
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
        t("digest.title", since=digest.since.isoformat(), until=digest.until.isoformat()),
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


def monthly_html(t: Translator, digest: Digest) -> str:
    """The month's digest as a small HTML page (made into a PDF by services.dossier.to_pdf)."""
    from services.dossier import (
        stylesheet,  # the dossier module brings WeasyPrint's helpers
    )

    body = "".join(f"<p>{escape(line)}</p>" if not line.startswith("  ") else f"<p class='muted'>{escape(line)}</p>"
                   for line in weekly_text(t, digest, limit=200).split("\n"))
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{stylesheet()}</style></head><body>{body}</body></html>"
