"""What a person reads in the chat every day: dates the Chinese way, a backfilled visit said as
such, screenshots without the camera note, an enterprise contact told at once on joining."""
from __future__ import annotations

from aiogram.methods import SendMessage

from domain.roles import Role
from testkit import images
from testkit.botkit import Person, texts
from testkit.worlds import (  # noqa: F401 - fixtures
    LI_MING,
    ZHANG,
    build,
    harness,
    invite,
    stored_visits,
    world,
)
from testkit.visitflow import SUMMARY, Walk, to_summary


async def online_visit(walk: Walk, day: str, shot: str) -> list[str]:
    await to_summary(walk, "阳泉华鑫耐火材料有限公司", mode="线上服务", day=day)
    await walk.send(SUMMARY)
    # A screenshot sent the quick way, as a compressed photo: it never had EXIF to lose.
    await walk.feed(walk.harness.photo(walk.person, images.jpeg(hash(shot) % 200), shot))
    card = texts(await walk.press("✅ 完成"))[-1]
    assert "照片经过压缩" not in card
    return texts(await walk.press("✅ 确认提交"))


async def test_backfilled_visit_says_so_and_counts_the_year(harness, world) -> None:  # noqa: F811
    walk = Walk(harness, ZHANG)
    assert "本年度第 1 次服务" in (await online_visit(walk, "今天", "s1"))[0]
    assert "本年度第 2 次服务" in (await online_visit(walk, "今天", "s2"))[0]
    backfilled = (await online_visit(walk, "前天", "s3"))[0]  # typed after two visits today
    assert "已补记 2026年3月14日 的服务" in backfilled and "本年度共 3 次服务" in backfilled
    assert "第 1 次" not in backfilled
    flags = [[f["flag"] for f in v.flags] for v in await stored_visits(world)]
    assert flags == [[], [], ["late"]]  # no "no_exif" note on screenshots


async def test_dates_in_the_chat_are_chinese_not_iso(harness, world) -> None:  # noqa: F811
    walk = Walk(harness, ZHANG)
    await online_visit(walk, "今天", "s1")
    listed = (await walk.send("/visits"))[0]
    assert "3月16日" in listed and "03-16" not in listed
    me = (await walk.send("/me"))[0]
    assert "2026年" in me and "-01-01" not in me and "-12-31" not in me
    await walk.send("/visit")
    await walk.press("阳泉华鑫耐火材料有限公司")
    await walk.press("技术指导")
    await walk.press("现场服务")
    assert "今天 3月16日" in walk.button_on("今天")[0] or any(
        label.startswith("今天 3月16日") for label in _labels(walk))


def _labels(walk: Walk) -> list[str]:
    from testkit.botkit import buttons
    return list(buttons(walk.seen))


NEW_CONTACT = Person(4004, "芳", "赵")


async def test_an_enterprise_contact_who_joins_late_gets_pending_confirmations_at_once(
        harness, world, clock) -> None:  # noqa: F811
    walk = Walk(harness, ZHANG)
    await online_visit(walk, "今天", "s1")  # E001's first contact (LI_MING) is asked now
    token = await invite(world[0], clock, Role.ENTERPRISE, "E001")
    await harness.send(NEW_CONTACT, f"/start {token}")
    sent = [r for r in harness.session.requests if isinstance(r, SendMessage) and r.chat_id == NEW_CONTACT.id]
    before = len(sent)
    await harness.drain()
    told = [r.text for r in harness.session.requests if isinstance(r, SendMessage) and r.chat_id == NEW_CONTACT.id]
    assert len(told) > before
    assert any("张伟" in text and "2026年3月16日" in text for text in told[before:]), told
    assert LI_MING  # the first contact was asked at logging time (tested elsewhere)
