"""/need and /needs through the real Dispatcher, on SQLite and PostgreSQL: an enterprise's contact
files a technical need (with files), the county's and the bureau's admins are told, the contact
lists and withdraws their needs."""
from __future__ import annotations

from sqlalchemy import select

from domain.roles import Role
from keyboards.needs import NeedClose
from storage.models import AuditEntry, Need, StoredFile
from testkit import images
from testkit.botkit import Harness, Person, alerts, buttons, texts
from testkit.visitflow import Walk
from testkit.worlds import ADMIN, LI_MING, WANG, ZHANG, bureau, harness, inbox, invite, received, world  # noqa: F401

FIELD = "耐火材料"
PROBLEM = "回转窑内衬耐火砖使用三个月就大面积剥落，停窑检修太频繁，影响产量。"
HELP = "希望专家到现场诊断，给出材料和工艺改进方案。"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def needs_(h: Harness) -> list[Need]:
    async with h.sessionmaker() as session:
        return list((await session.scalars(select(Need).order_by(Need.id))).unique().all())


async def audit(h: Harness) -> list[AuditEntry]:
    async with h.sessionmaker() as session:
        stmt = select(AuditEntry).where(AuditEntry.action.startswith("need.")).order_by(AuditEntry.id)
        return list((await session.scalars(stmt)).all())


async def to_files(walk: Walk, field: str = FIELD, urgency: str = "🔴 紧急") -> None:
    await walk.send("/need")
    await walk.send(field)
    await walk.send(PROBLEM)
    await walk.send(HELP)
    await walk.press(urgency)


async def file_one(h: Harness, person: Person = LI_MING, field: str = FIELD) -> Walk:
    walk = Walk(h, person)
    await to_files(walk, field)
    await walk.press("⏭ 跳过")
    await walk.press("✅ 提交需求")
    return walk


async def test_file_a_need_with_files_and_the_admins_are_told(harness, bureau) -> None:  # noqa: F811
    walk = Walk(harness, LI_MING)
    await walk.send("/need")
    assert "阳泉华鑫耐火材料有限公司" in walk.last_text() and "技术领域" in walk.last_text()  # one enterprise
    await walk.send(FIELD)
    assert "技术问题" in walk.last_text()
    await walk.send(PROBLEM)
    assert "什么样的帮助" in walk.last_text()
    await walk.send(HELP)
    assert "有多紧急" in walk.last_text()
    await walk.press("🔴 紧急")
    assert "最多 5 个，每个不超过 20 MB" in walk.last_text()
    assert "已收到 1 个附件" in texts(await walk.feed(harness.photo(LI_MING, images.jpeg(1), "p1")))[0]
    edited = texts(await walk.feed(harness.document(LI_MING, PDF, "d1", name="工艺说明.pdf", mime="application/pdf")))
    assert "已收到 2 个附件" in edited[0]  # counted in the same message, edited in place
    await walk.press("✅ 完成")
    card = walk.last_text()
    for part in ("请核对", "阳泉华鑫耐火材料有限公司", FIELD, PROBLEM, HELP, "紧急程度：紧急", "附件：2 个"):
        assert part in card, part

    submit = walk.button_on("✅ 提交需求")
    update = harness.callback(LI_MING, *submit)
    reply = texts(await walk.feed(update))
    [need] = await needs_(harness)
    assert f"技术需求 #{need.id} 已提交" in reply[0]
    assert "已通知所在县（区）科技管理部门和市科技局的管理员" in reply[0]
    assert (need.field, need.description, need.expected_help, need.urgency, need.status, need.code) == (
        FIELD, PROBLEM, HELP, "high", "open", None)
    assert need.created_by.startswith("user:") and len(need.file_ids) == 2
    async with harness.sessionmaker() as session:
        kinds = [(await session.get(StoredFile, i)).kind for i in need.file_ids]
    assert kinds == ["image", "document"]
    [entry] = await audit(harness)
    assert (entry.action, entry.entity, entry.entity_id, entry.details["files"]) == ("need.file", "need",
                                                                                      str(need.id), 2)

    # A double tap and the same update delivered again: still one need.
    assert "按钮已失效" in alerts(await walk.press("✅ 提交需求"))[0]
    await harness.feed(update)
    assert len(await needs_(harness)) == 1 and len(await audit(harness)) == 1

    # The county admin of 城区 and the bureau admin are told, through the outbox; nobody else.
    mark = len(harness.session.requests)
    assert await harness.drain() == 3
    for admin in (ADMIN, bureau):
        [notice] = received(harness, admin, mark)
        for part in ("提交了一项新的技术需求", f"技术需求 #{need.id}", "阳泉华鑫耐火材料有限公司（城区）", PROBLEM,
                     HELP, "附件：2 个", "状态：对接中", "紧急程度：紧急"):
            assert part in notice, part
    for person in (LI_MING, WANG):
        assert received(harness, person, mark) == []
    # ZHANG's 耐火材料 fits: the need is suggested to him, with a button to choose it (双向选择).
    [suggested] = received(harness, ZHANG, mark)
    assert "与您的专长相符" in suggested and "耐火材料" in suggested
    await inbox(harness, ZHANG).press("🙋 我愿意服务这家企业")
    assert "已表达意向" in texts(harness.session.requests)[-1]


