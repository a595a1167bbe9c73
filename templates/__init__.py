"""HTML templates (Jinja2) and their stylesheet, rendered to PDF by WeasyPrint."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Autoescaping on: every value is escaped; trusted markup (the CSS, SVG) is marked |safe."""
    return Environment(loader=FileSystemLoader(str(resources.files("templates"))),
                       autoescape=select_autoescape(["html"]))
