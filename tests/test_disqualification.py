"""取消资格 on SQLite and PostgreSQL: /disqualify in the chat, the service under Yangquan and Jincheng,
prompts that stop, the final failing grade, and `tepai disqualify`."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cli import main
from domain.policy import load_policy
from domain.roles import Role
from services.assessment import decide
from services.disqualification import DisqualifyError, disqualify
from services.feedback_tick import feedback_tick
from storage.models import Agreement, AuditEntry, Commissioner, Disqualification, Enterprise, Need, Pairing
from storage.repositories import Repos
from testkit.botkit import Person, alerts, texts
from testkit.visitflow import Walk
from testkit.worlds import ADMIN, LI_MING, WANG, ZERO, ZHANG, harness, invite, local, logged_visit, queued  # noqa: F401
from testkit.worlds import remind as tick
from testkit.worlds import world

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUREAU_ADMIN = Person(3001, "建国", "周")


@pytest.fixture
async def bureau(harness, world, clock) -> Person:  # noqa: ANN001, F811
    await harness.send(BUREAU_ADMIN, f"/start {await invite(world[0], clock, Role.BUREAU, '市科技局')}")
    return BUREAU_ADMIN


async def commissioner(w, code: str) -> Commissioner:  # noqa: ANN001
    async with w[0]() as session:
        return await session.scalar(select(Commissioner).where(Commissioner.code == code))


async def agreements_of(w, code: str) -> list[Agreement]:  # noqa: ANN001
    c = await commissioner(w, code)
    async with w[0]() as session:
        stmt = select(Agreement).where(Agreement.commissioner_id == c.id).order_by(Agreement.id)
        return list((await session.scalars(stmt)).all())


async def open_pairings(w, clock, code: str) -> list[int]:  # noqa: ANN001
    """A need of E003 with two pairings of this commissioner: one on notice, one agreed long ago."""
    c = await commissioner(w, code)
    async with w[0]() as session:
        e003 = await session.scalar(select(Enterprise).where(Enterprise.code == "E003"))
        need = Need(enterprise_id=e003.id, field="设施农业", description="大棚蔬菜病虫害防治需要技术支持",
                    created_at=clock.now(), created_by="test")
        other = Need(enterprise_id=e003.id, field="设施农业", description="滴灌系统改造需要技术支持",
                     created_at=clock.now(), created_by="test")
        session.add_all([need, other])
        await session.flush()
        rows = [Pairing(need_id=need.id, commissioner_id=c.id, status="notice", created_at=clock.now()),
                Pairing(need_id=other.id, commissioner_id=c.id, status="agreed", created_at=clock.now())]
        session.add_all(rows)
        await session.commit()
        return [r.id for r in rows]


async def pairing_statuses(w) -> list[str]:  # noqa: ANN001
    async with w[0]() as session:
        return list((await session.scalars(select(Pairing.status).order_by(Pairing.id))).all())


async def run(w, clock, policy, code: str, reason: str, note: str = "") -> Disqualification:  # noqa: ANN001
    async with w[0]() as session:
        repos = Repos(session)
        row = await disqualify(repos, clock, policy, SHANGHAI, code=code, reason_key=reason, note=note, actor="cli")
        await repos.commit()
        return row


# --- in the chat ---------------------------------------------------------------------------------


async def test_bureau_disqualifies_under_yangquan(harness, world, bureau, clock) -> None:  # noqa: F811
    await open_pairings(world, clock, "C001")
    walk = Walk(harness, bureau)
    await walk.send("/disqualify C001")
    assert "取消 张伟（C001，在岗）的科技特派员资格" in walk.last_text()
    await walk.press("有违法违纪行为（第十六条（二））")
    card = walk.last_text()
    assert "将终止协议 2 份" in card and "阳泉华鑫耐火材料有限公司" in card and "阳泉恒通智能装备有限公司" in card
    assert "2027年12月31日 前不再受理" in card and "不追回" in card
    mark = len(harness.session.requests)
    await walk.press("⚠️ 确认取消资格")
    assert "已取消 张伟（C001）的科技特派员资格，终止协议 2 份，2027年12月31日 前" in walk.last_text()

    c = await commissioner(world, "C001")
    assert (c.status, c.barred_until) == ("disqualified", date(2027, 12, 31))
    agreements = await agreements_of(world, "C001")
    assert [(a.status, a.end_date) for a in agreements] == [("terminated", date(2026, 3, 16))] * 2
    assert await pairing_statuses(world) == ["rejected", "agreed"]
    async with world[0]() as session:
        row = await session.scalar(select(Disqualification))
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "commissioner.disqualify"))
    assert (row.reason, row.article, row.recover_subsidies) == ("violation", "第十六条（二）", False)
    assert sorted(row.agreements_ended) == sorted(a.id for a in agreements)
    assert entry.actor.startswith("user:") and entry.entity_id == str(c.id)
    assert entry.details["barred_until"] == "2027-12-31" and len(entry.details["pairings_rejected"]) == 1
    # The commissioner, the contact of E001 and the county admin (城区) are told.
    await harness.drain()
    for person in (ZHANG, LI_MING, ADMIN):
        told = texts([r for r in harness.session.requests[mark:] if getattr(r, "chat_id", None) == person.id])
        assert any("取消张伟（C001）的科技特派员资格" in x.replace(" ", "") for x in told), person
    # The same button again, and the command again: refused, nothing changes.
    assert "已经取消过了" in alerts(await walk.press("⚠️ 确认取消资格"))[0]
    assert "已经取消过了" in (await harness.send(bureau, "/disqualify C001"))[0]
    async with world[0]() as session:
        assert len((await session.scalars(select(Disqualification))).all()) == 1


async def test_only_the_bureau_disqualifies(harness, world, bureau) -> None:  # noqa: F811
    for person in (ADMIN, ZHANG, LI_MING):
        assert "仅限" in (await harness.send(person, "/disqualify C002"))[0]
    assert "用法" in (await harness.send(bureau, "/disqualify"))[0]
    assert "没有这个特派员编号" in (await harness.send(bureau, "/disqualify C999"))[0]
    walk = Walk(harness, bureau)
    await walk.send("/disqualify C002")
    await walk.press("✖️ 不取消")
    assert "没有做任何改动" in walk.last_text()
    assert (await commissioner(world, "C002")).status == "active"


# --- the service -----------------------------------------------------------------------------------


async def test_jincheng_bars_three_years_and_recovers_subsidies(harness, world, clock) -> None:  # noqa: F811
    jincheng = load_policy("jincheng")
    with pytest.raises(DisqualifyError, match="unknown_reason"):
        await run(world, clock, jincheng, "C002", "harm")  # a Yangquan reason
    row = await run(world, clock, jincheng, "C002", "false_info", note="申报材料学历造假")
    assert (row.barred_until, row.recover_subsidies, row.article, row.note) == (
        date(2029, 12, 31), True, "第二十一条", "申报材料学历造假")
    c = await commissioner(world, "C002")
    assert (c.status, c.barred_until) == ("disqualified", date(2029, 12, 31))
    assert [a.status for a in await agreements_of(world, "C002")] == ["terminated"]
    with pytest.raises(DisqualifyError, match="already"):
        await run(world, clock, jincheng, "C002", "violation")


async def test_reminders_stop_for_the_disqualified(harness, world, clock, policy) -> None:  # noqa: F811
    await run(world, clock, policy, "C001", "unmanaged")
    # The Q1 midpoint: only WANG is reminded now (both were before).
    assert await tick(world, clock, policy, local(2026, 3, 26)) == {**ZERO, "report": 1}
    assert await queued(world, ZHANG, "report-") == []
    assert len(await queued(world, WANG, "report-")) == 1
    # Overdue in April: still nothing for ZHANG, and the county list does not name him.
    await tick(world, clock, policy, local(2026, 4, 12))
    assert await queued(world, ZHANG, "report-") == []
    assert all("张伟" not in m.text for m in await queued(world, ADMIN, "report-overdue-county"))


async def test_feedback_prompts_stop_for_the_disqualified(harness, world, clock, policy) -> None:  # noqa: F811
    await logged_visit(harness)
    await harness.drain()
    await run(world, clock, policy, "C001", "other")
    clock.set(clock.now() + timedelta(days=2, hours=1))
    counts = await feedback_tick(world[0], clock, policy, SHANGHAI)
    assert counts["reminded"] == 1  # recorded as due…
    assert [m for m in await queued(world, LI_MING, "visit-prompt:") if not m.key.endswith(":0")] == []  # …not sent


async def test_final_fail_grade_disqualifies_in_yangquan_only(harness, world, clock, policy) -> None:  # noqa: F811
    async with world[0]() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2026, code="C001", grade="fail", reason="考核不合格", actor="user:7")
        await repos.commit()
    assert (await commissioner(world, "C001")).status == "active"  # not final: an override only
    async with world[0]() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2026, code="C001", grade="fail", reason="考核不合格", actor="user:7",
                     final=True)
        await repos.commit()
        row = await session.scalar(select(Disqualification))
    assert (row.reason, row.note, row.decided_by, row.barred_until) == (
        "failed_assessment", "考核不合格", "user:7", date(2027, 12, 31))
    assert (await commissioner(world, "C001")).status == "disqualified"
    # Jincheng names no failing grade: its lowest final grade disqualifies no one.
    jincheng = load_policy("jincheng")
    async with world[0]() as session:
        repos = Repos(session)
        await decide(repos, clock, jincheng, year=2026, code="C002", grade="incompetent", reason="不称职",
                     actor="user:7", final=True)
        await repos.commit()
    assert (await commissioner(world, "C002")).status == "active"


# --- the command line ------------------------------------------------------------------------------


async def test_cli_disqualify(harness, world, database_url, monkeypatch, capsys, tmp_path) -> None:  # noqa: F811
    monkeypatch.setenv("TEPAI_DATABASE_URL", database_url)
    monkeypatch.setenv("TEPAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TEPAI_POLICY", "jincheng")
    assert await asyncio.to_thread(main, ["disqualify", "C004", "--reason", "nope"]) == 1
    err = capsys.readouterr().err
    assert "没有“nope”这个取消资格的原因" in err and "violation：违法违规行为" in err  # the valid ones listed
    # The policy's Chinese words work as well as the key, and the Chinese label is shown back.
    assert await asyncio.to_thread(main, ["disqualify", "C004", "--reason", "违法违规行为", "--note", "挪用经费"]) == 0
    out = capsys.readouterr().out
    assert "原因 违法违规行为" in out and "violation" not in out
    assert "刘洋（C004）" in out and "2029年12月31日" in out and "追回补贴：是" in out
    c = await commissioner(world, "C004")
    assert (c.status, c.barred_until) == ("disqualified", date(2029, 12, 31))
    async with world[0]() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "commissioner.disqualify"))
    assert entry.actor == "cli" and entry.details["note"] == "挪用经费"
    assert await asyncio.to_thread(main, ["disqualify", "C004", "--reason", "violation"]) == 1
    assert "已经取消过了" in capsys.readouterr().err
