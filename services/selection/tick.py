"""The selection part of the reminders tick: publicity periods that are over go to signing;
agreements near their end are offered for renewal. The caller commits."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.clock import Clock
from domain.policy import Policy
from services.selection.publicity import close_publicity
from services.selection.renewal import offer_renewals
from storage.repositories import Repos


async def selection_tick(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> dict[str, int]:
    return {"notices_closed": await close_publicity(repos, clock, policy, zone),
            "renewal_offers": await offer_renewals(repos, clock, policy, zone)}
