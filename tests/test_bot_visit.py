"""Visit logging through a real Dispatcher with a recording Bot session, on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from domain.policy import load_policy
from domain.roles import Role
from domain.visits import VisitDraft
from services.visits import Logged, log_visit
from storage.evidence_store import EvidenceStore
from storage.db import TryAgain, is_transient
from storage.models import Agreement, AuditEntry, StoredFile, Visit, VisitFile
from storage.repositories import Repos
from storage.repositories.visits import VisitRepo
from testkit import images
from testkit.botkit import Person, texts
from testkit.visitflow import SUMMARY, Walk, to_card, to_summary
from testkit.worlds import (  # noqa: F401 - fixtures
    ADMIN,
    E002,
    LI_MING,
    NEAR_E001,
    TODAY_LOCAL,
    WANG,
    ZHANG,
    build,
    finish_on_site,
    harness,
    invite,
    stored_visits,
    world,
)


async def test_on_site_visit_with_album_and_location(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await walk.send("/visit")
    assert "哪家企业" in walk.last_text()
    await walk.press("阳泉华鑫耐火材料有限公司")
    await walk.press("技术指导")
    await walk.press("现场服务")
    await walk.press("今天")
    assert "至少 20 个字" in walk.last_text()
    await walk.send(SUMMARY)
    assert "现场照片" in walk.last_text()
    # An album: three updates sharing one media_group_id, counted in one message edited in place.
    album = [
        harness.document(ZHANG, images.jpeg(1, taken=TODAY_LOCAL, gps=NEAR_E001), "f1", media_group_id="g1"),
        harness.photo(ZHANG, images.jpeg(2), "f2", media_group_id="g1"),
        harness.document(ZHANG, images.jpeg(3, taken=TODAY_LOCAL), "f3", name="IMG_3.JPG", media_group_id="g1"),
    ]
    replies = [texts(await walk.feed(update)) for update in album]
    assert replies[0] == ["已收到 1 个（其中照片 1 张）。还有就继续发送，发完点「完成」。"]
    assert "已收到 3 个" in replies[2][0]
    await walk.press("✅ 完成")
    assert "发送您现在的位置" in walk.last_text()
    card = texts(await walk.feed(harness.location(ZHANG, *NEAR_E001, accuracy=12.0)))
    assert "距企业约 48 米" in card[-1] and "未发现问题" in card[-1]
    result = texts(await walk.press("✅ 确认提交"))
    assert "本年度第 1 次服务" in result[0]

    [visit] = await stored_visits(world)
    assert (visit.mode, visit.kind, visit.evidence_status, visit.flags) == ("on_site", "guidance", "verified", [])
    assert visit.visit_date.isoformat() == "2026-03-16" and visit.summary == SUMMARY
    assert visit.accuracy_m == 12.0 and 40 < visit.distance_m < 60
    assert [f.source for f in visit.files] == ["document", "photo", "document"]
    # The enterprise's contact was told, through the outbox.
    assert await harness.drain() == 1
    notices = [r for r in harness.session.requests if getattr(r, "chat_id", None) == LI_MING.id]
    assert any("张伟" in r.text and "技术指导" in r.text for r in notices)
    # The files are in the store, content-addressed, with thumbnails.
    store: EvidenceStore = world[1]
    async with world[0]() as session:
        rows = (await session.scalars(select(StoredFile))).all()
    assert len(rows) == 3
    for row in rows:
        assert await store.has_original(row.sha256, row.ext)
        assert await store.read_thumbnail(row.sha256) is not None


async def test_single_agreement_skips_enterprise_question_and_counts_against_target(world, clock) -> None:
    harness = build(world, load_policy("jincheng"), clock)
    await harness.send(WANG, f"/start {await invite(world[0], clock, Role.COMMISSIONER, 'C002')}")
    walk = Walk(harness, WANG)
    await walk.send("📝 记录服务")  # the menu button
    assert "类型是" in walk.last_text() and "阳泉晋阳煤化工有限公司" in walk.last_text()
    await walk.press("培训")
    await walk.press("现场服务")
    await walk.press("今天")
    await walk.send(SUMMARY)
    await walk.feed(harness.photo(WANG, images.jpeg(5), "w1"))
    result = await finish_on_site(walk, location=E002)
    assert "本年度第 1 次服务，目标 24 次" in result[0]


async def test_online_visit_needs_a_file_not_a_location(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉恒通智能装备有限公司", kind="资源对接", mode="线上服务")
    await walk.send(SUMMARY)
    assert "截图或一个文件" in walk.last_text()
    assert "至少需要一张截图或一个文件" in (await walk.send("完成"))[0]  # nothing sent yet
    await walk.feed(harness.document(ZHANG, images.PDF, "minutes", name="会议纪要.pdf", mime="application/pdf"))
    card = texts(await walk.press("✅ 完成"))
    assert "线上服务，无需位置" in card[-1] and "文件 1 个" in card[-1]
    await walk.press("✅ 确认提交")
    [visit] = await stored_visits(world)
    assert visit.mode == "online" and visit.latitude is None and visit.evidence_status == "verified"
    async with world[0]() as session:
        stored = await session.scalar(select(StoredFile))
    assert (stored.kind, stored.ext) == ("document", "pdf")


@pytest.mark.parametrize("case", ["far", "exif_time", "exif_gps", "forwarded", "no_exif", "late", "no_location"])
async def test_each_evidence_flag(harness, world, case) -> None:  # noqa: ANN001
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉华鑫耐火材料有限公司", day="昨天" if case == "late" else "今天")
    await walk.send(SUMMARY)
    photo = {
        "exif_time": harness.document(ZHANG, images.jpeg(11, taken=datetime(2026, 1, 2, 9, 0)), "x1"),
        "exif_gps": harness.document(ZHANG, images.jpeg(12, taken=TODAY_LOCAL, gps=(37.95, 113.60)), "x2"),
        "forwarded": harness.photo(ZHANG, images.jpeg(13), "x3", forwarded=True),
        "no_exif": harness.photo(ZHANG, images.jpeg(14), "x4"),
    }.get(case, harness.document(ZHANG, images.jpeg(15, taken=TODAY_LOCAL), "x5"))
    await walk.feed(photo)
    await walk.press("✅ 完成")
    if case == "no_location":
        card = await walk.send("无法提供位置")
    else:
        where = (37.90, 113.58) if case == "far" else NEAR_E001
        card = texts(await walk.feed(harness.location(ZHANG, *where, accuracy=10.0)))
    expected_text = {"far": "超出 1000 米范围", "exif_time": "拍摄于 2026年1月2日 09:00", "exif_gps": "拍摄地点距服务地点",
                     "forwarded": "是转发的", "no_exif": "没有拍摄时间和地点", "late": "补记 1 天前",
                     "no_location": "未提供位置"}[case]
    assert expected_text in card[-1]
    await walk.press("✅ 确认提交")
    [visit] = await stored_visits(world)
    flags = [f["flag"] for f in visit.flags]
    # A forwarded compressed photo also carries no EXIF; that note may come along.
    assert case in flags and set(flags) - {case} <= {"no_exif"}
    notes = {"no_exif", "late"}
    assert visit.evidence_status == ("noted" if case in notes else "flagged")
    assert visit.late is (case == "late")


async def test_reused_photo_is_flagged_by_id_and_by_look(harness, world) -> None:
    first = Walk(harness, ZHANG)
    await to_summary(first, "阳泉华鑫耐火材料有限公司")
    await first.send(SUMMARY)
    original = images.jpeg(21, taken=TODAY_LOCAL, size=(1600, 1200))
    await first.feed(harness.document(ZHANG, original, "orig"))
    await finish_on_site(first)
    # Same Telegram file again, by another commissioner.
    second = Walk(harness, WANG)
    await to_summary(second, None)
    await second.send(SUMMARY)
    await second.feed(harness.document(WANG, original, "orig"))
    await finish_on_site(second, location=E002)
    # The same picture, resized and recompressed: a different file, the same look.
    import io

    from PIL import Image

    smaller = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((800, 600)).save(smaller, "JPEG", quality=60)
    third = Walk(harness, WANG)
    await to_summary(third, None)
    await third.send(SUMMARY)
    await third.feed(harness.photo(WANG, smaller.getvalue(), "resized"))
    card = texts(await third.press("✅ 完成"))
    await third.feed(harness.location(WANG, *E002, accuracy=10.0))
    assert "与第 1 号服务记录中的照片相同" in third.last_text()
    await third.press("✅ 确认提交")
    visits = await stored_visits(world)
    assert [v.evidence_status for v in visits] == ["verified", "flagged", "flagged"]
    assert visits[1].flags == [{"flag": "reused", "photo": 1, "visit": visits[0].id}]
    assert {"flag": "reused", "photo": 1, "visit": visits[0].id} in visits[2].flags
    assert card  # the done button answered


async def test_bad_inputs_get_hints_and_keep_the_draft(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await walk.send("/visit")
    assert "点上面的按钮选择企业" in (await walk.send("华鑫"))[0]
    await walk.press("阳泉华鑫耐火材料有限公司")
    assert "选择服务类型" in texts(await walk.feed(harness.sticker(ZHANG)))[0]
    await walk.press("技术指导")
    await walk.press("现场服务")
    assert "未来日期" in (await walk.send("3-20"))[0]
    assert "只能补记 7 天内" in (await walk.send("2026-03-01"))[0]
    assert "没看懂这个日期" in (await walk.send("下周"))[0]
    await walk.send("3-15")  # typed, within the limit: late
    assert "至少需要 20 个字" in (await walk.send("指导了一下"))[0]
    assert "用文字描述" in texts(await walk.feed(harness.photo(ZHANG, images.jpeg(30), "early")))[0]
    await walk.send(SUMMARY)
    # Wrong things where photos are expected.
    assert "需要照片或文件" in (await walk.send("照片稍后补"))[0]
    assert "需要照片或文件" in texts(await walk.feed(harness.sticker(ZHANG)))[0]
    assert "不支持这种文件" in texts(await walk.feed(
        harness.document(ZHANG, b"MZ\x90\x00binary", "exe", name="setup.exe", mime="application/octet-stream")))[0]
    assert "已损坏" in texts(await walk.feed(harness.document(ZHANG, images.truncated_jpeg(), "broken")))[0]
    assert "像素太多" in texts(await walk.feed(harness.document(ZHANG, images.pixel_bomb(), "bomb", name="b.png",
                                                                  mime="image/png")))[0]
    assert "20 MB" in texts(await walk.feed(harness.document(ZHANG, b"x", "huge", file_size=25 * 1024 * 1024)))[0]
    assert "至少需要一张现场照片" in (await walk.send("完成"))[0]
    await walk.feed(harness.photo(ZHANG, images.jpeg(31), "good"))
    await walk.press("✅ 完成")
    # A forwarded location is refused; a second /visit mid-flow offers to resume.
    assert "转发的位置" in texts(await walk.feed(harness.location(ZHANG, *NEAR_E001, forwarded=True)))[0]
    assert "未完成的服务记录" in (await walk.send("/visit"))[0]
    await walk.press("继续填写")
    assert "发送您现在的位置" in walk.last_text()
    card = texts(await walk.feed(harness.location(ZHANG, *NEAR_E001, live_period=900)))
    assert "实时位置" in card[-1] and "地图选点" not in card[-1]
    assert "点卡片上的按钮" in (await walk.send("好的"))[0]
    await walk.press("✅ 确认提交")
    [visit] = await stored_visits(world)
    assert visit.live_location and visit.late and visit.visit_date.isoformat() == "2026-03-15"
    assert len(visit.files) == 1  # none of the refused uploads


async def test_edit_from_card_and_stale_buttons(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(40), NEAR_E001)
    old_confirm, old_card = walk.button_on("✅ 确认提交")
    await walk.press("✏️ 修改")
    await walk.press("服务类型")
    assert "类型是" in walk.last_text()
    await walk.press("培训")
    assert "请核对服务记录" in walk.last_text() and "培训" in walk.last_text()
    # The first card's confirm button is spent: it says so and stores nothing.
    stale = await walk.feed(harness.callback(ZHANG, old_confirm, old_card))
    assert any("已过期" in (getattr(r, "text", "") or "") for r in stale)
    assert await stored_visits(world) == []
    await walk.press("✅ 确认提交")
    # Cancel a second draft; its buttons are then stale, and the next /visit starts afresh.
    await walk.send("/visit")
    cancel = walk.button("✖️ 取消")
    await walk.press("✖️ 取消")
    again = await walk.feed(harness.callback(ZHANG, cancel))
    assert any("已过期" in (getattr(r, "text", "") or "") for r in again)
    [visit] = await stored_visits(world)
    assert visit.kind == "training"


async def test_one_draft_confirmed_twice_at_once_is_stored_once(harness, world, policy, clock, monkeypatch) -> None:
    """Two confirms of one draft in two transactions (two workers whose person lock expired) both
    read that it is not stored yet; one insert wins and the other raises TryAgain, which the
    session middleware takes as worth a fresh attempt (storage.db.is_transient). That attempt
    finds the stored visit."""
    walk = Walk(harness, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(3), NEAR_E001)
    draft = VisitDraft.from_dict((await harness.dp.storage.get_data(harness.state_key(ZHANG)))["visit"])
    both_read = asyncio.Barrier(2)
    real = VisitRepo.by_draft_key

    async def read_then_wait_for_the_other(self, draft_key):  # noqa: ANN001, ANN202
        found = await real(self, draft_key)
        await asyncio.wait_for(both_read.wait(), 10)
        return found

    async def confirm():  # noqa: ANN202
        async with world[0]() as session:
            repos = Repos(session)
            user = await repos.users.by_telegram_id(ZHANG.id)
            agreement = await session.get(Agreement, draft.agreement_id)
            return await log_visit(repos, clock, policy, ZoneInfo("Asia/Shanghai"), user_id=user.id,
                                   commissioner_id=agreement.commissioner_id, draft=draft)

    monkeypatch.setattr(VisitRepo, "by_draft_key", read_then_wait_for_the_other)
    outcomes = await asyncio.gather(confirm(), confirm(), return_exceptions=True)
    monkeypatch.setattr(VisitRepo, "by_draft_key", real)
    [logged] = [o for o in outcomes if isinstance(o, Logged)]
    [lost] = [o for o in outcomes if not isinstance(o, Logged)]
    assert logged.created and is_transient(lost), lost
    again = await confirm()  # the fresh attempt
    assert not again.created and again.visit.id == logged.visit.id
    assert len(await stored_visits(world)) == 1


async def test_a_visit_whose_draft_was_stored_meanwhile_asks_for_another_attempt(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(4), NEAR_E001)
    await walk.press("✅ 确认提交")
    [stored] = await stored_visits(world)
    async with world[0]() as session:
        copy = Visit(**{c.key: getattr(stored, c.key) for c in Visit.__table__.columns if c.key != "id"})
        with pytest.raises(TryAgain):
            await Repos(session).visits.add(copy, [])


async def test_draft_survives_a_restart(harness, world, policy, clock) -> None:
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉华鑫耐火材料有限公司")
    await walk.send(SUMMARY)
    await walk.feed(harness.photo(ZHANG, images.jpeg(50), "p50"))
    # The process restarts: a new Dispatcher and Bot over the same database and files.
    restarted = build(world, policy, clock)
    restarted.session.files.update(harness.session.files)
    restarted._update_ids = harness._update_ids  # Telegram's update ids go on where they were
    walk.harness = restarted
    await walk.press("✅ 完成")
    assert "发送您现在的位置" in walk.last_text()
    await walk.feed(restarted.location(ZHANG, *NEAR_E001))
    assert "本年度第 1 次服务" in texts(await walk.press("✅ 确认提交"))[0]
    [visit] = await stored_visits(world)
    assert len(visit.files) == 1


async def test_duplicate_update_and_double_confirm_store_one_visit(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(60), NEAR_E001)
    confirm, card = walk.button_on("✅ 确认提交")
    update = harness.callback(ZHANG, confirm, card)
    first = texts(await harness.feed(update))
    assert "本年度第 1 次服务" in first[0]
    assert await harness.feed(update) == []  # the same update re-delivered: skipped
    second_tap = await harness.feed(harness.callback(ZHANG, confirm, card))  # a second tap: a new update
    assert any("已经提交过了" in (getattr(r, "text", "") or "") for r in second_tap)
    assert len(await stored_visits(world)) == 1
    async with world[0]() as session:
        assert await session.scalar(select(func.count()).select_from(VisitFile)) == 1


async def test_visits_list_amend_and_void(harness, world, clock) -> None:
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉华鑫耐火材料有限公司")
    await walk.send(SUMMARY)
    await walk.feed(harness.photo(ZHANG, images.jpeg(70), "p70"))
    await finish_on_site(walk)
    [visit] = await stored_visits(world)
    listing = await walk.send("/visits")
    assert f"#{visit.id}" in listing[0] and "阳泉华鑫耐火材料有限公司" in listing[0]
    await walk.press(f"修改 #{visit.id}")
    assert "至少需要 20 个字" in (await walk.send("太短"))[0]
    new_text = "补充：更换了温控传感器并重新标定，连续运行四小时温度稳定。"
    assert f"#{visit.id} 已修改" in (await walk.send(new_text))[0]
    clock.advance(timedelta(hours=25))
    assert "修改" not in str(walk.seen and (await walk.send("/visits")))  # no amend button after 24 h
    # Admins: another commissioner cannot void; the county admin of the enterprise can, with a reason.
    assert "仅限" in (await harness.send(WANG, f"/void {visit.id} 重复"))[0]
    assert "用法" in (await harness.send(ADMIN, f"/void {visit.id}"))[0]
    assert "已作废" in (await harness.send(ADMIN, f"/void {visit.id} 与三月十五日记录重复"))[0]
    assert "作废" in (await harness.send(ADMIN, "/visits C001"))[0]
    assert "不在您管辖" in (await harness.send(ADMIN, "/visits C002"))[0]
    [visit] = await stored_visits(world)
    assert visit.summary == new_text and visit.voided_at is not None
    async with world[0]() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert {"visit.log", "visit.amend", "visit.void"} <= actions


async def test_only_commissioners_log_visits(harness) -> None:
    assert "仅限科技特派员" in (await harness.send(LI_MING, "/visit"))[0]
    assert "仅限" in (await harness.send(Person(9999), "/visit"))[0]


async def test_amend_keeps_the_length_limit(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉华鑫耐火材料有限公司")
    assert "最多 3000 个字" in (await walk.send("很" * 3001))[0]
    await walk.send(SUMMARY)
    await walk.feed(harness.photo(ZHANG, images.jpeg(71), "p71"))
    await finish_on_site(walk)
    [visit] = await stored_visits(world)
    await walk.send("/visits")
    await walk.press(f"修改 #{visit.id}")
    assert "最多 3000 个字" in (await walk.send("补充：" + "很" * 3000))[0]
    [visit] = await stored_visits(world)
    assert visit.summary == SUMMARY and visit.amended_at is None  # nothing changed
    new_text = "补充：更换了温控传感器并重新标定，连续运行四小时温度稳定。"
    assert f"#{visit.id} 已修改" in (await walk.send(new_text))[0]  # still asked: a shorter text is taken


@pytest.mark.parametrize("policy", ["yangquan", "jincheng"], indirect=True)
async def test_a_dropped_pin_is_flagged_and_the_policy_says_if_it_is_enough(harness, world, policy) -> None:
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉华鑫耐火材料有限公司")
    await walk.send(SUMMARY)
    await walk.feed(harness.document(ZHANG, images.jpeg(16, taken=TODAY_LOCAL), "pin1"))
    await walk.press("✅ 完成")
    card = texts(await walk.feed(harness.location(ZHANG, *NEAR_E001)))[-1]  # no accuracy, not live: a pin
    assert "地图选点" in card and "位置是地图上选的点" in card
    result = texts(await walk.press("✅ 确认提交"))[0]
    [visit] = await stored_visits(world)
    assert [f["flag"] for f in visit.flags] == ["pin"]
    assert (visit.live_location, visit.accuracy_m) == (False, None)
    if policy.visit.pin_is_evidence:  # Jincheng: noted on the record
        assert visit.evidence_status == "noted" and "位置是地图上选的点" not in result
    else:  # Yangquan 第八条: a pin alone is no proof, the county sees it flagged
        assert visit.evidence_status == "flagged" and "位置是地图上选的点" in result


async def test_the_card_says_the_position_and_its_accuracy(harness, world) -> None:
    walk = Walk(harness, ZHANG)
    await to_summary(walk, "阳泉华鑫耐火材料有限公司")
    await walk.send(SUMMARY)
    await walk.feed(harness.document(ZHANG, images.jpeg(17, taken=TODAY_LOCAL), "acc1"))
    await walk.press("✅ 完成")
    card = texts(await walk.feed(harness.location(ZHANG, *NEAR_E001, accuracy=12.0)))[-1]
    assert "当前位置，精度约 12 米" in card and "未发现问题" in card
