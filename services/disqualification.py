"""取消资格 (Yangquan 第十六条; Jincheng 第二十一条): the bureau disqualifies a commissioner for one of
the policy's reasons. Their agreements end, their open pairings are rejected, they are barred from
selection until 31 December of a later year, subsidies are marked for recovery where the policy
says so, and Tepai stops prompting them. Audited; the people concerned are told."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from domain import changes as rules
from domain.clock import Clock, local_today
from domain.policy import Policy
from messages import changes as change_notices
from messages import recipients
from messages.notices import Notices
from services.errors import Refusal
from storage.models import Agreement, Commissioner, Disqualification
from storage.repositories import Repos

ENDING_STATUSES = ("active", "pending")


class DisqualifyError(Refusal):
    """`reason` names a `disqualify.error_*` text."""


@dataclass(frozen=True)
class Preview:
    """What disqualifying would do, for the bureau to confirm."""

    commissioner: Commissioner
    agreements: list[Agreement]  # to be ended
    barred_until: date
    recover_subsidies: bool


async def preview(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, code: str) -> Preview:
    commissioner = await repos.people.by_code(Commissioner, code)
    if commissioner is None:
        raise DisqualifyError("unknown_commissioner")
    return await _preview(repos, clock, policy, zone, commissioner)


async def preview_of(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *,
                     commissioner_id: int) -> Preview:
    commissioner = await repos.people.get(Commissioner, commissioner_id)
    if commissioner is None:
        raise DisqualifyError("unknown_commissioner")
    return await _preview(repos, clock, policy, zone, commissioner)


async def _preview(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, commissioner: Commissioner) -> Preview:
    if commissioner.status == "disqualified":
        raise DisqualifyError("already")
    today = local_today(clock, zone)
    rules_ = policy.disqualification
    agreements = [a for a in await repos.people.agreements_of(commissioner_id=commissioner.id)
                  if a.status in ENDING_STATUSES]
    return Preview(commissioner, agreements, rules.barred_until(today, rules_.bar_years), rules_.recover_subsidies)


async def disqualify(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, code: str, reason_key: str,
                     note: str = "", actor: str) -> Disqualification:
    """Disqualify the commissioner with this code (the caller commits)."""
    if reason_key not in {r.key for r in policy.disqualification.reasons}:
        raise DisqualifyError("unknown_reason")
    plan = await preview(repos, clock, policy, zone, code=code)
    commissioner, now = plan.commissioner, clock.now()
    today = now.astimezone(zone).date()
    changes = repos.changes
    for a in plan.agreements:
        a.status, a.end_date = "terminated", rules.ended_on(a.start_date, a.end_date, today)
        for request in await changes.pending(a.id):  # nothing left to change
            await changes.claim(request.id, rules.ChangeStatus.REJECTED.value, actor, now, "disqualified")
    pairings = await repos.selection.reject_open_pairings(commissioner_id=commissioner.id)
    commissioner.status, commissioner.barred_until = "disqualified", plan.barred_until
    reason = next(r for r in policy.disqualification.reasons if r.key == reason_key)
    row = Disqualification(commissioner_id=commissioner.id, reason=reason_key, article=reason.article,
                           note=rules.clean(note), decided_by=actor, decided_at=now, barred_until=plan.barred_until,
                           recover_subsidies=plan.recover_subsidies, agreements_ended=[a.id for a in plan.agreements])
    row.commissioner = commissioner
    changes.add(row)
    await changes.flush()
    repos.audit.record(now, actor, "commissioner.disqualify", "commissioner", commissioner.id,
                       reason=reason_key, article=reason.article, note=row.note,
                       barred_until=plan.barred_until.isoformat(), recover_subsidies=plan.recover_subsidies,
                       agreements_ended=row.agreements_ended, pairings_rejected=[p.id for p in pairings])
    notices = Notices(repos, clock, policy, zone)
    for person in await _told(repos, commissioner, plan.agreements):
        await change_notices.tell_disqualified(notices, person, commissioner, row)
    return row


async def _told(repos: Repos, commissioner: Commissioner, agreements: list[Agreement]) -> list:  # list[User]
    """The commissioner, the contacts of their enterprises, and the admins of the counties concerned."""
    people = await recipients.commissioner_accounts(repos, commissioner.id)
    counties = {commissioner.county}
    for a in agreements:
        people += await recipients.enterprise_contacts(repos, a.enterprise_id)
        counties.add(a.enterprise.county)
    for county in sorted(c for c in counties if c):
        people += await recipients.county_admins(repos, county)
    return recipients.each_once(people)
