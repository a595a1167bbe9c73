"""What each role sees of the needs and who fits them, and telling the best-fitting commissioners
about a new need (Yangquan 第十四条（二）; Jincheng 第七–八条)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.clock import Clock, local_today
from domain.matching import Candidate, Match, rank
from domain.policy import Policy
from domain.roles import Role
from domain.selection import PairingStatus
from messages import recipients
from messages import selection as say
from messages.notices import Notices
from services import matching
from services.selection.context import Context, SelectionError, need_text
from storage.models import Need, Pairing
from storage.repositories import Repos


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
    me = await candidate(ctx, commissioner_id)
    if me is None:
        return []
    scored = []
    for need in await ctx.repos.selection.needs(statuses=("open",), limit=500):
        found = rank(need_text(need), need.enterprise.county, [me], 1)
        if found:
            scored.append((need, found[0]))
    scored.sort(key=lambda pair: (-pair[1].score, -pair[0].id))
    return scored[:limit]


async def candidate(ctx: Context, commissioner_id: int) -> Candidate | None:
    """The commissioner as a candidate; None when they may not be selected (disqualified, barred)."""
    return next((c for c in await matching.candidates(ctx.repos, ctx.policy, ctx.today) if c.id == commissioner_id),
                None)


MATCHES_TOLD = 3  # a new need goes to this many best-fitting commissioners with room left…
SHARED_TO_TELL = 2  # …who share at least this many terms with it (one common word is not a fit)


async def tell_best_matches(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, need: Need) -> int:
    """Two-way selection starts from both ends: a new need is also sent to the registered
    commissioners it fits best (not the full ones), each with a button to choose it."""
    today = local_today(clock, zone)
    matches = [m for m in await matching.match_need(repos, policy, today, need_text(need), need.enterprise.county)
               if not m.full and len(m.shared) >= SHARED_TO_TELL][:MATCHES_TOLD]
    notices = Notices(repos, clock, policy, zone)
    told = 0
    for m in matches:
        for account in await recipients.commissioner_accounts(repos, m.candidate.id):
            told += await say.suggest_need(notices, account, need, m.candidate.id, m)
    return told
