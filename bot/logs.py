"""Logging for the long-running commands: one line per event, text or JSON, and never a secret.

Whoever reads the logs (an operator, a log collector, a support ticket) must not be able to act
as the bot (its token), sign in to the console or redeem an invite (their tokens), nor learn
people's phone numbers. Every line is cleaned after it is formatted, whatever the format and
whichever library wrote it (a URL in aiohttp's debug line, an exception's text, a traceback, a
JSON field): the exact secrets this process knows, and the shapes of those it cannot know.
"""
from __future__ import annotations

import logging
import re

from urllib.parse import unquote, urlsplit

from bot.settings import Settings

# Tokens of any bot, as Telegram issues them (digits, a colon, 35 characters).
BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
# An invite in a deep link or the /start it becomes: t.me/bot?start=<token>, "/start <token>".
INVITE = re.compile(r"(\bstart=|/start(?:@\w+)?\s+)[A-Za-z0-9_-]{8,}")
# A console sign-in link: <web url>/signin/<token>.
SIGN_IN = re.compile(r"(/signin/)[A-Za-z0-9_-]{8,}")
# Mainland mobile numbers (optionally +86/86, spaced or dashed 3-4-4), landlines with an area code
# (0351-1234567), and international numbers written with a plus (Telegram's shared contacts).
# Guarded by ASCII letters and digits only, "电话13912345678" being a number too, also when a
# library's debug line escapes the 话 before it (JSON's "\u8bdd13912345678").
PHONE = re.compile(r"(?:(?<=\\u[0-9a-fA-F]{4})|(?<![0-9A-Za-z.]))(?:"
                   r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}"
                   r"|0\d{2,3}-\d{7,8}"
                   r"|\+\d[\d -]{7,16}\d"
                   r")(?![0-9A-Za-z.])")


class Redactor:
    """Replaces secrets in a line: the ones given exactly (by what to say instead), then the shapes
    above."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self._secrets = sorted(((s, label) for s, label in secrets.items() if len(s) >= 6),
                               key=lambda pair: len(pair[0]), reverse=True)

    def __call__(self, text: str) -> str:
        for secret, label in self._secrets:
            text = text.replace(secret, label)
        text = BOT_TOKEN.sub("<bot token>", text)
        text = INVITE.sub(r"\1<invite>", text)
        text = SIGN_IN.sub(r"\1<token>", text)
        return PHONE.sub("<phone>", text)


class RedactingFormatter(logging.Formatter):
    """Another formatter's line, cleaned (the traceback and every JSON field with it)."""

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self._inner, self._redact = inner, redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(self._inner.format(record))


def known_secrets(settings: Settings) -> dict[str, str]:
    """The secrets in this process's own settings, each with what to say instead: the bot token
    (and its secret half, which a library might print alone), the webhook secret, the object
    storage's secret key and the passwords of the database and Redis."""
    found = {}
    if settings.bot_token:
        token = settings.bot_token.get_secret_value().strip()
        found |= {token: "<bot token>", token.partition(":")[2]: "<bot token>"}
    if settings.webhook_secret:
        found[settings.webhook_secret.get_secret_value()] = "<webhook secret>"
    if settings.s3_secret_key:
        found[settings.s3_secret_key.get_secret_value()] = "<s3 secret key>"
    for url in (settings.db_url, settings.redis_url.get_secret_value() if settings.redis_url else None):
        password = urlsplit(url).password if url else None
        if password:
            found[unquote(password)] = "<password>"
            found[password] = "<password>"
    return found


def configure_logging(settings: Settings) -> None:
    """TEPAI_LOG_LEVEL for everything; APScheduler's line per job run only when debugging;
    TEPAI_LOG_FORMAT=json: one JSON object per line (python-json-logger), for log collectors."""
    level = getattr(logging, settings.log_level)
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", json_ensure_ascii=False)
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(RedactingFormatter(formatter, Redactor(known_secrets(settings))))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("apscheduler").setLevel(level if level == logging.DEBUG else max(level, logging.WARNING))
