"""Stopping on SIGTERM or SIGINT (systemd, a container runtime, Ctrl+C) without losing work.

While a process starts (migrating, waiting for Telegram) a signal simply ends it: nothing was
taken yet. Once it serves, a signal asks it to stop taking work (no more getUpdates, webhook posts
answered 503 so Telegram sends them again, to another worker), to finish the updates in flight
and the sender's current batch, to release the scheduler lease, and to exit 0. A second signal
while it drains ends it at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

log = logging.getLogger(__name__)

# How long updates in flight may take to finish once a stop was asked for; beyond it they are
# cancelled (their transaction rolls back and Telegram delivers them again).
DRAIN_S = 25.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Shutdown:
    """The stop request of this process, set by SIGTERM or SIGINT (see the module's text)."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self._main = asyncio.current_task()
        self._serving = False

    @classmethod
    def on_signals(cls) -> Shutdown:
        """Handle SIGTERM and SIGINT from now on, in the running loop (call it from the main task)."""
        shutdown = cls()
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            loop.add_signal_handler(sig, shutdown._signalled, sig)
        return shutdown

    def _signalled(self, sig: signal.Signals) -> None:
        if self._serving and not self.requested.is_set():
            log.info("%s: finishing the work in flight, then stopping", sig.name)
            self.requested.set()
            return
        if self._main is not None:  # starting up, or a second signal while draining
            log.info("%s: stopping now", sig.name)
            self._main.cancel()

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """From here a signal drains instead of cancelling."""
        self._serving = True
        try:
            yield
        finally:
            self._serving = False

    async def wait(self) -> None:
        await self.requested.wait()


async def first_of(task: asyncio.Future, other: Awaitable[Any]) -> None:
    """Wait for `task` or `other`, whichever ends first (`other` is cancelled if it did not)."""
    waiting = asyncio.ensure_future(other)
    try:
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


class InFlight:
    """Counts the work in flight (updates, webhook posts) and, once closed, takes no more."""

    def __init__(self) -> None:
        self.count = 0
        self.closed = False
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def drain(self, timeout: float = DRAIN_S) -> bool:
        """Take no more and wait for what is in flight; False if it did not finish in time."""
        self.closed = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%d updates still in flight after %.0f s; stopping without them", self.count, timeout)
            return False
        return True

    def middleware(self) -> BaseMiddleware:
        return _TrackUpdates(self)


class _TrackUpdates(BaseMiddleware):
    """Outermost of ours: an update counts as in flight from its first step to its last."""

    def __init__(self, in_flight: InFlight) -> None:
        self._in_flight = in_flight

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._in_flight.track():
            return await handler(event, data)
