"""`tepai run --metrics-port N` (TEPAI_METRICS_PORT): /healthz, /readyz and /metrics beside
polling, served by bot/health.py as on the webhook listener. SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession

from bot.cli_argparse import speaking
from bot.cli_parser import build_parser
from bot.runner import run_polling
from bot.settings import Settings
from domain.policy import load_policy
from locales import Translator
from testkit.apiflow import wait_for
from testkit.botkit import BOT_TOKEN
from testkit.fakes.bot_api import FakeBotApi
from testkit.ports import free_port


async def test_polling_serves_health_and_metrics_on_its_own_port(tmp_path, database_url) -> None:  # noqa: ANN001
    api = FakeBotApi()
    port = free_port()
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database_url, api_server=await api.start(),
                        metrics_port=port)
    polling = asyncio.create_task(run_polling(settings, load_policy("yangquan"), BOT_TOKEN, Translator("zh")))
    try:
        async with ClientSession() as http:
            async def get(path: str) -> tuple[int, str]:
                async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                    return response.status, await response.text()

            await wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls) or polling.done(), 60)
            assert not polling.done(), polling.exception()
            assert await get("/healthz") == (200, "ok\n")
            assert await get("/readyz") == (200, "ready\n")
            api.pending.append(FakeBotApi.text_update(5, 4242, "/help"))
            await wait_for(lambda: bool(api.sent_texts()))
            for _ in range(200):  # the update is counted on its way out, the lease taken in the background
                status, body = await get("/metrics")
                if 'tepai_updates_handled_total{outcome="ok",type="message"} 1.0' in body \
                        and "tepai_scheduler_lease_held 1.0" in body:
                    break
                await asyncio.sleep(0.05)
    finally:
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
        await api.stop()
    assert status == 200
    assert 'tepai_updates_handled_total{outcome="ok",type="message"} 1.0' in body
    assert "tepai_messages_sent_total 1.0" in body
    assert "tepai_scheduler_lease_held 1.0" in body  # TEPAI_SCHEDULER=inline: this process schedules


def test_the_port_is_a_flag_of_run_and_scheduler(capsys) -> None:  # noqa: ANN001
    t = Translator("en")
    with speaking(t):
        parser = build_parser(t)
        assert parser.parse_args(["run", "--metrics-port", "9108"]).metrics_port == 9108
        chosen = parser.parse_args(["scheduler", "--metrics-port", "9108", "--metrics-host", "0.0.0.0"])  # noqa: S104
        assert (chosen.metrics_port, chosen.metrics_host) == (9108, "0.0.0.0")  # noqa: S104
        with pytest.raises(SystemExit):
            parser.parse_args(["run", "--metrics-port", "0"])
    assert "not a port (1-65535): 0" in capsys.readouterr().err
    assert Settings(_env_file=None).metrics_port is None  # not served unless asked for
