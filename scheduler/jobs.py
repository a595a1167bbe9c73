"""APScheduler job functions: module-level, no arguments, so the persistent job store can
pickle them by reference. They read their collaborators from `scheduler.runtime`."""
from __future__ import annotations

import logging

from sqlalchemy import select

from domain.clock import local_today
from scheduler import runtime
from scheduler.feedback_jobs import feedback_tick
from scheduler.notices import Notices
from services.reminders import reminders_tick
from storage.models import RoleGrant
from storage.repositories import Repos

log = logging.getLogger(__name__)


async def reminders_job() -> None:
    """Everything Tepai says on its own initiative, queued in the outbox (sent by the sender)."""
    rt = runtime.current()
    await feedback_tick(rt.sessionmaker, rt.clock, rt.policy, rt.zone)
    async with rt.sessionmaker() as session:
        repos = Repos(session)
        counts = await reminders_tick(repos, rt.clock, rt.policy, rt.zone)
        counts |= await selection_tick(repos, rt.clock, rt.policy, rt.zone)
        await repos.commit()
    if any(counts.values()):
        log.info("reminders queued: %s", counts)


async def selection_tick(repos: Repos, clock, policy, zone) -> dict[str, int]:  # noqa: ANN001
    """Notices that are over go to signing; agreements near their end are offered for renewal."""
    from services.selection import close_notices, offer_renewals

    return {"notices_closed": await close_notices(repos, clock, policy, zone),
            "renewal_offers": await offer_renewals(repos, clock, policy, zone)}


async def _digest_for_each_admin(period, send) -> None:  # noqa: ANN001 - (today -> (since, until)), coroutine
    """Collect the period's digest for every admin (their county's, or everything for the bureau)
    and let `send` queue it; one transaction, so the outbox keys keep a rerun from repeating it."""
    from services.digest import collect

    rt = runtime.current()
    since, until = period(local_today(rt.clock, rt.zone))
    async with rt.sessionmaker() as session:
        repos = Repos(session)
        notices = Notices(repos, rt.clock, rt.policy, rt.zone)
        for admin, county in await admins(repos):
            t = notices.t(admin)
            digest = await collect(repos, rt.policy, t, since, until, county)
            await send(notices, admin, county, t, digest)
        await repos.commit()


async def weekly_digest_job() -> None:
    """Monday morning: last week's digest to the bureau (everything) and county admins (theirs)."""
    from services.digest import last_week, weekly_text

    async def send(notices, admin, county, t, digest) -> None:  # noqa: ANN001
        await notices.queue(f"digest-week:{digest.since.isoformat()}:{admin.id}", admin,
                            weekly_text(t, digest)[:4000])

    await _digest_for_each_admin(last_week, send)


async def monthly_digest_job() -> None:
    """The first of the month: last month's digest as a PDF for every admin."""
    from services.digest import last_month
    from services.monthly_report import monthly_html
    from services.dossier import to_pdf

    data_dir, policy = runtime.current().data_dir, runtime.current().policy

    async def send(notices, admin, county, t, digest) -> None:  # noqa: ANN001
        month = f"{digest.since:%Y-%m}"
        path = data_dir / "digests" / f"{month}-{county or 'all'}-{t.lang}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(to_pdf(monthly_html(t, policy, digest, county)))
        await notices.queue(f"digest-month:{month}:{admin.id}", admin, t("digest.month_caption", month=month),
                            documents=({"path": str(path), "name": path.name},))

    await _digest_for_each_admin(last_month, send)


async def admins(repos: Repos) -> list:  # [(User, county or None for the bureau)]
    grants = (await repos.session.scalars(select(RoleGrant).where(RoleGrant.role.in_(("bureau", "county")))
                                          .order_by(RoleGrant.id))).all()
    users = {u.id: u for u in await repos.users.by_ids(sorted({g.user_id for g in grants}))}
    seen: set[tuple[int, str | None]] = set()
    out = []
    for g in grants:
        key = (g.user_id, None if g.role == "bureau" else g.county)
        if key not in seen:
            seen.add(key)
            out.append((users[g.user_id], key[1]))
    return out