async def test_wrong_input_gets_a_clear_answer_and_keeps_the_draft(harness) -> None:  # noqa: F811
    walk = Walk(harness, LI_MING)
    await walk.send("/need")
    assert "至少需要 2 个字" in (await walk.send("窑"))[0]
    assert "这里需要文字" in texts(await walk.feed(harness.photo(LI_MING, images.jpeg(1), "early")))[0]
    assert "这里需要文字" in texts(await walk.feed(harness.sticker(LI_MING)))[0]
    # A command is never taken as the answer: finish or /cancel first, the draft stays.
    assert "请先完成它，或发送 /cancel" in (await walk.send("/frobnicate"))[0]
    assert "最多 60 个字（现在 61 个字）" in (await walk.send("材" * 61))[0]
    await walk.send(FIELD)
    assert "至少需要 10 个字" in (await walk.send("坏了"))[0]
    await walk.send(PROBLEM)
    await walk.send(HELP)
    assert "请点上面的按钮" in (await walk.send("很急"))[0]
    await walk.press("🟡 一般")
    # Files: too big (refused before downloading), not a document, not an image, one too many.
    huge = harness.document(LI_MING, b"x", "huge", name="big.pdf", mime="application/pdf", file_size=25 * 1024 * 1024)
    assert "每个最多 20 MB" in texts(await walk.feed(huge))[0]
    assert "不支持这种文件" in texts(await walk.feed(harness.document(LI_MING, b"hello", "z", name="a.zip",
                                                                 mime="application/zip")))[0]
    assert "不是可识别的图片" in texts(await walk.feed(harness.document(LI_MING, b"garbage", "g", name="a.jpg")))[0]
    assert "照片或文件" in texts(await walk.feed(harness.sticker(LI_MING)))[0]
    for n in range(5):
        await walk.feed(harness.photo(LI_MING, images.jpeg(n + 1), f"p{n}"))
    assert "已经添加过了" in texts(await walk.feed(harness.photo(LI_MING, images.jpeg(1), "p0")))[0]
    assert "最多只能添加 5 个附件" in texts(await walk.feed(harness.photo(LI_MING, images.jpeg(9), "p9")))[0]
    await walk.send("完成")  # typed, not tapped
    assert "附件：5 个" in walk.last_text() and "紧急程度：一般" in walk.last_text()
    assert "请点上面的「提交需求」" in (await walk.send("好的"))[0]

    # Edit: pick a part, answer it again; the rest is kept.
    await walk.press("✏️ 修改")
    await walk.press("技术领域")
    await walk.send("窑炉节能")
    assert "技术领域：窑炉节能" in walk.last_text() and PROBLEM in walk.last_text()
    await walk.press("✏️ 修改")
    await walk.press("附件")
    assert "每个不超过 20 MB" in walk.last_text()
    await walk.press("⏭ 跳过")
    assert "附件：0 个" in walk.last_text()
    await walk.press("✅ 提交需求")
    [need] = await needs_(harness)
    assert (need.field, need.urgency, need.file_ids) == ("窑炉节能", "normal", [])


