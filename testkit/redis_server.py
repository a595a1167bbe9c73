"""A Redis of a test's own, on its own port, for a test that must stop it: the shared one of
scripts/start-redis.sh serves everyone else's tests and must never stop. In memory only; a child
of the test, ended by its pid."""
from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisUnreachable

INSTALLED = shutil.which("redis-server") is not None


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._server: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._server = await asyncio.create_subprocess_exec(
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL)
        probe = Redis.from_url(self.url)
        try:
            for _ in range(200):
                with contextlib.suppress(RedisUnreachable):
                    if await probe.ping():
                        return
                assert self._server.returncode is None, "redis-server ended at once"
                await asyncio.sleep(0.02)
            raise TimeoutError(f"redis-server did not answer on port {self.port}")
        finally:
            await probe.aclose()

    async def stop(self) -> None:
        if self._server is not None and self._server.returncode is None:
            self._server.terminate()
            await self._server.wait()


@contextlib.asynccontextmanager
async def private_redis(port: int) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
