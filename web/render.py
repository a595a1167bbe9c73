"""Server-side pages: Jinja2 templates shipped in web/templates, autoescaped."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from domain.clock import as_utc
from web.context import console, visitor


@lru_cache(maxsize=1)
def environment() -> Environment:
    folder = resources.files("web").joinpath("templates")
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["svg"] = Markup  # charts are drawn by services.charts, which escapes its labels
    # A code as one path segment (/enterprises/<code>): Jinja's urlencode keeps "/", so a code like
    # "YQ/2026/001" would become three segments and a 404.
    env.filters["segment"] = lambda value: quote(str(value), safe="")
    return env


def page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    v = visitor(request)
    html = environment().get_template(template).render(
        t=v.t, lang=v.t.lang, me=v.session, scope=v.scope, csrf=v.session.csrf_token if v.session else "",
        path=request.path, query=request.query, query_string=request.query_string,
        local=lambda moment: as_utc(moment).astimezone(console(request).zone).strftime("%Y-%m-%d %H:%M"),
        with_page=lambda number: urlencode({**request.query, "page": number}), **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def not_found(request: web.Request) -> web.HTTPNotFound:
    """Unknown, and out of this admin's scope, look the same."""
    return web.HTTPNotFound(text=environment().get_template("error.html").render(
        t=visitor(request).t, lang=visitor(request).t.lang, me=visitor(request).session, scope=visitor(request).scope,
        csrf="", path=request.path, query=request.query, message=visitor(request).t("web.not_found")),
        content_type="text/html")
