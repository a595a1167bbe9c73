"""What Tepai shows and tells about enterprises' technical needs (技术需求): the need's card (reused
wherever a need is shown), the enterprise's own list line, and the notice of a new need to the
county's and the bureau's admins (queued in the outbox, in the caller's transaction)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.clock import as_utc
from locales import Translator
from messages.notices import Notices
from storage.models import Need, User


def urgency_text(t: Translator, urgency: str) -> str:
    return t.or_else(f"need.urgency.{urgency}", urgency)


def status_text(t: Translator, status: str) -> str:
    return t.or_else(f"need.status.{status}", status)


def need_card(t: Translator, need: Need) -> str:
    """A need as anyone reads it: enterprise and county, field, urgency, the problem, the help
    expected, how many files came with it, and its status."""
    enterprise = need.enterprise
    return t("need.card", id=need.id, enterprise=enterprise.name, county=enterprise.county or "—",
             field=need.field, urgency=urgency_text(t, need.urgency), description=need.description,
             expected=need.expected_help or "—", files=len(need.file_ids or []), status=status_text(t, need.status))


def need_line(t: Translator, need: Need, zone: ZoneInfo) -> str:
    """One line of the enterprise's /needs list."""
    return t("need.line", id=need.id, date=as_utc(need.created_at).astimezone(zone).date(), field=need.field,
             urgency=urgency_text(t, need.urgency), status=status_text(t, need.status))


async def tell_new_need(notices: Notices, admin: User, need: Need, filed_by: str) -> bool:
    """A county or bureau admin learns of a new need (once per need and admin)."""
    t = notices.t(admin)
    text = t("need.notice_new", enterprise=need.enterprise.name, person=filed_by) + "\n" + need_card(t, need)
    return await notices.queue(f"need-new:{need.id}:{admin.id}", admin, text)
