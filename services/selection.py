"""Two-way selection to a signed agreement, and its renewal (Yangquan 第十四条; Jincheng 第六–九条).

interest (either side) → the bureau confirms what both chose → public notice (公示) with objections
→ every party signs in the bot → the agreement starts; 30 days before its end both parties are
asked whether to renew. The rules are domain.selection's; this module stores, audits and tells.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from domain import selection as rules
from domain.clock import Clock
from domain.matching import Candidate, Match, rank
from domain.policy import Policy
from domain.roles import Role
from domain.selection import Party, PairingStatus
from scheduler import selection_notices as say
from scheduler.notices import Notices
from services import matching, notifications
from services.errors import Refusal
from storage.models import Agreement, Commissioner, Need, Objection, Pairing, RoleGrant, User
from storage.repositories import Repos


class SelectionError(Refusal):
    """A step that cannot be taken; `reason` names a `selection.error_*` text."""


@dataclass(frozen=True)
class Context:
    """Who acts, when, under which policy: what every step needs."""

    repos: Repos
    clock: Clock
    policy: Policy
    zone: ZoneInfo
    user: User
    grants: list[RoleGrant]

    @property
    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    @property
    def actor(self) -> str:
        return f"user:{self.user.id}"

    @property
    def notices(self) -> Notices:
        return Notices(self.repos, self.clock, self.policy, self.zone)

    def ids(self, role: Role, attr: str) -> set[int]:
        return {getattr(g, attr) for g in self.grants if g.role == role and getattr(g, attr) is not None}

    def has(self, role: Role) -> bool:
        return any(g.role == role for g in self.grants)

    def counties(self) -> set[str]:
        return {g.county for g in self.grants if g.role == Role.COUNTY and g.county}


def need_text(need: Need) -> str:
    return "\n".join((need.field, need.description, need.expected_help or ""))


# --- what each role sees ---------------------------------------------------------------------------

async def needs_for_admin(ctx: Context) -> list[Need]:
    """Open needs: all of them for the bureau, the county's for a county admin."""
    repos = ctx.repos
    if ctx.has(Role.BUREAU):
        return await repos.selection.needs(statuses=("open",))
    found: dict[int, Need] = {}
    for county in sorted(ctx.counties()):
        found.update((n.id, n) for n in await repos.selection.needs(statuses=("open",), county=county))
    return sorted(found.values(), key=lambda n: -n.id)


def _may_see(ctx: Context, need: Need) -> bool:
    return (ctx.has(Role.BUREAU) or need.enterprise.county in ctx.counties()
            or need.enterprise_id in ctx.ids(Role.ENTERPRISE, "enterprise_id"))


async def candidates_for(ctx: Context, need_id: int) -> tuple[Need, list[Match], list[Pairing]]:
    """A need's ranked candidates with the pairings so far, for admins and the enterprise itself."""
    need = await ctx.repos.selection.need(need_id)
    if need is None or not _may_see(ctx, need):
        raise SelectionError("unknown_need")
    matches = await matching.match_need(ctx.repos, ctx.policy, ctx.today, need_text(need), need.enterprise.county)
    pairings = await ctx.repos.selection.pairings(statuses=[s.value for s in PairingStatus], need_id=need.id)
    return need, matches, pairings


async def needs_for_commissioner(ctx: Context, commissioner_id: int, limit: int = 10) -> list[tuple[Need, Match]]:
    """Open needs this commissioner's profile fits, best first."""
    me = await _candidate(ctx, commissioner_id)
    if me is None:
        return []
    scored = []
    for need in await ctx.repos.selection.needs(statuses=("open",), limit=500):
        found = rank(need_text(need), need.enterprise.county, [me], 1)
        if found:
            scored.append((need, found[0]))
    scored.sort(key=lambda pair: (-pair[1].score, -pair[0].id))
    return scored[:limit]


async def _candidate(ctx: Context, commissioner_id: int) -> Candidate | None:
    """The commissioner as a candidate; None when they may not be selected (disqualified, barred)."""
    commissioner = await ctx.repos.people.get(Commissioner, commissioner_id)
    if commissioner is None:
        return None
    return next((c for c in await matching.candidates(ctx.repos, ctx.policy, ctx.today)
                 if c.code == commissioner.code), None)


