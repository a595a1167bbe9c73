"""`/selection`, `/reports` and `/digests`: read-only pages (decisions stay in the chat)."""
from __future__ import annotations

from aiohttp import web

from domain.clock import local_today
from services.console import lists
from web.context import console, visitor
from web.forms import year_of
from web.render import page


async def selection(request: web.Request) -> web.Response:
    v = visitor(request)
    return page(request, "selection.html", s=await lists.selection(v.repos, v.scope))


async def reports(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    cycles = {cycle.key: cycle.en if v.t.lang == "en" else cycle.zh for cycle in c.policy.report_cycles}
    return page(request, "reports.html", year=year, rows=await lists.reports(v.repos, c.policy, v.scope, year, today),
                cycles=cycles)


async def digests(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    return page(request, "digests.html", digests=await lists.digests(v.repos, c.policy, v.t, v.scope, today))


def routes() -> list[web.RouteDef]:
    return [web.get("/selection", selection), web.get("/reports", reports), web.get("/digests", digests)]
