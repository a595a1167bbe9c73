"""Reminders Tepai sends on its own: report windows and deadlines, overdue escalation, pace,
agreements about to end. Each is queued with a key, so running this twice sends nothing twice."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.progress import year_progress
from domain.reports import relevant_periods
from messages import recipients
from messages.notices import Notices
from services.reports import _covers, period_label
from storage.models import Agreement, Commissioner, Enterprise
from storage.repositories import Repos

REPORTS_AFTER_END = timedelta(days=90)  # the longest a report stays owed after its agreement ends


async def reminders_tick(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> dict[str, int]:
    """Queue every reminder due today (the caller commits)."""
    today = local_today(clock, zone)
    notices = Notices(repos, clock, policy, zone)
    # A disqualified commissioner is prompted no more (their agreements are terminated too).
    agreements = [a for a in await repos.feedback.active_agreements(today) if a.commissioner.status == "active"]
    by_commissioner: dict[int, list[Agreement]] = defaultdict(list)
    for a in agreements:
        by_commissioner[a.commissioner_id].append(a)
    # Reports are owed after an agreement ends too (Q4 and year-end reports are due in January).
    reporting: dict[int, list[Agreement]] = defaultdict(list)
    for a in await repos.assessment.agreements_in(today - REPORTS_AFTER_END, today):
        if a.commissioner.status == "active":
            reporting[a.commissioner_id].append(a)
    counts = {"report": 0, "overdue": 0, "escalated": 0, "pace": 0, "ending": 0}
    await _reports(repos, notices, policy, today, reporting, counts)
    await _pace(repos, notices, policy, today, by_commissioner, counts)
    await _ending(repos, notices, policy, today, agreements, counts)
    return counts


async def _reports(repos: Repos, notices: Notices, policy: Policy, today: date,
                   by_commissioner: dict[int, list[Agreement]], counts: dict[str, int]) -> None:
    done = await repos.reports.submitted(list(by_commissioner))
    overdue_by_county: dict[tuple[str, str, str], list[Commissioner]] = defaultdict(list)
    for commissioner_id, agreements in by_commissioner.items():
        commissioner = agreements[0].commissioner
        people = await recipients.commissioner_accounts(repos, commissioner_id)
        for cycle in policy.report_cycles:
            for period in relevant_periods(cycle, today):
                if not _covers(agreements, period) or (commissioner_id, cycle.key, period.key) in done:
                    continue
                reminder = period.reminder_on(today)
                for user in people:
                    t = notices.t(user)
                    label = period_label(t, cycle, period)
                    if reminder is not None:
                        counts["report"] += await notices.queue(
                            f"report-reminder:{commissioner_id}:{cycle.key}:{period.key}:{reminder}:{user.id}", user,
                            t(f"report.reminder_{reminder.value}", label=label, due=period.due))
                    if period.is_overdue(today):
                        counts["overdue"] += await notices.queue(
                            f"report-overdue:{commissioner_id}:{cycle.key}:{period.key}:{user.id}", user,
                            t("report.overdue", label=label, due=period.due))
                if period.is_overdue(today):
                    overdue_by_county[(commissioner.county or "", cycle.key, period.key)].append(commissioner)
    for (county, cycle_key, period_key), late in overdue_by_county.items():
        cycle = next(c for c in policy.report_cycles if c.key == cycle_key)
        period = next(p for p in relevant_periods(cycle, today) if p.key == period_key)
        for admin in await recipients.county_admins(repos, county):
            t = notices.t(admin)
            names = t("report.list_join").join(f"{c.name}（{c.code}）" if t.lang == "zh" else f"{c.name} ({c.code})"
                                               for c in sorted(late, key=lambda c: c.code))
            counts["escalated"] += await notices.queue(
                f"report-overdue-county:{county}:{cycle_key}:{period_key}:{admin.id}", admin,
                t("report.overdue_county", county=county, label=period_label(t, cycle, period),
                  due=period.due, count=len(late), names=names))


async def _pace(repos: Repos, notices: Notices, policy: Policy, today: date,
                by_commissioner: dict[int, list[Agreement]], counts: dict[str, int]) -> None:
    if policy.min_services_per_year is None or today.day < policy.notifications.pace_day:
        return
    for commissioner_id, agreements in by_commissioner.items():
        visits = await repos.visits.between(commissioner_id, date(today.year, 1, 1), today)
        served = {v.enterprise_id for v in visits}
        progress = year_progress(policy, today, len(visits), len(served))
        if not progress.behind_pace:
            continue
        missing = sorted({a.enterprise.name for a in agreements if a.enterprise_id not in served})
        for user in await recipients.commissioner_accounts(repos, commissioner_id):
            t = notices.t(user)
            text = t("report.pace", done=progress.services, expected=progress.expected_by_today,
                     target=progress.services_target)
            if missing:
                text += "\n" + t("report.pace_missing", enterprises=t("report.list_join").join(missing))
            counts["pace"] += await notices.queue(f"pace:{commissioner_id}:{today:%Y-%m}:{user.id}", user, text)


async def _ending(repos: Repos, notices: Notices, policy: Policy, today: date, agreements: list[Agreement],
                  counts: dict[str, int]) -> None:
    horizon = today + timedelta(days=policy.notifications.agreement_ending_days)
    for a in agreements:
        if not today <= a.end_date <= horizon:
            continue
        enterprise = await repos.people.get(Enterprise, a.enterprise_id)
        people = (await recipients.commissioner_accounts(repos, a.commissioner_id)
                  + await recipients.enterprise_contacts(repos, a.enterprise_id)
                  + await recipients.county_admins(repos, enterprise.county if enterprise else None))
        for user in people:
            t = notices.t(user)
            counts["ending"] += await notices.queue(
                f"agreement-ending:{a.id}:{user.id}", user,
                t("report.agreement_ending", commissioner=a.commissioner.name, enterprise=a.enterprise.name,
                  end=a.end_date, days=(a.end_date - today).days))
