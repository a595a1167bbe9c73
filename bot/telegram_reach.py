"""Reaching the Bot API at start: a network that is down for a while (an ordinary day in many
places) is waited out with backoff, one clear line per attempt; only a wrong token stops."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User

from locales import Translator

log = logging.getLogger(__name__)

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0


class WrongToken(Exception):
    """The Bot API refused the token (401, or 404 for a token it does not know)."""


async def wait_for_telegram(bot: Bot, api_server: str, t: Translator, *,
                            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                            first_delay: float = FIRST_DELAY_S, max_delay: float = MAX_DELAY_S) -> User:
    """The bot's own account, once the Bot API answers; retries for as long as it takes."""
    delay = first_delay
    attempt = 1
    while True:
        try:
            return await bot.me()
        except (TelegramUnauthorizedError, TelegramNotFound) as exc:
            raise WrongToken(str(exc)) from exc
        except TelegramRetryAfter as exc:
            wait = float(exc.retry_after)
        except (TelegramNetworkError, TelegramServerError, OSError, asyncio.TimeoutError) as exc:
            wait = delay
            delay = min(delay * 2, max_delay)
            log.warning(t("cli.api_unreachable", url=api_server, attempt=attempt, seconds=round(wait),
                          error=_short(exc)))
        await sleep(wait)
        attempt += 1


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
