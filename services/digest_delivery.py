"""Queueing the digests: last week's as a chat message, last month's as a PDF, to every admin
(their county's, or everything for the bureau). The caller commits; the outbox keys keep a rerun
from repeating a digest."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.clock import Clock, local_today
from domain.policy import Policy
from locales import Translator
from messages.notices import Notices
from services.digest import Digest, collect, last_month, last_week, weekly_text
from services.monthly_report import monthly_html
from storage.models import User
from storage.repositories import Repos

Send = Callable[[Notices, User, "str | None", Translator, Digest], Awaitable[None]]


async def _for_each_admin(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo,
                          period: Callable[[date], tuple[date, date]], send: Send) -> None:
    """Collect the period's digest for every admin and let `send` queue it."""
    since, until = period(local_today(clock, zone))
    notices = Notices(repos, clock, policy, zone)
    for admin, county in await repos.users.admin_scopes():
        t = notices.t(admin)
        digest = await collect(repos, policy, t, since, until, county)
        await send(notices, admin, county, t, digest)


async def queue_weekly(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> None:
    """Monday morning: last week's digest to the bureau (everything) and county admins (theirs)."""
    async def send(notices: Notices, admin: User, county: str | None, t: Translator, digest: Digest) -> None:
        await notices.queue(f"digest-week:{digest.since.isoformat()}:{admin.id}", admin,
                            weekly_text(t, digest)[:4000])

    await _for_each_admin(repos, clock, policy, zone, last_week, send)


async def queue_monthly(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, data_dir: Path) -> None:
    """The first of the month: last month's digest as a PDF for every admin (made once per county
    and language under data_dir/digests)."""
    from services.dossier import to_pdf  # WeasyPrint loads only when a monthly digest is made

    async def send(notices: Notices, admin: User, county: str | None, t: Translator, digest: Digest) -> None:
        month = f"{digest.since:%Y-%m}"
        path = data_dir / "digests" / f"{month}-{county or 'all'}-{t.lang}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(to_pdf(monthly_html(t, policy, digest, county)))
        await notices.queue(f"digest-month:{month}:{admin.id}", admin, t("digest.month_caption", month=month),
                            documents=({"path": str(path), "name": path.name},))

    await _for_each_admin(repos, clock, policy, zone, last_month, send)
