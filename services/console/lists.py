"""The console's read-only pages: selection, reports per period, the digests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.policy import Policy
from domain.reports import periods
from domain.selection import PairingStatus
from domain.web_access import Scope
from locales import Translator
from services import digest
from services.console.overview import PeriodRow, report_periods
from storage.models import Commissioner, Need, Objection, Pairing
from storage.repositories import Repos


@dataclass(frozen=True)
class Selection:
    needs: list[Need]
    waiting: list[Pairing]  # both sides chose: the bureau's turn (in the chat)
    in_publicity: list[Pairing]  # on public notice, or held by an objection
    signing: list[Pairing]
    objections: dict[int, list[Objection]]  # by pairing


async def selection(repos: Repos, scope: Scope) -> Selection:
    counties = scope.counties
    interest = await repos.console_lists.pairings(counties, [PairingStatus.INTEREST.value])
    waiting = [p for p in interest if p.commissioner_interest_at and p.enterprise_interest_at]
    in_publicity = await repos.console_lists.pairings(counties, [PairingStatus.PUBLICITY.value, PairingStatus.HELD.value])
    signing = await repos.console_lists.pairings(counties, [PairingStatus.SIGNING.value])
    objections: dict[int, list[Objection]] = {}
    for o in await repos.console_lists.objections([p.id for p in in_publicity]):
        objections.setdefault(o.pairing_id, []).append(o)
    return Selection(await repos.console_lists.open_needs(counties), waiting, in_publicity, signing, objections)



async def reports(repos: Repos, policy: Policy, scope: Scope, year: int,
                  today: date) -> list[tuple[PeriodRow, list[Commissioner]]]:
    """Each opened period with its figures; an overdue one with who has not reported."""
    out = []
    bounds = {(c.key, p.key): p for c in policy.report_cycles for p in periods(c, year)}
    for row in await report_periods(repos, policy, scope, year, today):
        missing = []
        if row.missing:
            p = bounds[(row.cycle, row.period)]
            missing = await repos.console_lists.missing_reports(scope.counties, p.start, p.end, row.cycle, row.period)
        out.append((row, missing))
    return out


async def digests(repos: Repos, policy: Policy, t: Translator, scope: Scope, today: date) -> list[tuple[str, str]]:
    """Last week's and last month's digests, as the chat and the PDF give them."""
    out = []
    for since, until in (digest.last_week(today), digest.last_month(today)):
        collected = await digest.collect(repos, policy, t, since, until, scope.counties)
        out.append((f"{since.isoformat()} – {until.isoformat()}", digest.weekly_text(t, collected, limit=50)))
    return out