async def test_cancel_and_stale_buttons(harness) -> None:  # noqa: F811
    walk = Walk(harness, LI_MING)
    await to_files(walk)
    await walk.press("⏭ 跳过")
    await walk.press("✖️ 取消")
    assert "没有提交" in walk.last_text()
    assert await needs_(harness) == []
    assert "按钮已失效" in alerts(await walk.press("✅ 提交需求"))[0]
    # /cancel in the middle ends the draft too; its buttons are stale afterwards.
    await walk.send("/need")
    await walk.send(FIELD)
    assert "已取消" in (await walk.send("/cancel"))[0]
    assert "按钮已失效" in alerts(await walk.press("🔴 紧急"))[0]
    # A button of an earlier draft does not act on a new one.
    await to_files(walk)
    old_skip = walk.button_on("⏭ 跳过")
    await walk.send("/need")
    await walk.send(FIELD)
    await walk.send(PROBLEM)
    await walk.send(HELP)
    await walk.press("🟢 不急")
    assert "按钮已失效" in alerts(await walk.feed(harness.callback(LI_MING, *old_skip)))[0]
    await walk.press("⏭ 跳过")
    assert "紧急程度：不急" in walk.last_text()
    assert await needs_(harness) == []


async def test_only_enterprise_contacts_file(harness, bureau) -> None:  # noqa: F811
    for person in (ZHANG, ADMIN, bureau):
        assert "仅限" in (await harness.send(person, "/need"))[0]
    assert await needs_(harness) == []


async def test_a_contact_of_several_enterprises_chooses(harness, world, clock) -> None:  # noqa: F811
    await harness.send(LI_MING, f"/start {await invite(world[0], clock, Role.ENTERPRISE, 'E002')}")
    walk = Walk(harness, LI_MING)
    await walk.send("/need")
    assert "要为哪家企业" in walk.last_text()
    assert "请点上面的按钮" in (await walk.send(FIELD))[0]
    await walk.press("阳泉晋阳煤化工有限公司")
    assert "阳泉晋阳煤化工有限公司" in walk.last_text()
    await walk.send("煤化工废水处理")
    await walk.send(PROBLEM)
    await walk.send(HELP)
    await walk.press("🟢 不急")
    await walk.press("⏭ 跳过")
    assert "企业：阳泉晋阳煤化工有限公司" in walk.last_text()
    await walk.press("✅ 提交需求")
    [need] = await needs_(harness)
    assert need.enterprise.code == "E002" and need.urgency == "low"
    # 矿区 has no admin here, and no bureau admin is registered: the need is kept all the same;
    # the two commissioners whose expertise it fits (煤化工, 耐火材料) are told.
    mark = len(harness.session.requests)
    assert await harness.drain() == 2
    assert all("与您的专长相符" in received(harness, p, mark)[0] for p in (WANG, ZHANG))


async def test_needs_lists_and_withdraws(harness, bureau) -> None:  # noqa: F811
    assert "还没有提交过" in (await harness.send(LI_MING, "/needs"))[0]
    await file_one(harness, field="耐火材料")
    await file_one(harness, field="窑炉节能")
    first, second = await needs_(harness)

    listing = Walk(harness, LI_MING)
    await listing.send("/needs")
    text = listing.last_text()
    assert "共 2 项" in text and text.index("窑炉节能") < text.index("耐火材料")  # newest first
    assert text.count("· 对接中") == 2 and "2026年3月16日" in text
    await listing.press(f"撤回需求 #{first.id}")
    assert f"已撤回技术需求 #{first.id}" in listing.last_text()
    assert [n.status for n in await needs_(harness)] == ["closed", "open"]
    # The same button again: a clear alert, nothing changes.
    assert "不能再撤回" in alerts(await listing.press(f"撤回需求 #{first.id}"))[0]
    assert [e.action for e in await audit(harness)] == ["need.file", "need.file", "need.close"]

    await listing.send("/needs")
    assert "已关闭" in listing.last_text()
    assert list(buttons(listing.seen[-1:])) == [f"🔎 #{second.id} 候选", f"撤回需求 #{second.id}"]

    # Someone else's tap: a commissioner never reaches the handler; the bureau may withdraw.
    data = NeedClose(n=second.id).pack()
    assert "按钮已失效" in alerts(await harness.press(ZHANG, data))[0]
    assert (await needs_(harness))[1].status == "open"
    await harness.press(bureau, data)
    assert [n.status for n in await needs_(harness)] == ["closed", "closed"]
    close = (await audit(harness))[-1]
    assert close.action == "need.close" and close.entity_id == str(second.id)
    assert "仅限" in (await harness.send(ZHANG, "/need"))[0]


async def test_english(harness) -> None:  # noqa: F811
    walk = Walk(harness, LI_MING)
    await walk.send("/lang")
    await walk.press("English")
    await walk.send("/need")
    assert "Which technical field" in walk.last_text()

