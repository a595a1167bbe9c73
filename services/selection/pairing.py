"""Two-way interest (双向选择) and the bureau's confirmation of a pairing."""
from __future__ import annotations

from domain import selection as rules
from domain.matching import Candidate
from domain.roles import Role
from domain.selection import PairingStatus
from messages import recipients
from messages import selection as say
from services import matching
from services.selection.context import Context, SelectionError, parties, publicity_audience
from services.selection.discovery import candidate
from services.selection.signing import start_signing
from storage.models import Pairing


async def express_interest(ctx: Context, *, need_id: int, commissioner_id: int, side: str) -> Pairing:
    """One side chooses the other (双向选择). Side "c": the commissioner chooses the need; "e": the
    enterprise's contact chooses the commissioner. When both have chosen, the bureau is asked."""
    repos = ctx.repos
    need = await repos.selection.need(need_id)
    if need is None:
        raise SelectionError("unknown_need")
    if side == "c" and commissioner_id not in ctx.ids(Role.COMMISSIONER, "commissioner_id"):
        raise SelectionError("not_party")
    if side == "e" and need.enterprise_id not in ctx.ids(Role.ENTERPRISE, "enterprise_id"):
        raise SelectionError("not_party")
    if side not in ("c", "e"):
        raise SelectionError("not_party")
    if need.status != "open":
        raise SelectionError("need_closed")
    chosen = await candidate(ctx, commissioner_id)
    if chosen is None:
        raise SelectionError("not_eligible")
    now = ctx.clock.now()
    pairing = await repos.selection.pairing_for(need.id, commissioner_id)
    if pairing is None:
        pairing = Pairing(need_id=need.id, commissioner_id=commissioner_id, status=PairingStatus.INTEREST.value,
                          created_at=now, unit_signs=False)
        repos.selection.add(pairing)
        await repos.selection.flush()
        await repos.session.refresh(pairing)
    if pairing.status != PairingStatus.INTEREST:
        raise SelectionError("already_confirmed" if pairing.status != PairingStatus.REJECTED else "was_rejected")
    column = "commissioner_interest_at" if side == "c" else "enterprise_interest_at"
    if getattr(pairing, column) is not None:
        raise SelectionError("already_interested")
    setattr(pairing, column, now)
    repos.audit.record(now, ctx.actor, "selection.interest", "pairing", pairing.id, need=need.id,
                       commissioner=commissioner_id, side="commissioner" if side == "c" else "enterprise")
    notices = ctx.notices
    if rules.can_confirm(pairing.commissioner_interest_at is not None, pairing.enterprise_interest_at is not None):
        for admin in await recipients.bureau_admins(repos):
            await say.ask_bureau(notices, admin, pairing, chosen)
    elif side == "c":
        for contact in await recipients.enterprise_contacts(repos, need.enterprise_id):
            await say.ask_enterprise(notices, contact, pairing)
    else:
        for account in await recipients.commissioner_accounts(repos, commissioner_id):
            await say.ask_commissioner(notices, account, pairing)
    return pairing


async def ready_pairings(ctx: Context) -> list[tuple[Pairing, Candidate | None]]:
    """Pairings both sides chose, waiting for the bureau, each with the commissioner's load and
    capacity (None: no longer selectable)."""
    rows = await ctx.repos.selection.pairings(statuses=(PairingStatus.INTEREST,))
    by_id = {c.id: c for c in await matching.candidates(ctx.repos, ctx.policy, ctx.today)}
    return [(p, by_id.get(p.commissioner_id)) for p in rows
            if rules.can_confirm(p.commissioner_interest_at is not None, p.enterprise_interest_at is not None)]


async def decide_pairing(ctx: Context, *, pairing_id: int, approve: bool) -> Pairing:
    """The bureau confirms (→ publicity, or signing where the policy has none) or rejects."""
    repos = ctx.repos
    pairing = await ctx.for_bureau(repos.selection.pairing, pairing_id, "unknown_pairing")
    if pairing.status != PairingStatus.INTEREST:
        raise SelectionError("already_decided")
    if approve and not rules.can_confirm(pairing.commissioner_interest_at is not None,
                                         pairing.enterprise_interest_at is not None):
        raise SelectionError("one_sided")
    if approve and pairing.need.status != "open":
        raise SelectionError("need_closed")
    now = ctx.clock.now()
    pairing.confirmed_by, pairing.confirmed_at = ctx.actor, now
    if not approve:
        pairing.status = PairingStatus.REJECTED.value
        repos.audit.record(now, ctx.actor, "selection.reject", "pairing", pairing.id, need=pairing.need_id)
        for person in await parties(repos, pairing):
            await say.tell_rejected(ctx.notices, person, pairing)
        return pairing
    period = rules.publicity_period(ctx.today, ctx.policy.selection.notice_working_days,
                                 ctx.policy.selection.work_calendar())
    repos.audit.record(now, ctx.actor, "selection.confirm", "pairing", pairing.id, need=pairing.need_id,
                       notice_end=period[1].isoformat() if period else None)
    if period is None:
        await start_signing(ctx.repos, ctx.notices, pairing)
        return pairing
    pairing.status = PairingStatus.PUBLICITY.value
    pairing.notice_start, pairing.notice_end = period
    for person in await publicity_audience(repos, pairing):
        await say.announce_publicity(ctx.notices, person, pairing)
    return pairing
