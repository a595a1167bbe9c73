"""/profile through the real Dispatcher, on SQLite and PostgreSQL: a commissioner sees their expertise
profile, edits fields, keywords and capacity, and matching reads what they saved; every change is
audited with the old and the new value; wrong input, /cancel and old buttons change nothing."""
from __future__ import annotations

from sqlalchemy import select

from domain.roles import Role
from keyboards.profile import ProfileStep
from services.matching import candidates
from storage.models import AuditEntry, Commissioner
from storage.repositories import Repos
from testkit.botkit import Harness, Person, alerts, buttons, texts
from testkit.visitflow import Walk
from testkit.worlds import ADMIN, LI_MING, WANG, ZHANG, harness, invite, world  # noqa: F401

TWO_HATS = Person(1009, "双", "赵")  # holds C003 and C004
EDIT_FIELDS, EDIT_KEYWORDS, EDIT_CAPACITY = "✏️ 修改专业领域", "✏️ 修改擅长方向", "✏️ 修改服务容量"


async def commissioner(h: Harness, code: str) -> Commissioner:
    async with h.sessionmaker() as session:
        return await session.scalar(select(Commissioner).where(Commissioner.code == code))


async def audit(h: Harness) -> list[AuditEntry]:
    async with h.sessionmaker() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == "profile.update").order_by(AuditEntry.id)
        return list((await session.scalars(stmt)).all())


async def set_status(h: Harness, code: str, status: str) -> None:
    async with h.sessionmaker() as session:
        row = await session.scalar(select(Commissioner).where(Commissioner.code == code))
        row.status = status
        await session.commit()


async def opened(h: Harness, person: Person) -> Walk:
    walk = Walk(h, person)
    await walk.send("/profile")
    return walk


async def test_card_and_each_edit_saved_audited_and_matched(harness, policy, clock) -> None:  # noqa: F811
    walk = await opened(harness, ZHANG)
    card = walk.last_text()
    for part in ("我的专业资料", "张伟（C001）", "状态：在岗", "专业领域：耐火材料、无机非金属材料", "擅长方向：未填写",
                 "服务容量：按政策默认 3 家企业", "当前服务：2 家企业"):
        assert part in card, part
    assert list(buttons(walk.seen)) == [EDIT_FIELDS, EDIT_KEYWORDS, EDIT_CAPACITY, "✅ 完成"]

    await walk.press(EDIT_KEYWORDS)
    assert "擅长的方向或关键词" in walk.last_text() and "2–500 字" in walk.last_text()
    seen = await walk.send("  窑炉节能，耐火砖检测；热工测试  ")
    assert "✅ 已保存擅长方向" in seen[0] and "擅长方向：窑炉节能，耐火砖检测；热工测试" in seen[0]

    await walk.press(EDIT_CAPACITY)
    assert "1 到 50 之间的整数" in walk.last_text()
    seen = await walk.send("很多")
    assert "需要一个整数" in seen[0] and "1 到 50 之间的整数" in seen[0]  # the message, then the question again
    assert "1 到 50 家企业之间" in (await walk.send("0"))[0]
    assert "1 到 50 家企业之间" in (await walk.send("51"))[0]
    seen = await walk.send("4")
    assert "✅ 已保存服务容量" in seen[0] and "服务容量：4 家企业" in seen[0]

    await walk.press(EDIT_FIELDS)
    assert "至少写 2 个字" in (await walk.send("化"))[0]
    assert "至少写 2 个字" in (await walk.send("，、"))[0]
    assert "不超过 500 个字" in (await walk.send("材" * 501))[0]
    seen = await walk.send("耐火材料、窑炉热工")
    assert "✅ 已保存专业领域" in seen[0] and "专业领域：耐火材料、窑炉热工" in seen[0]

    row = await commissioner(harness, "C001")
    assert (row.expertise, row.keywords, row.capacity) == ("耐火材料、窑炉热工", "窑炉节能，耐火砖检测；热工测试", 4)
    entries = await audit(harness)
    assert [(e.details["field"], e.details["old"], e.details["new"]) for e in entries] == [
        ("keywords", None, "窑炉节能，耐火砖检测；热工测试"),
        ("capacity", None, 4),
        ("expertise", "耐火材料、无机非金属材料", "耐火材料、窑炉热工"),
    ]
    assert all(e.entity == "commissioner" and e.entity_id == str(row.id) and e.actor.startswith("user:")
               and e.details["code"] == "C001" for e in entries)

    # Matching reads the saved profile.
    async with harness.sessionmaker() as session:
        found = {c.code: c for c in await candidates(Repos(session), policy, clock.now().date())}
    assert found["C001"].capacity == 4 and found["C001"].load == 2
    assert "窑炉热工" in found["C001"].expertise and "热工测试" in found["C001"].expertise

    await walk.press("✅ 完成")
    assert "发送 /profile 再来修改" in walk.last_text()
    # The same text again: nothing changes, nothing is audited.
    await walk.send("/profile")
    await walk.press(EDIT_CAPACITY)
    assert "没有改动" in (await walk.send("4家"))[0]
    assert len(await audit(harness)) == 3