MATCHES_TOLD = 3  # a new need goes to this many best-fitting commissioners with room left…
SHARED_TO_TELL = 2  # …who share at least this many terms with it (one common word is not a fit)


async def tell_best_matches(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, need: Need) -> int:
    """Two-way selection starts from both ends: a new need is also sent to the registered
    commissioners it fits best (not the full ones), each with a button to choose it."""
    today = clock.now().astimezone(zone).date()
    matches = [m for m in await matching.match_need(repos, policy, today, need_text(need), need.enterprise.county)
               if not m.full and len(m.shared) >= SHARED_TO_TELL][:MATCHES_TOLD]
    ids = {c.code: c.id for c in await repos.selection.candidates()}
    notices = Notices(repos, clock, policy, zone)
    told = 0
    for m in matches:
        for account in await notifications.commissioner_accounts(repos, ids[m.candidate.code]):
            told += await say.suggest_need(notices, account, need, ids[m.candidate.code], m)
    return told


# --- two-way interest and the bureau's confirmation ------------------------------------------------

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
    candidate = await _candidate(ctx, commissioner_id)
    if candidate is None:
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
        for admin in await notifications.bureau_admins(repos):
            await say.ask_bureau(notices, admin, pairing, candidate)
    elif side == "c":
        for contact in await notifications.enterprise_contacts(repos, need.enterprise_id):
            await say.ask_enterprise(notices, contact, pairing)
    else:
        for account in await notifications.commissioner_accounts(repos, commissioner_id):
            await say.ask_commissioner(notices, account, pairing)
    return pairing


async def ready_pairings(ctx: Context) -> list[tuple[Pairing, Candidate | None]]:
    """Pairings both sides chose, waiting for the bureau, each with the commissioner's load and
    capacity (None: no longer selectable)."""
    rows = await ctx.repos.selection.pairings(statuses=(PairingStatus.INTEREST,))
    by_code = {c.code: c for c in await matching.candidates(ctx.repos, ctx.policy, ctx.today)}
    return [(p, by_code.get(p.commissioner.code)) for p in rows
            if rules.can_confirm(p.commissioner_interest_at is not None, p.enterprise_interest_at is not None)]


async def decide_pairing(ctx: Context, *, pairing_id: int, approve: bool) -> Pairing:
    """The bureau confirms (→ public notice, or signing where the policy has no notice) or rejects."""
    if not ctx.has(Role.BUREAU):
        raise SelectionError("not_bureau")
    repos = ctx.repos
    pairing = await repos.selection.pairing(pairing_id)
    if pairing is None:
        raise SelectionError("unknown_pairing")
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
        for person in await _parties(repos, pairing):
            await say.tell_rejected(ctx.notices, person, pairing)
        return pairing
    period = rules.notice_period(ctx.today, ctx.policy.selection.notice_working_days, ctx.policy.selection.holidays)
    repos.audit.record(now, ctx.actor, "selection.confirm", "pairing", pairing.id, need=pairing.need_id,
                       notice_end=period[1].isoformat() if period else None)
    if period is None:
        await _start_signing(ctx.repos, ctx.notices, pairing)
        return pairing
    pairing.status = PairingStatus.NOTICE.value
    pairing.notice_start, pairing.notice_end = period
    for person in await _notice_audience(repos, pairing):
        await say.on_notice(ctx.notices, person, pairing)
    return pairing


async def _parties(repos: Repos, pairing: Pairing) -> list[User]:
    people = (await notifications.commissioner_accounts(repos, pairing.commissioner_id)
              + await notifications.enterprise_contacts(repos, pairing.need.enterprise_id))
    return list({u.id: u for u in people}.values())


async def _notice_audience(repos: Repos, pairing: Pairing) -> list[User]:
    """The notice list goes to the bureau, the enterprise's county and both parties."""
    people = (await notifications.bureau_admins(repos)
              + await notifications.county_admins(repos, pairing.need.enterprise.county)
              + await _parties(repos, pairing))
    return list({u.id: u for u in people}.values())


