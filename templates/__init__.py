"""HTML templates (Jinja2) and their stylesheet, rendered to PDF by WeasyPrint."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape

from locales import when


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Autoescaping on: every value is escaped; trusted markup (the CSS, SVG) is marked |safe."""
    env = Environment(loader=FileSystemLoader(str(resources.files("templates"))),
                      autoescape=select_autoescape(["html"]))
    # Dates as people read them ("2026年10月15日"), the same helper the chat uses: `{{ d|day(lang) }}`.
    env.filters["day"] = when.day
    env.filters["moment"] = when.moment
    return env
