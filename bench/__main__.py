"""`make bench` (or `.venv/bin/python -m bench`): every benchmark, ratios measured side by side.

With TEPAI_BENCH_PG_ADMIN_URL (set by `make bench`) the visit flow also runs on PostgreSQL.
"""
from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager

from bench import image_evidence, outbox_fanout, visit_flow
from testkit.databases import scratch_database


@asynccontextmanager
async def _postgres():  # noqa: ANN202 - yields a database URL or None
    admin = os.environ.get("TEPAI_BENCH_PG_ADMIN_URL")
    if not admin:
        yield None
        return
    async with scratch_database(admin, "tepai_bench") as url:
        yield url


async def _flow() -> dict[str, float]:
    async with _postgres() as pg_url:
        return await visit_flow.run(pg_url)


# High enough to finish 10,000 messages in under a minute; within what one sender process
# sustains on this machine (about 370 a second unpaced against SQLite), so the ratio measures pacing.
FANOUT_LIMIT = 180.0


def main() -> None:
    print("Visit conversation vs a bare aiogram echo Dispatcher (feed_update, recording session)")
    flow = asyncio.run(_flow())
    print(f"  visit text/button steps, SQLite file: {flow['visit_rate']:8.1f} updates/s over {flow['updates']} "
          f"updates ({flow['conversations_per_s']:.1f} complete visits/s)")
    if "pg_rate" in flow:
        print(f"  visit text/button steps, PostgreSQL:  {flow['pg_rate']:8.1f} updates/s "
              f"(ratio to echo {flow['pg_ratio']:.3f})")
    print(f"  bare echo:                            {flow['echo_rate']:8.1f} updates/s")
    print(f"  floor, the same Telegram calls with no storage or logic: {flow['floor_rate']:8.1f} updates/s")
    print(f"  ratio visit/echo (SQLite):            {flow['ratio']:8.3f}   (target >= 0.5)")
    print(f"  ratio floor/echo (the most any flow asking this way can reach): {flow['floor_ratio']:.3f}")
    steps = ", ".join(f"{name} {ms:.1f}" for name, ms in flow["step_ms"].items())
    print(f"  visit step medians, ms: {steps}")
    print()
    print("12-megapixel JPEG with EXIF: store + thumbnail + every evidence check vs one full Pillow decode")
    img = image_evidence.run()
    print(f"  file: {img['jpeg_mb']:.1f} MB; full decode {img['decode_ms']:.1f} ms; "
          f"store and check {img['store_ms']:.1f} ms")
    print(f"  ratio store/decode:                   {img['ratio']:8.3f}   (target <= 0.5)")
    print(f"  peak memory above start: full decode {img['decode_peak_mb']:.0f} MB, "
          f"store and check {img['store_peak_mb']:.0f} MB")
    both = image_evidence.bucket_vs_folder()
    print(f"  into an S3 bucket (moto on loopback) {both['bucket_ms']:.1f} ms, into a folder {both['folder_ms']:.1f} ms")
    print(f"  ratio bucket/folder:                  {both['ratio']:8.3f}   (moto is a slow stand-in: an upper bound)")
    print()
    print("Fan-out through the outbox sender to a local Bot API server enforcing a global rate (429 past it)")
    fan = asyncio.run(outbox_fanout.run(messages=10_000, limit=FANOUT_LIMIT))
    print(f"  {fan['messages']} messages at a limit of {fan['limit']:.0f}/s: {fan['seconds']:.1f} s, "
          f"{fan['rate']:.1f} messages/s")
    print(f"  ratio achieved/limit:                 {fan['ratio']:8.3f}   (target >= 0.95)")
    print(f"  429 answers: {fan['too_many']}; duplicates: {fan['duplicates']}; misses: {fan['misses']}   (target 0/0)")


if __name__ == "__main__":
    main()
