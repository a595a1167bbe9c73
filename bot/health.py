"""What an operator asks a running bot: /healthz, /readyz and /metrics on the webhook listener,
or on a listener of their own beside polling (`tepai run --metrics-port N`).

The metrics are Prometheus series (`prometheus-client`, in a registry of this process's own, so two
Dispatchers in one test process do not mix): updates handled by type and outcome with the
handler's latency (an outer middleware, first of all), Bot API calls seen by the Bot's session
(messages sent, 429s, 403s) and those carried in webhook responses instead (bot/webhook.py), and
at scrape time the outbox backlog and whether this process holds the scheduler lease.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject, Update
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, as_utc
from scheduler.lease import Lease
from storage.evidence_store import EvidenceStore
from storage.repositories.outbox import OutboxRepo

# /readyz waits this long for Redis's PONG: on a host that drops packets a PING would hang.
REDIS_PING_S = 2.0
# ... and this long for the evidence store's round trip (a bucket's client retries on its own).
EVIDENCE_CHECK_S = 10.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter("tepai_updates_handled", "Updates handled, by type and outcome (ok or error)",
                               ["type", "outcome"], registry=self.registry)
        self.latency = Histogram("tepai_update_handler_seconds", "Time from an update's arrival to its answer",
                                 ["type"], registry=self.registry)
        self.sent = Counter("tepai_messages_sent", "Messages sent through the Bot API (send* methods)",
                            registry=self.registry)
        self.in_response = Counter("tepai_webhook_response_calls",
                                   "Bot API calls carried in webhook responses instead of sent as requests "
                                   "(a button tap's answerCallbackQuery), by method", ["method"],
                                   registry=self.registry)
        self.rate_limited = Counter("tepai_telegram_429", "Bot API answers 429 Too Many Requests",
                                    registry=self.registry)
        self.forbidden = Counter("tepai_telegram_403", "Bot API answers 403 Forbidden (the bot was blocked)",
                                 registry=self.registry)
        self.outbox_depth = Gauge("tepai_outbox_pending", "Outbox messages waiting to be sent", registry=self.registry)
        self.outbox_oldest = Gauge("tepai_outbox_oldest_pending_seconds", "Age of the oldest waiting message",
                                   registry=self.registry)
        self.evidence_errors = Counter("tepai_evidence_store_errors", "Evidence store operations that failed",
                                       ["operation"], registry=self.registry)
        self.lease_held = Gauge("tepai_scheduler_lease_held", "1 while this process holds the scheduler lease",
                                registry=self.registry)


    def evidence_error(self, operation: str) -> None:
        """The evidence store's `on_error`: read, write or delete failed."""
        self.evidence_errors.labels(operation).inc()


class UpdateMetricsMiddleware(BaseMiddleware):
    """Counts and times every update, around everything else (so a failure anywhere is an error)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "ok"
            return result
        finally:
            self._metrics.latency.labels(kind).observe(time.perf_counter() - started)
            self._metrics.updates.labels(kind, outcome).inc()


class BotApiMetrics(BaseRequestMiddleware):
    """Counts what the Bot API said to this process's Bot: sends, 429s and 403s."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, make_request: NextRequestMiddlewareType, bot: Bot, method: TelegramMethod) -> Any:
        try:
            response = await make_request(bot, method)
        except TelegramRetryAfter:
            self._metrics.rate_limited.inc()
            raise
        except TelegramForbiddenError:
            self._metrics.forbidden.inc()
            raise
        if method.__api_method__.startswith("send"):
            self._metrics.sent.inc()
        return response


