"""Publicity (公示) of confirmed pairings, objections to them, and the close of the period."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain import selection as rules
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.selection import PairingStatus
from messages import recipients
from messages import selection as say
from messages.notices import Notices
from services.selection.context import Context, SelectionError, parties, user_id_of
from services.selection.signing import start_signing
from storage.models import Objection, Pairing
from storage.repositories import Repos


async def in_publicity(repos: Repos) -> list[Pairing]:
    """The publicity list: pairings in publicity or held by an objection."""
    return await repos.selection.pairings(statuses=(PairingStatus.PUBLICITY, PairingStatus.HELD))


async def open_to_objection(ctx: Context, pairing_id: int) -> Pairing:
    """The pairing `ctx`'s person may object to: anyone registered, while the publicity runs, once."""
    if not ctx.grants:
        raise SelectionError("not_registered")
    pairing = await ctx.repos.selection.pairing(pairing_id)
    if pairing is None:
        raise SelectionError("unknown_pairing")
    if not rules.may_object(pairing.status, ctx.today, pairing.notice_end):
        raise SelectionError("not_on_notice")
    if await ctx.repos.selection.objection_by(pairing.id, ctx.actor) is not None:
        raise SelectionError("already_objected")
    return pairing


async def file_objection(ctx: Context, *, pairing_id: int, reason: str) -> Objection:
    """Anyone registered may object while the publicity runs, once per pairing; the pairing is held
    until the bureau decides."""
    repos = ctx.repos
    pairing = await open_to_objection(ctx, pairing_id)
    if (problem := rules.objection_problem(reason)) is not None:
        raise SelectionError(problem)
    now = ctx.clock.now()
    row = Objection(pairing_id=pairing.id, filed_by=ctx.actor, reason=reason.strip(), filed_at=now)
    row.pairing = pairing
    repos.selection.add(row)
    await repos.selection.flush()
    pairing.status = PairingStatus.HELD.value
    repos.audit.record(now, ctx.actor, "selection.object", "objection", row.id, pairing=pairing.id)
    for admin in await recipients.bureau_admins(repos):
        await say.ask_bureau_objection(ctx.notices, admin, row, ctx.user.full_name or ctx.actor)
    return row


async def decide_objection(ctx: Context, *, objection_id: int, uphold: bool) -> Objection:
    """Upheld: the pairing is rejected. Dismissed: once no objection is pending, the publicity runs on
    (or signing starts if it is over)."""
    repos = ctx.repos
    row = await ctx.for_bureau(repos.selection.objection, objection_id, "unknown_objection")
    if row.decision is not None:
        raise SelectionError("already_decided")
    now = ctx.clock.now()
    row.decision, row.decided_by, row.decided_at = ("upheld" if uphold else "dismissed"), ctx.actor, now
    pairing = row.pairing
    repos.audit.record(now, ctx.actor, f"selection.objection_{row.decision}", "objection", row.id,
                       pairing=pairing.id)
    told = await parties(repos, pairing)
    if (objector := user_id_of(row.filed_by)) is not None:
        told += await repos.users.by_ids([objector])
    for person in recipients.each_once(told):
        await say.tell_objection_decided(ctx.notices, person, row)
    if pairing.status != PairingStatus.HELD:
        return row
    if uphold:
        pairing.status = PairingStatus.REJECTED.value
        return row
    if not [o for o in await repos.selection.pending_objections(pairing.id) if o.id != row.id]:
        if rules.publicity_over(ctx.today, pairing.notice_end):
            await start_signing(repos, ctx.notices, pairing)
        else:
            pairing.status = PairingStatus.PUBLICITY.value
    return row


async def close_publicity(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> int:
    """A scheduler job: notices over without objection go to signing. Returns how many did."""
    today = local_today(clock, zone)
    notices = Notices(repos, clock, policy, zone)
    done = 0
    for pairing in await repos.selection.pairings(statuses=(PairingStatus.PUBLICITY,)):
        if rules.publicity_over(today, pairing.notice_end):
            await start_signing(repos, notices, pairing)
            repos.audit.record(clock.now(), "scheduler", "selection.notice_over", "pairing", pairing.id)
            done += 1
    return done