async def test_capacity_back_to_the_policy_default(harness) -> None:  # noqa: F811
    walk = await opened(harness, ZHANG)
    await walk.press(EDIT_CAPACITY)
    await walk.send("５")  # full-width digits count
    assert (await commissioner(harness, "C001")).capacity == 5
    await walk.press(EDIT_CAPACITY)
    await walk.press("按政策默认（3 家）")
    assert "已保存服务容量" in walk.last_text() and "服务容量：按政策默认 3 家企业" in walk.last_text()
    assert (await commissioner(harness, "C001")).capacity is None
    assert [(e.details["old"], e.details["new"]) for e in await audit(harness)] == [(None, 5), (5, None)]


async def test_cancel_leaves_the_profile_unchanged(harness) -> None:  # noqa: F811
    walk = await opened(harness, ZHANG)
    await walk.press(EDIT_KEYWORDS)
    await walk.press("✖️ 取消")
    assert "已取消，专业资料没有改动" in walk.last_text() and "擅长方向：未填写" in walk.last_text()
    # The card is back, its buttons work.
    await walk.press(EDIT_CAPACITY)
    assert "已取消" in (await walk.send("/cancel"))[0]
    assert "/help" in (await walk.send("3"))[0]  # no longer a question: the usual hint, nothing saved
    row = await commissioner(harness, "C001")
    assert (row.keywords, row.capacity) == (None, None)
    assert await audit(harness) == []
    # Every button of the ended conversation is stale now: a clear alert, nothing changes.
    for label in (EDIT_FIELDS, "✖️ 取消", "按政策默认", "✅ 完成"):
        stale = await walk.press(label)
        assert "按钮已失效" in alerts(stale)[0], label
        assert texts(stale) == []
    assert (await commissioner(harness, "C001")).capacity is None
    assert await audit(harness) == []


async def test_wrong_input_and_stale_buttons(harness) -> None:  # noqa: F811
    walk = await opened(harness, ZHANG)
    # Text where a button is expected.
    assert "请点上面的按钮" in (await walk.send("我想改一下"))[0]
    assert "请点上面的按钮" in texts(await walk.feed(harness.sticker(ZHANG)))[0]
    await walk.press(EDIT_KEYWORDS)
    # A button of the card while a question is open: the state no longer matches.
    stale = await walk.press(EDIT_FIELDS)
    assert "按钮已失效" in alerts(stale)[0] and texts(stale) == []
    assert "这里需要文字" in texts(await walk.feed(harness.sticker(ZHANG)))[0]
    # A command is never taken as the answer; the question stays open.
    assert "张伟" in (await walk.send("/me"))[0]
    assert "请先完成它" in (await walk.send("/窑炉节能"))[0]
    assert (await commissioner(harness, "C001")).keywords is None
    seen = await walk.send("窑炉节能")
    assert "已保存擅长方向" in seen[0]
    # The question's cancel button, pressed after the answer was saved: stale.
    stale = await walk.press("✖️ 取消")
    assert "按钮已失效" in alerts(stale)[0]
    assert (await commissioner(harness, "C001")).keywords == "窑炉节能"
    # A profile button with someone else's commissioner in it: refused, nothing changes.
    c001 = (await commissioner(harness, "C001")).id
    other = Walk(harness, WANG)
    await other.send("/profile")
    assert "王芳（C002）" in other.last_text()
    forged = await harness.press(WANG, ProfileStep(a="edit", c=c001, v="keywords").pack())
    assert "按钮已失效" in alerts(forged)[0]
    assert "请点上面的按钮" in (await other.send("煤化工"))[0]  # still at the card, not asked anything
    assert (await commissioner(harness, "C001")).keywords == "窑炉节能"


