"""`/enterprises` (filter by county, SQL pages; each figure links to its visits) and
`/enterprises/<code>` (agreements, figures, the year's visits)."""
from __future__ import annotations

from aiohttp import web

from domain.clock import local_today
from services.console import commissioners as console_people
from services.console import enterprises as console_firms
from services.console.enterprises import EnterpriseFilter
from services.console.visits import informative_flags
from web.context import console, visitor
from web.forms import PAGE_SIZE, page_number, text, year_of
from web.render import not_found, page


async def listing(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    f = EnterpriseFilter(year=year_of(request, today), county=text(request, "county"),
                         in_year=bool(request.query.get("in_year")))
    number = page_number(request)
    rows, total = await console_firms.enterprise_page(v.repos, v.scope, f, number, PAGE_SIZE)
    counties, _ = await console_people.filter_choices(v.repos, c.policy, v.scope)
    return page(request, "enterprises.html", rows=rows, total=total, f=f, number=number, size=PAGE_SIZE,
                counties=counties, years=range(today.year, today.year - 5, -1))


async def detail(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    number = page_number(request)
    found = await console_firms.profile(v.repos, v.scope, request.match_info["code"], year, number, PAGE_SIZE)
    if found is None:
        raise not_found(request)
    kinds = {k.key: k.text(v.t.lang) for k in c.policy.service_kinds}
    return page(request, "enterprise.html", p=found, r=found.figures, kinds=kinds, number=number, size=PAGE_SIZE,
                notes=informative_flags(c.policy), years=range(today.year, today.year - 5, -1))


def routes() -> list[web.RouteDef]:
    return [web.get("/enterprises", listing), web.get("/enterprises/{code}", detail)]
