"""`/commissioners` (filter, sort, SQL pages, the XLSX roster) and `/commissioners/<code>` (the
profile, agreements, progress, map, visit timeline, reports, ratings, outcomes; the dossier as
HTML and PDF)."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from domain.clock import local_today
from domain.progress import year_progress
from services.console import commissioners as console_people
from services.console.commissioners import CommissionerFilter
from services.console.overview import ENDING_DAYS
from services.dossier import to_pdf
from storage.repositories.console_people import SORTS
from web.context import console, visitor
from web.forms import PAGE_SIZE, page_number, text, year_of
from web.render import not_found, page

STATUSES = ("active", "applicant", "disqualified")
# The dossier is a self-contained document with its own <style> and data-URI images.
DOSSIER_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def commissioner_filter(request: web.Request) -> CommissionerFilter:
    c = console(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    status = text(request, "status")
    sort = text(request, "sort") or "code"
    behind = None
    if request.query.get("behind"):
        behind = year_progress(c.policy, today, 0, 0).expected_by_today
    return CommissionerFilter(
        year=year, today=today, county=text(request, "county"), unit=text(request, "unit"),
        status=status if status in STATUSES else None, in_year="year" in request.query,
        in_force=bool(request.query.get("in_force")),
        ending_by=today + timedelta(days=ENDING_DAYS) if request.query.get("ending") else None,
        behind=behind, sort=sort if sort in SORTS else "code", descending=request.query.get("order") == "desc")


async def listing(request: web.Request) -> web.Response:
    v = visitor(request)
    f = commissioner_filter(request)
    number = page_number(request)
    c = console(request)
    proposed = (await console_people.proposed_grades(c.kept, v.repos, c.policy, f.year, f.today)
                if f.sort == "grade" else None)
    rows, total = await console_people.commissioner_page(v.repos, v.scope, f, number, PAGE_SIZE, proposed)
    counties, units = await console_people.filter_choices(v.repos, console(request).policy, v.scope)
    grades = {g.key: g.text(v.t.lang) for g in console(request).policy.grades}
    return page(request, "commissioners.html", rows=rows, total=total, f=f, number=number, size=PAGE_SIZE,
                counties=counties, units=units, statuses=STATUSES, sorts=SORTS, grades=grades,
                target=console(request).policy.min_services_per_year, sort_link=lambda key: sort_link(request, key))


def sort_link(request: web.Request, key: str) -> str:
    query = dict(request.query)
    descending = query.get("sort") == key and query.get("order") != "desc"
    query.update(sort=key, order="desc" if descending else "asc", page="1")
    return "?" + "&".join(f"{k}={quote(str(val))}" for k, val in query.items())


async def roster(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    data = await console_people.roster(v.repos, c.policy, v.t, v.scope, year, today)
    return web.Response(body=data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f"attachment; filename=\"roster-{year}.xlsx\""})


async def detail(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    found = await console_people.profile(v.repos, c.policy, v.scope, request.match_info["code"], year, today)
    if found is None:
        raise not_found(request)
    kinds = {k.key: k.text(v.t.lang) for k in c.policy.service_kinds}
    outcome_kinds = {k.key: k.text(v.t.lang) for k in c.policy.outcome_kinds}
    return page(request, "commissioner.html", p=found, kinds=kinds, outcome_kinds=outcome_kinds,
                map_json=json.dumps(found.map_data(), ensure_ascii=False), tiles=c.map_tiles or "",
                years=range(today.year, today.year - 5, -1))


async def dossier(request: web.Request) -> web.Response:
    v, c = visitor(request), console(request)
    today = local_today(c.clock, c.zone)
    year = year_of(request, today)
    code = request.match_info["code"]
    found = await console_people.dossier(v.repos, c.policy, c.store, v.t, v.scope, code, year, today, c.clock.now(),
                                         c.map_tiles)
    if found is None:
        raise not_found(request)
    if request.match_info["format"] == "pdf":
        pdf = await asyncio.to_thread(to_pdf, found.html)
        return web.Response(body=pdf, headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f"attachment; filename=\"dossier-{year}-{quote(code)}.pdf\""})
    return web.Response(text=found.html, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": DOSSIER_CSP})


def routes() -> list[web.RouteDef]:
    return [web.get("/commissioners", listing), web.get("/commissioners/roster.xlsx", roster),
            web.get("/commissioners/{code}", detail),
            web.get(r"/commissioners/{code}/dossier.{format:html|pdf}", dossier)]
