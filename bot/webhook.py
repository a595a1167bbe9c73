"""`tepai webhook`: Telegram posts updates to an aiohttp listener instead of being long-polled.

Each update is answered only after its transaction has committed (aiogram's request handler with
`handle_in_background=False`): a process that dies mid-update never said 200, so Telegram delivers
the update again and the dedupe (bot/middlewares/dedupe.py) makes that exactly once. An update
whose handling raises answers 500, which Telegram also retries.

A button tap's callback answer rides in that 200 response (bot/replies.py `answer_in_response`:
Telegram's "answer to the webhook request", which the Bot API runs as a call of its own), one
request fewer per tap. Its result would only be True, so not knowing it costs nothing. Only an
update that committed has one; a 500 or 503 carries nothing.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.commands import set_default_menus
from bot.coordination import coordination
from bot.health import Health, Metrics, add_health_routes, instrument, listening
from bot.middlewares import UpdateNotHandled
from bot.replies import answer_in_response
from bot.runner import background_work, dispatcher_for, settle, started
from bot.settings import Settings
from bot.shutdown import InFlight, Shutdown
from bot.telegram_reach import wait_for_telegram
from domain.policy import Policy
from locales import Translator

log = logging.getLogger(__name__)


class SecretRequestHandler(SimpleRequestHandler):
    """aiogram's handler with the secret always required: no secret configured lets nothing in.
    Posts are counted in `in_flight`; once it is closed (the process stops) they are answered 503,
    unhandled, and Telegram sends them again (to another worker, or to this one restarted)."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret: str, in_flight: InFlight | None = None,
                 metrics: Metrics | None = None) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret)
        self.in_flight = in_flight or InFlight()
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.Response:
        if self.in_flight.closed:
            return web.Response(status=503, text="stopping\n")
        async with self.in_flight.track():
            try:
                return await super().handle(request)
            except UpdateNotHandled:  # logged where it gave up; Telegram delivers it again later
                return web.Response(status=500, text="not handled yet; deliver again")

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        """aiogram's, with the update's callback answer (if it committed one) as the response."""
        update = await request.json(loads=bot.session.json_loads)
        async with answer_in_response(bot) as in_response:
            returned = await self.dispatcher.feed_webhook_update(bot, update, **self.data)
            carried = await in_response.carried(bot, returned)
        if carried is not None and self.metrics is not None:
            self.metrics.in_response.labels(carried.__api_method__).inc()
        return web.Response(body=self._build_response_writer(bot=bot, result=carried))

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:  # noqa: ARG002
        # Constant time, so the secret cannot be guessed byte by byte from response times; as
        # bytes, since compare_digest refuses non-ASCII str and a header may carry any.
        return hmac.compare_digest(telegram_secret_token.encode(), self.secret_token.encode())


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def webhook_app(dp: Dispatcher, bot: Bot, *, path: str, secret: str, in_flight: InFlight | None = None,
                metrics: Metrics | None = None) -> web.Application:
    """The listener: POST `path` feeds the dispatcher; the bot's session closes with the app."""
    app = web.Application()
    SecretRequestHandler(dp, bot, secret, in_flight, metrics).register(app, path=path)
    setup_application(app, dp, bot=bot)
    return app


async def run_webhook(settings: Settings, policy: Policy, token: str, t: Translator, *, host: str, port: int,
                      set_webhook: bool) -> None:
    """Serve until SIGTERM or SIGINT: then posts are refused (503) and /readyz says "stopping",
    those in flight finish, the sender's batch goes out and the lease is released (/healthz
    answers all along). `set_webhook=False` for the second and later workers."""
    assert settings.webhook_url and settings.webhook_secret  # checked by the command line
    secret = settings.webhook_secret.get_secret_value()
    path = webhook_path(settings.webhook_url)
    shutdown = Shutdown.on_signals()
    # No ping before each pooled connection's use (storage.db.create_engine): a connection the
    # database dropped fails its update, which is tried again on a fresh one (or answered 500).
    async with started(settings, token, pre_ping=False) as (sessionmaker, clock, bot), \
            coordination(settings, workers=True) as shared:
        metrics, update_metrics = instrument(bot)
        in_flight = InFlight()
        evidence = settings.evidence_store(on_error=metrics.evidence_error)
        dp = dispatcher_for(settings, sessionmaker, clock, policy, evidence, update_metrics=update_metrics,
                            storage=shared.storage, user_locks=shared.user_locks, redelivered=True)
        # Telegram first, as `tepai run` does: a refused token then stops before any background
        # transaction is under way.
        me = await wait_for_telegram(bot, settings.api_server, t)
        health = Health(metrics, sessionmaker, clock, evidence, redis=shared.redis, stopping=shutdown.requested)
        app = webhook_app(dp, bot, path=path, secret=secret, in_flight=in_flight, metrics=metrics)
        add_health_routes(app, health)
        # The listener outlives the background work: /healthz answers while the sender's batch
        # goes out, and the Bot's session (closed with the app) stays open for it.
        async with listening(app, host, port), \
                background_work(settings, sessionmaker, bot, clock, policy, evidence, shutdown.requested) as lease:
            health.lease = lease
            await set_default_menus(bot)
            if set_webhook:
                await bot.set_webhook(settings.webhook_url, secret_token=secret,
                                      allowed_updates=dp.resolve_used_update_types())
            log.info(t("cli.starting", username=me.username, policy=policy.key,
                       url=settings.db_url.split("@")[-1]))
            log.info(t("cli.webhook_listening", host=host, port=port, path=path, webhook=settings.webhook_url))
            settle()
            with shutdown.serving():
                await shutdown.wait()
                await in_flight.drain()
