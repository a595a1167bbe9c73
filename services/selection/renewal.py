"""Renewal (续签) offered before an agreement ends; both parties' yes makes the next one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from domain import selection as rules
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from domain.selection import Party
from messages import recipients
from messages import selection as say
from messages.notices import Notices
from services.selection.context import Context, SelectionError
from services.selection.signing import new_agreement
from storage.models import Agreement
from storage.repositories import Repos


async def offer_renewals(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> int:
    """A scheduler job: agreements ending within `renewal_days` are offered for renewal to both
    parties (once each: the outbox key). Not to a commissioner who is no longer active."""
    today = local_today(clock, zone)
    horizon = today + timedelta(days=policy.selection.renewal_days)
    notices = Notices(repos, clock, policy, zone)
    queued = 0
    for agreement in await repos.selection.renewable(today, horizon):
        if agreement.commissioner.status != "active" or await _successor(repos, agreement) is not None:
            continue
        for person in await recipients.pair_accounts(repos, agreement.commissioner_id, agreement.enterprise_id):
            queued += await say.offer_renewal(notices, person, agreement)
    return queued


async def _successor(repos: Repos, agreement: Agreement) -> Agreement | None:
    """The renewal of `agreement`, if it was made: the same pair, starting the day after it ends."""
    later = await repos.people.agreements_of(commissioner_id=agreement.commissioner_id)
    return next((a for a in later if a.enterprise_id == agreement.enterprise_id
                 and a.start_date == agreement.end_date + timedelta(days=1)), None)


@dataclass(frozen=True)
class RenewalAnswer:
    agreement: Agreement
    accepted: bool
    renewed: Agreement | None  # made by this answer, when both parties have said yes


async def answer_renewal(ctx: Context, *, agreement_id: int, accept: bool) -> RenewalAnswer:
    repos = ctx.repos
    agreement = await repos.people.get(Agreement, agreement_id)
    if agreement is None:
        raise SelectionError("unknown_agreement")
    party = None
    if agreement.commissioner_id in ctx.ids(Role.COMMISSIONER, "commissioner_id"):
        party = Party.COMMISSIONER
    elif agreement.enterprise_id in ctx.ids(Role.ENTERPRISE, "enterprise_id"):
        party = Party.ENTERPRISE
    if party is None:
        raise SelectionError("not_party")
    if agreement.status != "active" or not rules.renewal_open(ctx.today, agreement.end_date,
                                                              ctx.policy.selection.renewal_days):
        raise SelectionError("renewal_closed")
    if await _successor(repos, agreement) is not None:
        raise SelectionError("already_renewed")
    column, declined = f"renew_{party.value}_at", f"renew_{party.value}_declined_at"
    if getattr(agreement, column) is not None or getattr(agreement, declined) is not None:
        raise SelectionError("already_answered")  # one answer per party: a no is told once
    now = ctx.clock.now()
    repos.audit.record(now, ctx.actor, "agreement.renewal_" + ("yes" if accept else "no"), "agreement",
                       agreement.id, party=party.value)
    others = [u for u in await recipients.pair_accounts(repos, agreement.commissioner_id, agreement.enterprise_id)
              if u.id != ctx.user.id]
    by = ctx.user.full_name or ctx.actor
    if not accept:
        setattr(agreement, declined, now)
        for person in others:
            await say.tell_renewal(ctx.notices, person, agreement, "declined", by)
        return RenewalAnswer(agreement, False, None)
    setattr(agreement, column, now)
    if agreement.renew_commissioner_at is None or agreement.renew_enterprise_at is None:
        return RenewalAnswer(agreement, True, None)
    start, end = rules.renewal_term(agreement.end_date, ctx.policy.selection.term_months)
    renewed = await new_agreement(repos, agreement.commissioner_id, agreement.enterprise_id, start, end,
                                   agreement.targets)
    repos.audit.record(now, "system", "agreement.renewed", "agreement", renewed.id, previous=agreement.id,
                       start=start.isoformat(), end=end.isoformat())
    for person in others:
        await say.tell_renewal(ctx.notices, person, agreement, "renewed", by, renewed)
    return RenewalAnswer(agreement, True, renewed)
