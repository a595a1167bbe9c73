"""Progress reports: which periods a commissioner owes, the draft the bot writes from what is
stored, submission, and delivery to the policy's recipients (county admins or the unit)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from domain.clock import Clock, local_today
from domain.policy import Policy, ReportCycle
from domain.reports import Period, periods, relevant_periods
from locales import Translator
from messages.recipients import bureau_admins, county_admins, unit_contacts
from storage.models import Agreement, Commissioner, Report, User
from storage.repositories import Repos


MAX_REPORT_TEXT = 3500  # a Telegram message holds 4096 characters; the header needs the rest


@dataclass(frozen=True)
class Owed:
    cycle: ReportCycle
    period: Period


def _covers(agreements: list[Agreement], period: Period) -> bool:
    return any(a.status in ("active", "ended") and a.start_date <= period.end and a.end_date >= period.start
               for a in agreements)


async def owed(repos: Repos, policy: Policy, commissioner_id: int, today: date) -> list[Owed]:
    """Periods whose window is open or past, that the commissioner's agreements cover, unreported."""
    agreements = await repos.people.agreements_of(commissioner_id=commissioner_id)
    done = await repos.reports.submitted([commissioner_id])
    return [Owed(cycle, period) for cycle in policy.report_cycles for period in relevant_periods(cycle, today)
            if _covers(agreements, period) and (commissioner_id, cycle.key, period.key) not in done]


def period_label(t: Translator, cycle: ReportCycle, period: Period) -> str:
    name = cycle.en if t.lang == "en" else cycle.zh
    return t("report.period", name=name, key=period.key, start=period.start, end=period.end)


async def draft_text(repos: Repos, policy: Policy, t: Translator, commissioner_id: int, owed_: Owed) -> str:
    """The report as far as Tepai knows it: visits by enterprise and kind, evidence, answers.

    Plain text, like a report the commissioner writes: escaped only where it is shown as HTML.
    """
    t = Translator(t.lang)  # no markup: names stay as they are
    period = owed_.period
    visits = await repos.visits.between(commissioner_id, period.start, period.end)
    kinds = {k.key: k.text(t.lang) for k in policy.service_kinds}
    by_enterprise: dict[str, Counter] = defaultdict(Counter)
    for v in visits:
        by_enterprise[v.enterprise.name][kinds.get(v.kind, v.kind)] += 1
    modes = Counter(v.mode for v in visits)
    statuses = Counter(v.evidence_status for v in visits)
    lines = [period_label(t, owed_.cycle, period), "",
             t("report.draft_services", total=len(visits), on_site=modes["on_site"], online=modes["online"],
               enterprises=len(by_enterprise))]
    for enterprise, counts in sorted(by_enterprise.items()):
        lines.append(t("report.draft_enterprise", enterprise=enterprise,
                       kinds=t("report.draft_join").join(f"{k} {n}" for k, n in counts.most_common())))
    lines.append(t("report.draft_evidence", verified=statuses["verified"], noted=statuses["noted"],
                   flagged=sum(1 for v in visits if v.flagged)))
    answers = [await repos.feedback.by_visit(v.id) for v in visits]
    ratings = [a.rating for a in answers if a and a.rating]
    confirmed = sum(1 for a in answers if a and a.status == "confirmed")
    disputed = sum(1 for a in answers if a and a.status == "disputed")
    mean = f"{sum(ratings) / len(ratings):.1f}" if ratings else "—"
    lines.append(t("report.draft_feedback", confirmed=confirmed, disputed=disputed, mean=mean))
    lines.append(t("report.draft_outcomes"))
    lines.append(t("report.draft_next"))
    return "\n".join(lines)


async def submit(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, commissioner_id: int,
                 user_id: int, owed_: Owed, text: str, attachments: list[dict]) -> Report:
    today = local_today(clock, zone)
    report = await repos.reports.add(Report(
        commissioner_id=commissioner_id, cycle=owed_.cycle.key, period=owed_.period.key, text=text.strip(),
        attachments=attachments, submitted_at=clock.now(), due_on=owed_.period.due,
        late=today > owed_.period.due, author_user_id=user_id))
    repos.audit.record(clock.now(), f"user:{user_id}", "report.submit", "report", report.id,
                       cycle=report.cycle, period=report.period, late=report.late)
    await repos.session.refresh(report, ["commissioner"])
    return report


async def recipients(repos: Repos, cycle: ReportCycle, commissioner: Commissioner) -> list[User]:
    if cycle.recipient == "county":
        return await county_admins(repos, commissioner.county)
    if cycle.recipient == "unit":
        return await unit_contacts(repos, commissioner.unit_id)
    if cycle.recipient == "bureau":
        return await bureau_admins(repos)
    return []


async def deliver(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, cycle: ReportCycle, report: Report,
                  documents: tuple[dict, ...]) -> int:
    """Queue the report for each recipient, with its attachments; the number of recipients."""
    from messages.notices import Notices  # it brings aiogram: dossiers and the CLI use this module without it

    notices = Notices(repos, clock, policy, zone)
    people = await recipients(repos, cycle, report.commissioner)
    for person in people:
        t = notices.t(person)
        submitted_on = report.submitted_at.astimezone(notices.zone).date()  # the local day, as the author saw it
        days_late = (submitted_on - report.due_on).days if report.late else 0
        head = t("report.delivered", name=report.commissioner.name, code=report.commissioner.code,
                 label=period_label(t, cycle, _period_of(cycle, report)),
                 timing=t("report.late", days=days_late) if report.late else t("report.on_time"))
        await notices.queue(f"report:{report.id}:{person.id}", person,
                            f"{head}\n\n{escape(report.text[:MAX_REPORT_TEXT], quote=False)}", documents=documents)
    return len(people)


def _period_of(cycle: ReportCycle, report: Report) -> Period:
    year = int(report.period[:4])
    return next(p for p in periods(cycle, year) if p.key == report.period)
