"""Every request: security headers; one unit of work with the signed-in session and its scope;
the CSRF token on every POST."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from locales import Translator, normalize
from services import web_access
from storage.repositories import Repos
from web.context import VISITOR, Visitor, console
from web.render import page

SESSION_COOKIE = "tepai_session"
# Reachable without a session: how to sign in, the link itself, the shipped CSS/JS.
PUBLIC_PREFIXES = ("/signin", "/static/")


def content_policy(tiles: str | None) -> str:
    images = "'self' data:"
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "*"))
        images += f" {parts.scheme}://{parts.netloc}"
    return (f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    policy = content_policy(console(request).map_tiles)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _protect(exc.headers, policy)
        raise
    _protect(response.headers, policy)
    return response


def _protect(headers, policy: str) -> None:  # noqa: ANN001 - a multidict
    headers.setdefault("Content-Security-Policy", policy)  # a page may set a stricter one of its own
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"  # sign-in links must not leak through Referer
    headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def unit_of_work(request: web.Request, handler: Handler) -> web.StreamResponse:
    c = console(request)
    async with c.sessionmaker() as session:
        repos = Repos(session)
        row = await web_access.current(repos, c.clock, request.cookies.get(SESSION_COOKIE))
        lang = row.language if row is not None else normalize(request.query.get("lang"))
        request[VISITOR] = Visitor(repos, Translator(lang), row, web_access.scope(row) if row else None)
        if not request.path.startswith(PUBLIC_PREFIXES):
            if row is None:
                return page(request, "signin_needed.html", status=401)
            if request.method == "POST":
                form = await request.post()
                if not secrets.compare_digest(str(form.get("csrf", "")), row.csrf_token):
                    return page(request, "error.html", status=403, message=request[VISITOR].t("web.csrf_failed"))
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect after a POST: keep what it did
                await repos.commit()
            raise
        await repos.commit()
        return response