async def test_role_refusal(harness) -> None:  # noqa: F811
    for person in (LI_MING, ADMIN):
        seen = await harness.send(person, "/profile")
        assert "/profile 仅限科技特派员使用" in seen[0], seen
    c001 = (await commissioner(harness, "C001")).id
    assert "按钮已失效" in alerts(await harness.press(LI_MING, ProfileStep(a="edit", c=c001, v="capacity").pack()))[0]
    assert (await commissioner(harness, "C001")).capacity is None


async def test_several_grants_pick_one_first(harness, world, clock) -> None:  # noqa: F811
    for code in ("C003", "C004"):
        await harness.send(TWO_HATS, f"/start {await invite(world[0], clock, Role.COMMISSIONER, code)}")
    walk = await opened(harness, TWO_HATS)
    assert "多个科技特派员身份" in walk.last_text()
    assert set(buttons(walk.seen)) == {"李强（C003）", "刘洋（C004）"}
    assert "请点上面的按钮" in (await walk.send("刘洋"))[0]
    await walk.press("刘洋（C004）")
    assert "刘洋（C004）" in walk.last_text() and "中药材种植与加工" in walk.last_text()
    assert "当前服务：1 家企业" in walk.last_text()
    # The other choice, pressed now: stale.
    assert "按钮已失效" in alerts(await walk.press("李强（C003）"))[0]
    await walk.press(EDIT_CAPACITY)
    await walk.send("2")
    assert "刘洋（C004）" in walk.last_text() and "服务容量：2 家企业" in walk.last_text()
    assert ((await commissioner(harness, "C004")).capacity, (await commissioner(harness, "C003")).capacity) == (2, None)


async def test_status_applicant_and_disqualified(harness) -> None:  # noqa: F811
    await set_status(harness, "C002", "applicant")
    before = await opened(harness, WANG)
    assert "状态：候选人（尚未选派）" in before.last_text()
    await before.press(EDIT_KEYWORDS)
    await before.send("煤焦化、废水处理")
    assert (await commissioner(harness, "C002")).keywords == "煤焦化、废水处理"

    await set_status(harness, "C002", "disqualified")
    walk = await opened(harness, WANG)
    assert "状态：已取消资格" in walk.last_text() and "不能再修改" in walk.last_text()
    assert list(buttons(walk.seen)) == ["✅ 完成"]
    # An edit button of the card shown before: refused, nothing asked, nothing changed.
    refused = await before.press(EDIT_CAPACITY)
    assert "不能再修改" in alerts(refused)[0] and texts(refused) == []
    await walk.press("✅ 完成")
    assert "/profile" in walk.last_text()
    row = await commissioner(harness, "C002")
    assert (row.keywords, row.capacity) == ("煤焦化、废水处理", None)


async def test_english(harness) -> None:  # noqa: F811
    await harness.press(ZHANG, "lang:en")
    walk = await opened(harness, ZHANG)
    assert "My expertise profile" in walk.last_text()
    assert "Capacity: policy default, 3 enterprise(s)" in walk.last_text()
    await walk.press("✏️ Edit capacity")
    assert "whole number" in (await walk.send("lots"))[0]
    await walk.send("3")
    assert "✅ Capacity saved." in walk.last_text()


def test_profile_is_in_the_commissioners_menu_only() -> None:
    from bot.commands import menu

    assert "profile" in [c.command for c in menu(frozenset({Role.COMMISSIONER}), "zh")]
    for role in (Role.ENTERPRISE, Role.COUNTY, Role.BUREAU):
        assert "profile" not in [c.command for c in menu(frozenset({role}), "zh")]
