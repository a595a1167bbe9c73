"""Translation catalogues: every user-visible text lives in `zh.toml` and `en.toml`.

Keys are dotted (`start.greeting`); values are `str.format` templates. Simplified Chinese is the
default; English must carry every key Chinese has (a test checks it). A feature may keep its texts
in a catalogue of its own, `<lang>/<feature>.toml` (e.g. `zh/selection.toml`); a key defined twice
is an error.
"""
from __future__ import annotations

import html
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from locales import when

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            _flatten(f"{key}.", value, out)
        else:
            out[key] = str(value)


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    root = resources.files("locales")
    files = [root.joinpath(f"{lang}.toml")]
    folder = root.joinpath(lang)
    if folder.is_dir():
        files += sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    out: dict[str, str] = {}
    for file in files:
        part: dict[str, str] = {}
        _flatten("", tomllib.loads(file.read_text("utf-8")), part)
        twice = sorted(part.keys() & out.keys())
        if twice:
            raise ValueError(f"locales/{lang}: {file.name} defines keys defined already: {', '.join(twice)}")
        out.update(part)
    return out


def normalize(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    """Texts of one language. Missing keys are a bug: they raise, and the catalogue test finds them."""

    def __init__(self, lang: str | None = None, *, markup: bool = False) -> None:
        self.lang = normalize(lang)
        self.markup = markup  # Telegram HTML: templates are trusted markup, values are escaped
        self._texts = catalogue(self.lang)

    def __call__(self, key: str, /, **values: Any) -> str:
        template = self._texts[key]
        if not values:
            return template
        values = {k: when.readable(v, self.lang) for k, v in values.items()}
        if self.markup:
            values = {k: html.escape(v, quote=False) if isinstance(v, str) else v for k, v in values.items()}
        return template.format(**values)

    def has(self, key: str) -> bool:
        return key in self._texts

    def or_else(self, key: str, fallback: str) -> str:
        """The text at `key` if the catalogue has one, else `fallback`: for stored values (a status,
        an urgency) that may outlive or predate their text."""
        return self._texts[key] if key in self._texts else fallback
