"""`/`: a year at a glance; every number links to the records behind it."""
from __future__ import annotations

from aiohttp import web

from domain.clock import local_today
from services.charts import monthly_bars
from services.console.overview import overview
from web.context import console, visitor
from web.forms import year_of
from web.render import page


async def show(request: web.Request) -> web.Response:
    c, v = console(request), visitor(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    o = await overview(v.repos, c.policy, v.scope, year, today)
    months = [v.t("dossier.month", m=m) for m in range(1, 13)]
    counties = sorted(o.by_county.items(), key=lambda kv: -kv[1])
    return page(request, "overview.html", o=o, year=year, years=range(today.year, today.year - 5, -1),
                month_chart=monthly_bars(o.by_month, months, width=620, height=180),
                county_chart=monthly_bars([n for _, n in counties], [k for k, _ in counties], width=620, height=180),
                counties=counties)


def routes() -> list[web.RouteDef]:
    return [web.get("/", show)]
