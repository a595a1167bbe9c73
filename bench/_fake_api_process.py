"""Runs the rate-enforcing fake Bot API server in its own process (as Telegram is elsewhere), so
the benchmark measures the sender, not the server sharing its event loop."""
from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import sys

from testkit.fakes.rate_limited_api import RateLimitedBotApi


def _serve(limit: float, port_out, stop_in, stats_out) -> None:  # noqa: ANN001 - multiprocessing pipes
    async def main() -> None:
        server = RateLimitedBotApi(per_second=limit)
        port_out.send(await server.start())
        await asyncio.get_running_loop().run_in_executor(None, stop_in.recv)
        stats_out.send(json.dumps({"received": dict(server.received), "too_many": server.too_many}))
        await server.stop()

    asyncio.run(main())


class FakeApiProcess:
    def __init__(self, limit: float) -> None:
        ctx = mp.get_context("spawn")
        self._port_r, port_w = ctx.Pipe(False)
        stop_r, self._stop_w = ctx.Pipe(False)
        self._stats_r, stats_w = ctx.Pipe(False)
        self.process = ctx.Process(target=_serve, args=(limit, port_w, stop_r, stats_w), daemon=True)

    def start(self) -> str:
        self.process.start()
        return self._port_r.recv()

    def stop(self) -> dict:
        self._stop_w.send(True)
        stats = json.loads(self._stats_r.recv())
        self.process.join(10)
        return {"received": {int(k): v for k, v in stats["received"].items()}, "too_many": stats["too_many"]}


if __name__ == "__main__":  # pragma: no cover
    sys.exit("imported by bench.outbox_fanout")
