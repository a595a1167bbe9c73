"""Runs a fake Bot API server in its own process (as Telegram is elsewhere), so a benchmark
measures the bot, not the server sharing its event loop.

`make_server(*args)` (a module-level function, so a spawned process can import it) returns an
object with `async start() -> url`, `async stop()` and `stats() -> dict` (JSON), the figures the
benchmark reads once the server has stopped taking calls."""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import sys
from collections.abc import Callable
from typing import Any


def _serve(make_server, args, port_out, stop_in, stats_out) -> None:  # noqa: ANN001 - multiprocessing pipes
    async def main() -> None:
        server = make_server(*args)
        port_out.send(await server.start())
        await asyncio.get_running_loop().run_in_executor(None, stop_in.recv)
        stats_out.send(json.dumps(server.stats()))
        await server.stop()

    asyncio.run(main())


class FakeApiProcess:
    def __init__(self, make_server: Callable[..., Any], *args: Any) -> None:
        ctx = mp.get_context("spawn")
        self._port_r, port_w = ctx.Pipe(False)
        stop_r, self._stop_w = ctx.Pipe(False)
        self._stats_r, stats_w = ctx.Pipe(False)
        self.process = ctx.Process(target=_serve, args=(make_server, args, port_w, stop_r, stats_w), daemon=True)

    def start(self) -> str:
        self.process.start()
        return self._port_r.recv()

    def stop(self) -> dict:
        self._stop_w.send(True)
        stats = json.loads(self._stats_r.recv())
        self.process.join(10)
        return stats


if __name__ == "__main__":  # pragma: no cover
    sys.exit("imported by the benchmarks")
