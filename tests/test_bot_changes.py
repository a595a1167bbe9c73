"""/change and /changes through the real Dispatcher, on SQLite and PostgreSQL: a party asks, the
bureau approves or rejects (from /changes or from the queued notice), both parties are told."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from storage.models import Agreement, AuditEntry, ChangeRequest, Enterprise
from testkit.botkit import Harness, Person, alerts, texts
from testkit.visitflow import Walk
from testkit.worlds import (  # noqa: F401 - fixtures
    ADMIN,
    BUREAU_ADMIN,
    LI_MING,
    WANG,
    ZHANG,
    bureau,
    harness,
    inbox,
    invite,
    received,
    world,
)

REASON = "企业转产，原定的耐火材料服务已不再需要。"
HUAXIN = "张伟（C001）— 阳泉华鑫耐火材料有限公司"


async def huaxin(h: Harness) -> Agreement:  # C001 with E001
    async with h.sessionmaker() as session:
        e001 = await session.scalar(select(Enterprise).where(Enterprise.code == "E001"))
        return await session.scalar(select(Agreement).where(Agreement.enterprise_id == e001.id))


async def requests_(h: Harness) -> list[ChangeRequest]:
    async with h.sessionmaker() as session:
        return list((await session.scalars(select(ChangeRequest).order_by(ChangeRequest.id))).all())


async def audit(h: Harness, prefix: str = "change.") -> list[AuditEntry]:
    async with h.sessionmaker() as session:
        stmt = select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
        return list((await session.scalars(stmt)).all())


async def ask(h: Harness, person: Person, kind: str, reason: str = REASON, targets: str | None = None,
              agreement: str | None = HUAXIN) -> Walk:
    walk = Walk(h, person)
    await walk.send("/change")
    if agreement is not None:
        assert "要变更哪一份协议" in walk.last_text()
        await walk.press(agreement)
    assert "要申请哪一种变更" in walk.last_text()
    await walk.press(kind)
    await walk.send(reason)
    if targets is not None:
        assert "调整后的任务目标" in walk.last_text()
        await walk.send(targets)
    assert "请核对您的申请" in walk.last_text()
    await walk.press("✅ 提交申请")
    return walk


async def test_end_early_approved_from_the_notice(harness, bureau, clock) -> None:  # noqa: F811
    walk = await ask(harness, ZHANG, "提前终止协议")
    assert "已提交" in walk.last_text()
    [row] = await requests_(harness)
    assert (row.kind, row.status, row.requester_role, row.reason) == ("end_early", "pending", "commissioner", REASON)
    mark = len(harness.session.requests)
    await harness.drain()
    [notice] = received(harness, bureau, mark)
    assert "变更申请" in notice and "提前终止协议" in notice and REASON in notice and "张伟" in notice

    mark = len(harness.session.requests)
    await inbox(harness, bureau).press("✅ 批准")
    assert f"已批准变更申请 #{row.id}" in received(harness, bureau, mark)[-1]
    agreement = await huaxin(harness)
    assert (agreement.status, agreement.end_date) == ("terminated", date(2026, 3, 16))
    [row] = await requests_(harness)
    assert row.status == "approved" and row.decided_by.startswith("user:")
    # Both parties are told: the commissioner who asked and the enterprise's contact.
    mark = len(harness.session.requests)
    await harness.drain()
    for person in (ZHANG, LI_MING):
        [told] = received(harness, person, mark)
        assert "已获市科技局批准" in told and "协议已终止，终止日期 2026年3月16日" in told
    assert [e.action for e in await audit(harness)] == ["change.request", "change.approve"]
    approve = (await audit(harness))[-1]
    assert approve.details["end_date"] == "2026-03-16" and approve.entity_id == str(row.id)

    # A second tap, on the same old button: a clear answer, nothing changes.
    again = await inbox(harness, bureau).press("❌ 驳回")
    assert "已经审批过了" in alerts(again)[0]
    assert (await requests_(harness))[0].status == "approved"
    assert len(await audit(harness)) == 2
    # The agreement is no longer active: no new request on it.
    assert "没有有效的协议" in (await harness.send(LI_MING, "/change"))[0]


async def test_change_targets_by_the_enterprise_approved_from_changes(harness, bureau) -> None:  # noqa: F811
    walk = await ask(harness, LI_MING, "调整任务目标", targets="新增窑炉节能改造一项", agreement=None)
    assert "已提交" in walk.last_text()
    [row] = await requests_(harness)
    assert (row.requester_role, row.detail) == ("enterprise", "新增窑炉节能改造一项")

    listing = Walk(harness, bureau)
    await listing.send("/changes")
    assert "待审批的变更申请 1 份" in texts(listing.seen)[0]
    assert "新的任务目标：新增窑炉节能改造一项" in listing.last_text()
    await listing.press("✅ 批准")
    agreement = await huaxin(harness)
    assert (agreement.status, agreement.targets, agreement.end_date) == ("active", "新增窑炉节能改造一项",
                                                                        date(2026, 12, 31))
    assert "没有待审批" in (await harness.send(bureau, "/changes"))[0]


async def test_rejected_changes_nothing(harness, bureau) -> None:  # noqa: F811
    await ask(harness, ZHANG, "更换服务对象", reason="希望改为服务阳泉恒通智能装备有限公司，专业更对口。")
    listing = Walk(harness, bureau)
    await listing.send("/changes")
    mark = len(harness.session.requests)
    await listing.press("❌ 驳回")
    assert "已驳回" in listing.last_text()
    agreement = await huaxin(harness)
    assert (agreement.status, agreement.end_date) == ("active", date(2026, 12, 31))
    [row] = await requests_(harness)
    assert row.status == "rejected"
    await harness.drain()
    assert any("未获市科技局批准" in text for text in received(harness, ZHANG, mark))
    assert [e.action for e in await audit(harness)] == ["change.request", "change.reject"]


async def test_one_pending_request_per_agreement(harness, bureau) -> None:  # noqa: F811
    await ask(harness, ZHANG, "提前终止协议")
    walk = await ask(harness, LI_MING, "提前终止协议", agreement=None)
    assert "已有一份待审批的变更申请" in walk.last_text()
    assert len(await requests_(harness)) == 1


async def test_wrong_input_keeps_the_draft(harness) -> None:  # noqa: F811
    walk = Walk(harness, ZHANG)
    await walk.send("/change")
    assert "请点上面的按钮" in (await walk.send("随便说说"))[0]
    await walk.press(HUAXIN)
    await walk.press("调整任务目标")
    assert "至少写 10 个字" in (await walk.send("太忙"))[0]
    assert "这里需要文字" in texts(await walk.feed(harness.sticker(ZHANG)))[0]
    await walk.send(REASON)
    assert "这里需要文字" in texts(await walk.feed(harness.sticker(ZHANG)))[0]
    await walk.send("新增窑炉节能改造一项")
    assert "请点上面的「提交申请」" in (await walk.send("好的"))[0]
    # A stale button of an earlier step: refused, the draft stays at the summary.
    stale = await walk.press("提前终止协议")
    assert "按钮已失效" in alerts(stale)[0]
    await walk.press("✖️ 取消")
    assert "没有提交" in walk.last_text()
    assert await requests_(harness) == []
    # /cancel in the middle ends the draft too.
    await walk.send("/change")
    await walk.press(HUAXIN)
    assert "已取消" in (await walk.send("/cancel"))[0]
    assert "按钮已失效" in alerts(await walk.press("提前终止协议"))[0]


async def test_role_limits(harness, bureau) -> None:  # noqa: F811
    # A county admin can neither ask nor list.
    for command in ("/change", "/changes"):
        assert "仅限" in (await harness.send(ADMIN, command))[0], command
    # A commissioner cannot list or decide.
    assert "仅限" in (await harness.send(WANG, "/changes"))[0]
    await ask(harness, ZHANG, "提前终止协议")
    [row] = await requests_(harness)
    from keyboards.changes import ChangeDecision

    approve = ChangeDecision(r=row.id, a="ok").pack()
    assert "只有市科技局管理员" in alerts(await harness.press(ZHANG, approve))[0]
    assert "按钮已失效" in alerts(await harness.press(ADMIN, approve))[0]
    assert (await requests_(harness))[0].status == "pending"
    # WANG (C002) has no part in C001's agreements: he only sees his own.
    walk = Walk(harness, WANG)
    await walk.send("/change")
    assert "阳泉晋阳煤化工有限公司" in walk.last_text() and "华鑫" not in walk.last_text()


async def test_forged_kind_button_is_refused_and_keeps_the_draft(harness) -> None:  # noqa: F811
    walk = Walk(harness, ZHANG)
    await walk.send("/change")
    await walk.press(HUAXIN)
    assert "要申请哪一种变更" in walk.last_text()
    state = await harness.dp.storage.get_data(harness.state_key(ZHANG))
    forged = await walk.feed(harness.callback(ZHANG, "cr:kind:bogus"))
    assert "没有这种变更类型" in alerts(forged)[0] and texts(forged) == []
    assert await harness.dp.storage.get_data(harness.state_key(ZHANG)) == state  # the draft is unchanged
    await walk.press("提前终止协议")  # the real buttons still work
    assert "提前终止协议的理由" in walk.last_text()

