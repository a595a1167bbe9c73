"""`/review`: flagged and disputed visits nobody has settled yet, oldest first; each row can be
accepted with a note or voided with a reason right there."""
from __future__ import annotations

from aiohttp import web

from services.console import visits as console_visits
from services.console.visits import VisitFilter
from web.context import console, visitor
from web.forms import PAGE_SIZE, page_number, text, whole
from web.render import page

KINDS = ("all", "flagged", "disputed")


async def queue(request: web.Request) -> web.Response:
    v = visitor(request)
    kind = text(request, "kind")
    kind = kind if kind in KINDS else "all"
    f = VisitFilter(year=whole(request, "year", None, 2000, 2100), review=kind)
    number = page_number(request)
    rows, total = await console_visits.visit_page(v.repos, v.scope, f, number, PAGE_SIZE, oldest_first=True)
    kinds = {k.key: k.text(v.t.lang) for k in console(request).policy.service_kinds}
    return page(request, "review.html", rows=rows, total=total, kind=kind, kinds_filter=KINDS, f=f, number=number,
                size=PAGE_SIZE, kinds=kinds, done=request.query.get("done"),
                notes=console_visits.informative_flags(console(request).policy))


def routes() -> list[web.RouteDef]:
    return [web.get("/review", queue)]