# --- the public notice and its objections ----------------------------------------------------------

async def on_notice(repos: Repos) -> list[Pairing]:
    """The notice list: pairings on notice or held by an objection."""
    return await repos.selection.pairings(statuses=(PairingStatus.NOTICE, PairingStatus.HELD))


async def file_objection(ctx: Context, *, pairing_id: int, reason: str) -> Objection:
    """Anyone registered may object while the notice runs; the pairing is held until the bureau decides."""
    if not ctx.grants:
        raise SelectionError("not_registered")
    repos = ctx.repos
    pairing = await repos.selection.pairing(pairing_id)
    if pairing is None:
        raise SelectionError("unknown_pairing")
    if not rules.may_object(pairing.status, ctx.today, pairing.notice_end):
        raise SelectionError("not_on_notice")
    if (problem := rules.objection_problem(reason)) is not None:
        raise SelectionError(problem)
    now = ctx.clock.now()
    row = Objection(pairing_id=pairing.id, filed_by=ctx.actor, reason=reason.strip(), filed_at=now)
    row.pairing = pairing
    repos.selection.add(row)
    await repos.selection.flush()
    pairing.status = PairingStatus.HELD.value
    repos.audit.record(now, ctx.actor, "selection.object", "objection", row.id, pairing=pairing.id)
    for admin in await notifications.bureau_admins(repos):
        await say.ask_bureau_objection(ctx.notices, admin, row, ctx.user.full_name or ctx.actor)
    return row


async def decide_objection(ctx: Context, *, objection_id: int, uphold: bool) -> Objection:
    """Upheld: the pairing is rejected. Dismissed: once no objection is pending, the notice runs on
    (or signing starts if it is over)."""
    if not ctx.has(Role.BUREAU):
        raise SelectionError("not_bureau")
    repos = ctx.repos
    row = await repos.selection.objection(objection_id)
    if row is None:
        raise SelectionError("unknown_objection")
    if row.decision is not None:
        raise SelectionError("already_decided")
    now = ctx.clock.now()
    row.decision, row.decided_by, row.decided_at = ("upheld" if uphold else "dismissed"), ctx.actor, now
    pairing = row.pairing
    repos.audit.record(now, ctx.actor, f"selection.objection_{row.decision}", "objection", row.id,
                       pairing=pairing.id)
    told = await _parties(repos, pairing)
    if (objector := _user_id(row.filed_by)) is not None:
        told += await repos.users.by_ids([objector])
    for person in {u.id: u for u in told}.values():
        await say.tell_objection_decided(ctx.notices, person, row)
    if pairing.status != PairingStatus.HELD:
        return row
    if uphold:
        pairing.status = PairingStatus.REJECTED.value
        return row
    if not [o for o in await repos.selection.pending_objections(pairing.id) if o.id != row.id]:
        if rules.notice_over(ctx.today, pairing.notice_end):
            await _start_signing(repos, ctx.notices, pairing)
        else:
            pairing.status = PairingStatus.NOTICE.value
    return row


def _user_id(actor: str) -> int | None:
    return int(actor.split(":", 1)[1]) if actor.startswith("user:") else None


