"""Reading query strings: bad values fall back to defaults instead of failing the page."""
from __future__ import annotations

from datetime import date

from aiohttp import web

PAGE_SIZE = 50


def whole(request: web.Request, name: str, default: int | None = None, low: int = 1,
          high: int = 10**9) -> int | None:
    try:
        value = int(request.query.get(name, ""))
    except ValueError:
        return default
    return value if low <= value <= high else default


def year_of(request: web.Request, today: date) -> int:
    return whole(request, "year", today.year, 2000, today.year + 1)


def text(request: web.Request, name: str) -> str | None:
    value = request.query.get(name, "").strip()
    return value[:128] or None


def page_number(request: web.Request) -> int:
    return whole(request, "page", 1)
