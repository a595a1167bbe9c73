"""`/visits` (a filtered, paginated list: where the overview's numbers lead), `/visits/<number>`
(every field, photos, evidence, the enterprise's word, the audit history), the photo files, and
the review decisions posted from the visit page or the queue."""
from __future__ import annotations

from aiohttp import web

from services import web_access
from services.console import visits as console_visits
from services.console.visits import VisitError, VisitFilter
from web.context import console, visitor
from web.forms import PAGE_SIZE, page_number, text, whole
from web.render import not_found, page

STATUSES = ("verified", "noted", "flagged", "accepted")
ANSWERS = ("pending", "confirmed", "disputed", "unanswered")


def visit_filter(request: web.Request, **fixed: object) -> VisitFilter:
    status, answer = text(request, "status"), text(request, "answer")
    return VisitFilter(year=whole(request, "year", None, 2000, 2100), month=whole(request, "month", None, 1, 12),
                       county=text(request, "county"), status=status if status in STATUSES else None,
                       answer=answer if answer in ANSWERS else None, commissioner_code=text(request, "commissioner"),
                       enterprise_code=text(request, "enterprise"),
                       **fixed)


async def listing(request: web.Request) -> web.Response:
    v = visitor(request)
    f = visit_filter(request)
    number = page_number(request)
    rows, total = await console_visits.visit_page(v.repos, v.scope, f, number, PAGE_SIZE)
    return page(request, "visits.html", rows=rows, total=total, f=f, number=number, size=PAGE_SIZE,
                kinds=_kinds(request), statuses=STATUSES, answers=ANSWERS,
                notes=console_visits.informative_flags(console(request).policy))


async def detail(request: web.Request) -> web.Response:
    v = visitor(request)
    view = await console_visits.visit_view(v.repos, console(request).policy, v.scope, int(request.match_info["id"]))
    if view is None:
        raise not_found(request)
    return page(request, "visit.html", view=view, kinds=_kinds(request), radius=console(request).policy.visit.radius_m,
                error=request.query.get("error"), done=request.query.get("done"))


async def file(request: web.Request) -> web.StreamResponse:
    v, c = visitor(request), console(request)
    found = await console_visits.photo_file(v.repos, c.store, v.scope, int(request.match_info["id"]),
                                            int(request.match_info["position"]), request.match_info["size"] == "thumb")
    if found is None:
        raise not_found(request)
    data, content_type = found
    return web.Response(body=data, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=3600"})


async def decide(request: web.Request) -> web.StreamResponse:
    """Accept with a note or void with a reason; back to where the reviewer came from."""
    v, c = visitor(request), console(request)
    form = await request.post()
    visit_id = int(request.match_info["id"])
    action = "void" if form.get("action") == "void" else "accept"
    back = f"/visits/{visit_id}" if form.get("from") != "review" else "/review"
    try:
        done = await console_visits.decide(v.repos, c.clock, v.scope, visit_id, action=action,
                                           text=str(form.get("text", "")), actor=web_access.actor(v.session),
                                           user_id=v.session.user_id)
    except VisitError as exc:
        raise web.HTTPSeeOther(f"/visits/{visit_id}?error={exc.reason}") from None
    if done is None:
        raise not_found(request)
    raise web.HTTPSeeOther(f"{back}?done={action}")


def _kinds(request: web.Request) -> dict[str, str]:
    lang = visitor(request).t.lang
    return {k.key: k.text(lang) for k in console(request).policy.service_kinds}


def routes() -> list[web.RouteDef]:
    return [web.get("/visits", listing), web.get(r"/visits/{id:\d{1,12}}", detail),
            web.get(r"/visits/{id:\d{1,12}}/files/{position:\d{1,4}}/{size:thumb|original}", file),
            web.post(r"/visits/{id:\d{1,12}}/decide", decide)]
