"""`tepai import` → `tepai invite` → `tepai run` against a local Bot API server (TEPAI_API_SERVER):
a user sends /start <token>, is bound and greeted; the same token again is refused; then the
user logs a visit end to end, a photo file downloaded through the server's getFile."""
from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from testkit.apiflow import ApiPerson, finish_online_visit, online_visit_until_upload, polled
from testkit.apiflow import wait_for as _wait_for
from testkit.cli import cli_env
from testkit.databases import EXAMPLES
from testkit.fakes.bot_api import FakeBotApi

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def _tepai(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def test_invite_link_binds_user_through_self_hosted_api_server(tmp_path: Path) -> None:
    api = FakeBotApi()
    base = await api.start()
    env = cli_env(TEPAI_DATA_DIR=str(tmp_path / "data"), TEPAI_BOT_TOKEN=TOKEN, TEPAI_API_SERVER=base)
    try:
        code, _, err = await _tepai(env, tmp_path, "import", str(EXAMPLES / "tepai-example.xlsx"))
        assert code == 0, err
        # No TEPAI_BOT_USERNAME: the link's username is asked from the API server.
        code, out, err = await _tepai(env, tmp_path, "invite", "commissioner", "C001")
        assert code == 0, err
        link = out.strip().splitlines()[-1]
        assert link.startswith("https://t.me/tepai_e2e_bot?start=")
        token = link.split("start=", 1)[1]

        run = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await _wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls) or run.returncode is not None,
                            timeout=60)
            if run.returncode is not None:  # it stopped before polling: show why
                _, err = await run.communicate()
                raise AssertionError(f"tepai run exited with {run.returncode}: {err.decode()[-3000:]}")
            api.pending.append(FakeBotApi.text_update(1, 777, f"/start {token}"))
            await _wait_for(lambda: any("邀请已确认" in text for text in api.sent_texts()))
            api.pending.append(FakeBotApi.text_update(2, 778, f"/start {token}", "Eve"))
            api.pending.append(FakeBotApi.text_update(3, 777, "/me"))
            await _wait_for(lambda: any("已经被使用" in text for text in api.sent_texts())
                            and any("服务协议" in text for text in api.sent_texts()))
            zhang = ApiPerson(api, polled(api), 777, update_ids=iter(range(100, 200)))
            await online_visit_until_upload(zhang)
            await finish_online_visit(zhang)
        finally:
            if run.returncode is None:
                run.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(run.communicate(), 30)
        # Replies to two people are concurrent, and the scheduler may send reminders meanwhile:
        # look for each text, not at positions.
        texts = api.sent_texts()
        assert any("张伟" in text and "邀请已确认" in text for text in texts)
        assert any("已经被使用" in text for text in texts)
        assert any("C001" in text and "阳泉华鑫耐火材料有限公司" in text for text in texts)
        methods = {m for m, _ in api.calls}
        assert {"getMe", "setMyCommands", "getUpdates", "sendMessage", "getFile", "answerCallbackQuery"} <= methods
        assert any("本年度第 1 次服务" in text for text in api.sent_texts())
        assert (tmp_path / "data" / "evidence" / "originals").is_dir()
        assert run.returncode == 0, err.decode()[-2000:]
    finally:
        await api.stop()
