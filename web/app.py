"""Assembles the console: collaborators in, aiohttp Application out (`tepai web` serves it)."""
from __future__ import annotations

from importlib import resources

from aiohttp import web

from web.context import CONSOLE, Console
from web.middleware import security_headers, unit_of_work
from web.pages import commissioners, enterprises, lists, overview, review, signin, visits

PAGE_MODULES = (signin, overview, commissioners, enterprises, visits, review, lists)


def create_app(console: Console) -> web.Application:
    app = web.Application(middlewares=[security_headers, unit_of_work], client_max_size=64 * 1024)
    app[CONSOLE] = console
    for module in PAGE_MODULES:
        app.add_routes(module.routes())
    app.router.add_static("/static/", str(resources.files("web").joinpath("static")), append_version=True)
    return app
