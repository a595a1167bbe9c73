"""Signing in by a one-time link, signing out, the language switch."""
from __future__ import annotations

import secrets

from aiohttp import web

from services import web_access
from web.context import console, visitor
from web.middleware import SESSION_COOKIE
from web.render import page

# The sign-in form's double-submit cookie: the POST that opens a session must come from the
# page that GET rendered (login CSRF), and a link preview's GET alone never uses up a link.
PRE_COOKIE = "tepai_signin"


async def how_to(request: web.Request) -> web.Response:
    return page(request, "signin_needed.html")


async def confirm(request: web.Request) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    response = page(request, "signin.html", token=request.match_info["token"], nonce=nonce)
    response.set_cookie(PRE_COOKIE, nonce, max_age=600, httponly=True, samesite="Strict",
                        secure=console(request).secure_cookies, path="/signin")
    return response


async def sign_in(request: web.Request) -> web.StreamResponse:
    c, v = console(request), visitor(request)
    form = await request.post()
    nonce = request.cookies.get(PRE_COOKIE, "")
    if not nonce or not secrets.compare_digest(str(form.get("nonce", "")), nonce):
        return page(request, "error.html", status=403, message=v.t("web.csrf_failed"))
    opened = await web_access.open_link(v.repos, c.clock, request.match_info["token"], v.t.lang)
    if opened.problem is not None:
        return page(request, "error.html", status=403, message=v.t(f"web.link_{opened.problem.value}"))
    response = web.HTTPSeeOther("/")
    response.set_cookie(SESSION_COOKIE, opened.token, httponly=True, samesite="Lax", secure=c.secure_cookies,
                        path="/")
    response.del_cookie(PRE_COOKIE, path="/signin")
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    v = visitor(request)
    await web_access.sign_out(v.repos, console(request).clock, v.session)
    response = web.HTTPSeeOther("/signin")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def language(request: web.Request) -> web.StreamResponse:
    v = visitor(request)
    form = await request.post()
    v.session.language = web_access.language(str(form.get("lang", "")))
    raise web.HTTPSeeOther(local_path(str(form.get("next", "/"))))


def local_path(target: str) -> str:
    """Only a path on this site (never `//host` or `https://…`): no open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def routes() -> list[web.RouteDef]:
    return [web.get("/signin", how_to), web.get("/signin/{token}", confirm), web.post("/signin/{token}", sign_in),
            web.post("/signout", sign_out), web.post("/lang", language)]