@dataclass
class Health:
    """What /readyz and /metrics look at. `lease` is set once the background work runs (it holds
    the lease); `redis` is the shared Redis (TEPAI_REDIS_URL); `stopping` is set when a stop was
    asked for (bot/shutdown.py)."""

    metrics: Metrics
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    evidence: EvidenceStore
    lease: Lease | None = None
    redis: Redis | None = None
    stopping: asyncio.Event | None = None
    redis_timeout_s: float = REDIS_PING_S
    evidence_timeout_s: float = EVIDENCE_CHECK_S
    # The evidence check in flight and when its answer is due. Its thread cannot be stopped, so a
    # hanging store holds it past the timeout: the probes after it wait for that one (until it is
    # due, then not at all) instead of each leaving one more thread hanging.
    _evidence_check: asyncio.Future | None = field(default=None, init=False, repr=False)
    _evidence_due: float = field(default=0.0, init=False, repr=False)

    async def problems(self) -> list[str]:
        """What keeps this process from taking work, one line each; none: ready."""
        if self.stopping is not None and self.stopping.is_set():
            # Draining: a load balancer takes this worker out while what it took finishes.
            return ["stopping: finishing the work in flight"]
        problems = []
        try:
            async with self.sessionmaker() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=5)
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            problems.append(f"database: {type(exc).__name__}")
        try:  # a small write, read and delete: the store the bot writes to, not just that it answers
            await self._evidence_checked()
        except TimeoutError:
            problems.append(f"evidence store {self.evidence.where}: no answer in {self.evidence_timeout_s:g} s")
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            problems.append(f"evidence store {self.evidence.where}: {type(exc.__cause__ or exc).__name__}")
        if self.redis is not None:
            try:  # conversation state and the per-person locks live there
                await asyncio.wait_for(self.redis.ping(), timeout=self.redis_timeout_s)
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                problems.append(f"Redis {redis_where(self.redis)}: {type(exc).__name__}")
        return problems

    async def _evidence_checked(self) -> None:
        """The evidence store's round trip, at most one at a time; TimeoutError once it is due."""
        loop = asyncio.get_running_loop()
        if self._evidence_check is None or self._evidence_check.done():
            self._evidence_check = asyncio.ensure_future(self.evidence.check())
            self._evidence_due = loop.time() + self.evidence_timeout_s
        # shielded: a probe that stops waiting leaves the check running for the next one to find
        await asyncio.wait_for(asyncio.shield(self._evidence_check), timeout=max(0.0, self._evidence_due - loop.time()))


def redis_where(redis: Redis) -> str:
    """Where `redis` connects, without its password."""
    where = redis.connection_pool.connection_kwargs
    if "path" in where:
        return f"unix://{where['path']}"
    return f"redis://{where.get('host', 'localhost')}:{where.get('port', 6379)}/{where.get('db', 0)}"


def add_health_routes(app: web.Application, health: Health) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")  # while the process stops too: it still answers

    async def readyz(_: web.Request) -> web.Response:
        problems = await health.problems()
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text="ready\n")

    async def metrics_page(_: web.Request) -> web.Response:
        metrics = health.metrics
        try:
            async with health.sessionmaker() as session:
                depth, oldest = await OutboxRepo(session).backlog()
            metrics.outbox_depth.set(depth)
            metrics.outbox_oldest.set(max(0.0, (health.clock.now() - as_utc(oldest)).total_seconds()) if oldest else 0)
            if health.lease is not None:
                metrics.lease_held.set(1 if (await health.lease.status()).mine else 0)
        except Exception:  # noqa: BLE001, S110 - the database away: the process's own series still count
            pass
        return web.Response(body=generate_latest(metrics.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)


def instrument(bot: Bot) -> tuple[Metrics, UpdateMetricsMiddleware]:
    """This process's series: the Bot's calls counted from now on, and the middleware that counts
    and times the updates (for the dispatcher)."""
    metrics = Metrics()
    bot.session.middleware(BotApiMetrics(metrics))
    return metrics, UpdateMetricsMiddleware(metrics)


@contextlib.asynccontextmanager
async def listening(app: web.Application, host: str, port: int, **runner_options: Any) -> AsyncIterator[None]:
    """`app` served on host:port for as long as the block runs."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield
    finally:
        await runner.cleanup()


def health_app(health: Health) -> web.Application:
    """/healthz, /readyz and /metrics on a listener of their own (beside polling, or the scheduler)."""
    app = web.Application()
    add_health_routes(app, health)
    return app