async def close_notices(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> int:
    """A scheduler job: notices over without objection go to signing. Returns how many did."""
    today = clock.now().astimezone(zone).date()
    notices = Notices(repos, clock, policy, zone)
    done = 0
    for pairing in await repos.selection.pairings(statuses=(PairingStatus.NOTICE,)):
        if rules.notice_over(today, pairing.notice_end):
            await _start_signing(repos, notices, pairing)
            repos.audit.record(clock.now(), "scheduler", "selection.notice_over", "pairing", pairing.id)
            done += 1
    return done


# --- signing and the agreement ---------------------------------------------------------------------

async def _signers(repos: Repos, pairing: Pairing) -> dict[Party, list[User]]:
    units = (await notifications.unit_contacts(repos, pairing.commissioner.unit_id)) if pairing.unit_signs else []
    return {Party.COMMISSIONER: await notifications.commissioner_accounts(repos, pairing.commissioner_id),
            Party.ENTERPRISE: await notifications.enterprise_contacts(repos, pairing.need.enterprise_id),
            Party.UNIT: units}


async def _start_signing(repos: Repos, notices: Notices, pairing: Pairing) -> None:
    """The dispatching unit signs where the policy says so and its contact is registered."""
    pairing.status = PairingStatus.SIGNING.value
    pairing.unit_signs = bool(notices.policy.selection.unit_signs
                              and await notifications.unit_contacts(repos, pairing.commissioner.unit_id))
    for party, people in (await _signers(repos, pairing)).items():
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
    current = next((a for a in await repos.people.agreements_of(commissioner_id=pairing.commissioner_id)
                    if a.enterprise_id == enterprise_id and a.status == "active"
                    and a.start_date <= ctx.today <= a.end_date), None)
    if current is not None:
        agreement = current
        agreement.targets = "\n".join(part for part in (agreement.targets, wanted) if part)
        action = "agreement.extend"
    else:
        start, end = rules.agreement_term(ctx.today, ctx.policy.selection.term_months)
        agreement = await _new_agreement(repos, pairing.commissioner_id, enterprise_id, start, end, wanted)
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


async def _new_agreement(repos: Repos, commissioner_id: int, enterprise_id: int, start: date, end: date,
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
    people = [u for group in (await _signers(repos, pairing)).values() for u in group]
    people += await notifications.bureau_admins(repos)
    return list({u.id: u for u in people}.values())


async def awaiting_signature(ctx: Context) -> list[Pairing]:
    """Pairings in signing this person still has to sign."""
    out = []
    for pairing in await ctx.repos.selection.pairings(statuses=(PairingStatus.SIGNING,)):
        missing = rules.missing_signatures(rules.signers(pairing.unit_signs), _signed(pairing))
        if set(missing) & _parties_of(ctx, pairing):
            out.append(pairing)
    return out


# --- renewal ---------------------------------------------------------------------------------------

async def offer_renewals(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> int:
    """A scheduler job: agreements ending within `renewal_days` are offered for renewal to both
    parties (once each: the outbox key). Not to a commissioner who is no longer active."""
    today = clock.now().astimezone(zone).date()
    horizon = today + timedelta(days=policy.selection.renewal_days)
    notices = Notices(repos, clock, policy, zone)
    queued = 0
    for agreement in await repos.selection.renewable(today, horizon):
        if agreement.commissioner.status != "active" or await _successor(repos, agreement) is not None:
            continue
        people = (await notifications.commissioner_accounts(repos, agreement.commissioner_id)
                  + await notifications.enterprise_contacts(repos, agreement.enterprise_id))
        for person in people:
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
    column = f"renew_{party.value}_at"
    if getattr(agreement, column) is not None:
        raise SelectionError("already_answered")
    now = ctx.clock.now()
    repos.audit.record(now, ctx.actor, "agreement.renewal_" + ("yes" if accept else "no"), "agreement",
                       agreement.id, party=party.value)
    others = [u for u in (await notifications.commissioner_accounts(repos, agreement.commissioner_id)
                          + await notifications.enterprise_contacts(repos, agreement.enterprise_id))
              if u.id != ctx.user.id]
    by = ctx.user.full_name or ctx.actor
    if not accept:
        for person in others:
            await say.tell_renewal(ctx.notices, person, agreement, "declined", by)
        return RenewalAnswer(agreement, False, None)
    setattr(agreement, column, now)
    if agreement.renew_commissioner_at is None or agreement.renew_enterprise_at is None:
        return RenewalAnswer(agreement, True, None)
    start, end = rules.renewal_term(agreement.end_date, ctx.policy.selection.term_months)
    renewed = await _new_agreement(repos, agreement.commissioner_id, agreement.enterprise_id, start, end,
                                   agreement.targets)
    repos.audit.record(now, "system", "agreement.renewed", "agreement", renewed.id, previous=agreement.id,
                       start=start.isoformat(), end=end.isoformat())
    for person in others:
        await say.tell_renewal(ctx.notices, person, agreement, "renewed", by, renewed)
    return RenewalAnswer(agreement, True, renewed)
