"""Every party signs in the bot; the last signature makes (or extends) the agreement."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain import selection as rules
from domain.roles import Role
from domain.selection import PairingStatus, Party
from messages import recipients
from messages import selection as say
from messages.notices import Notices
from services.selection.context import Context, SelectionError, signers_of
from storage.models import Agreement, Pairing, User
from storage.repositories import Repos


async def start_signing(repos: Repos, notices: Notices, pairing: Pairing) -> None:
    """The dispatching unit signs where the policy says so and its contact is registered."""
    pairing.status = PairingStatus.SIGNING.value
    pairing.unit_signs = bool(notices.policy.selection.unit_signs
                              and await recipients.unit_contacts(repos, pairing.commissioner.unit_id))
    for party, people in (await signers_of(repos, pairing)).items():
        for person in people:
            await say.ask_to_sign(notices, person, pairing, party.value)


def _signed(pairing: Pairing) -> dict[Party, bool]:
    return {Party.COMMISSIONER: pairing.signed_commissioner_at is not None,
            Party.ENTERPRISE: pairing.signed_enterprise_at is not None,
            Party.UNIT: pairing.signed_unit_at is not None}


def _parties_of(ctx: Context, pairing: Pairing) -> set[Party]:
    mine = set()
    if pairing.commissioner_id in ctx.ids(Role.COMMISSIONER, "commissioner_id"):
        mine.add(Party.COMMISSIONER)
    if pairing.need.enterprise_id in ctx.ids(Role.ENTERPRISE, "enterprise_id"):
        mine.add(Party.ENTERPRISE)
    if pairing.unit_signs and pairing.commissioner.unit_id in ctx.ids(Role.UNIT, "unit_id"):
        mine.add(Party.UNIT)
    return mine


@dataclass(frozen=True)
class Signed:
    pairing: Pairing
    parties: tuple[Party, ...]  # signed by this tap
    missing: tuple[Party, ...]  # still to sign
    agreement: Agreement | None  # made by this tap, when it was the last signature


async def sign(ctx: Context, *, pairing_id: int) -> Signed:
    """One tap per party (三方签订 where the unit signs); the last signature starts the agreement."""
    repos = ctx.repos
    pairing = await repos.selection.pairing(pairing_id)
    if pairing is None:
        raise SelectionError("unknown_pairing")
    mine = _parties_of(ctx, pairing)
    if not mine:
        raise SelectionError("not_party")
    if pairing.status != PairingStatus.SIGNING:
        raise SelectionError("already_agreed" if pairing.status == PairingStatus.AGREED else "not_signing")
    now = ctx.clock.now()
    required = rules.signers(pairing.unit_signs)
    todo = tuple(p for p in rules.missing_signatures(required, _signed(pairing)) if p in mine)
    if not todo:
        raise SelectionError("already_signed")
    for party in todo:
        setattr(pairing, f"signed_{party.value}_at", now)
    repos.audit.record(now, ctx.actor, "selection.sign", "pairing", pairing.id, parties=[p.value for p in todo])
    missing = rules.missing_signatures(required, _signed(pairing))
    agreement = None if missing else await _make_agreement(ctx, pairing)
    return Signed(pairing, todo, missing, agreement)


async def _make_agreement(ctx: Context, pairing: Pairing) -> Agreement:
    """The agreement the signatures make. Where the pair already has one in force, the need joins
    it (its help is added to the targets) rather than a second, overlapping agreement."""
    repos, now = ctx.repos, ctx.clock.now()
    enterprise_id, wanted = pairing.need.enterprise_id, pairing.need.expected_help
    current = next((a for a in await repos.people.agreements_in_force(pairing.commissioner_id, ctx.today)
                    if a.enterprise_id == enterprise_id), None)
    if current is not None:
        agreement = current
        agreement.targets = "\n".join(part for part in (agreement.targets, wanted) if part)
        action = "agreement.extend"
    else:
        start, end = rules.agreement_term(ctx.today, ctx.policy.selection.term_months)
        agreement = await new_agreement(repos, pairing.commissioner_id, enterprise_id, start, end, wanted)
        action = "agreement.start"
    pairing.status, pairing.agreement_id = PairingStatus.AGREED.value, agreement.id
    pairing.need.status = "matched"
    commissioner = pairing.commissioner
    became_active = commissioner.status == "applicant"
    if became_active:
        commissioner.status = "active"  # selected: an applicant becomes a commissioner
    repos.audit.record(now, "system", action, "agreement", agreement.id, pairing=pairing.id, need=pairing.need_id,
                       start=agreement.start_date.isoformat(), end=agreement.end_date.isoformat(),
                       commissioner_activated=became_active)
    for person in await _signed_audience(repos, pairing):
        await say.tell_agreed(ctx.notices, person, agreement)
    return agreement


async def new_agreement(repos: Repos, commissioner_id: int, enterprise_id: int, start: date, end: date,
                         targets: str | None) -> Agreement:
    """An active agreement; one the pair already has from the same day (imported, say) is taken over."""
    same = next((a for a in await repos.people.agreements_of(commissioner_id=commissioner_id)
                 if a.enterprise_id == enterprise_id and a.start_date == start), None)
    if same is not None:
        same.end_date, same.status, same.targets = end, "active", targets
        return same
    agreement = Agreement(commissioner_id=commissioner_id, enterprise_id=enterprise_id, start_date=start,
                          end_date=end, status="active", targets=targets)
    repos.selection.add(agreement)
    await repos.selection.flush()
    await repos.session.refresh(agreement)
    return agreement


async def _signed_audience(repos: Repos, pairing: Pairing) -> list[User]:
    people = [u for group in (await signers_of(repos, pairing)).values() for u in group]
    return recipients.each_once(people + await recipients.bureau_admins(repos))


async def awaiting_signature(ctx: Context) -> list[Pairing]:
    """Pairings in signing this person still has to sign."""
    out = []
    for pairing in await ctx.repos.selection.pairings(statuses=(PairingStatus.SIGNING,)):
        missing = rules.missing_signatures(rules.signers(pairing.unit_signs), _signed(pairing))
        if set(missing) & _parties_of(ctx, pairing):
            out.append(pairing)
    return out
