"""/report through the real Dispatcher: the draft from stored visits, replacing it, attaching files,
submitting, and delivery to the county (Yangquan) or the dispatching unit (Jincheng)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram.methods import SendDocument, SendMessage
from sqlalchemy import select

from domain.policy import load_policy
from domain.roles import Role
from storage.models import Report
from testkit import images
from testkit.botkit import Harness, Person, alerts, texts
from testkit.visitflow import Walk, to_card
from testkit.worlds import (  # noqa: F401 - fixtures
    ADMIN,
    LI_MING,
    NEAR_E001,
    WANG,
    ZHANG,
    build,
)
from testkit.worlds import drained_inbox as inbox
from testkit.worlds import harness, invite, world

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNIT_CONTACT = Person(5001, "建国", "刘")  # contact of U01, the unit that sent ZHANG and WANG
Q1 = "季度工作进展（2026-Q1，2026年1月1日 至 2026年3月31日）"
OWN_TEXT = "第一季度：为华鑫耐火材料调试回转窑温控系统，培训操作工两名；下一步跟进耐火砖配方改进。"


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


async def stored_reports(h: Harness) -> list[Report]:
    async with h.sessionmaker() as session:
        return list((await session.scalars(select(Report).order_by(Report.id))).all())


async def delivered(h: Harness, person: Person) -> list:
    """What the outbox delivers to `person` now."""
    before = len(h.session.requests)
    await h.drain()
    return [r for r in h.session.requests[before:] if getattr(r, "chat_id", None) == person.id]


async def test_draft_replace_attach_and_submit_to_the_county(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 3, 28))  # the 2026-Q1 window: 26 March to 10 April
    visit = Walk(harness, ZHANG)
    await to_card(visit, "阳泉华鑫耐火材料有限公司", images.jpeg(100), NEAR_E001)
    await visit.press("✅ 确认提交")
    li = await inbox(harness, LI_MING)  # the enterprise confirms and rates the visit
    await li.press("✅ 属实")
    await li.press("4⭐")

    walk = Walk(harness, ZHANG)
    preview = (await walk.send("/report"))[-1]
    assert "以下是根据您的服务记录生成的报告草稿" in preview
    assert Q1 in preview
    assert "本期共服务 1 次（现场 1 次，线上 0 次），涉及企业 1 家" in preview
    assert "• 阳泉华鑫耐火材料有限公司：技术指导 1" in preview
    assert "无异常 0 次，有提示 1 次，有疑点 0 次" in preview  # a photo without EXIF: a note
    assert "确认属实 1 次，提出异议 0 次，平均评分 4.0" in preview
    assert "附件：0 个" in preview
    assert "阳泉恒通智能装备有限公司" not in preview  # not visited this quarter

    assert "报告内容太短了" in (await walk.send("没什么"))[0]
    replaced = await walk.send(OWN_TEXT)
    assert replaced[0] == "已用您的文字替换报告内容。"
    assert OWN_TEXT in replaced[1] and "本期共服务" not in replaced[1]
    attached = texts(await walk.feed(harness.document(ZHANG, images.PDF, "rpt", name="季度进展.pdf",
                                                      mime="application/pdf")))
    assert attached == ["已添加附件，共 1 个。"]
    assert "请发送文字替换报告内容" in texts(await walk.feed(harness.sticker(ZHANG)))[0]

    done = texts(await walk.press("✅ 提交"))
    assert done == [f"✅ {Q1} 已提交（按时），已发送给 1 位接收人。"]
    [report] = await stored_reports(harness)
    assert (report.cycle, report.period, report.text, report.late, report.due_on) == (
        "quarterly", "2026-Q1", OWN_TEXT, False, date(2026, 4, 10))
    assert [a["name"] for a in report.attachments] == ["季度进展.pdf"]

    got = await delivered(harness, ADMIN)
    [message] = [r for r in got if isinstance(r, SendMessage)]
    assert message.text == f"📄 科技特派员 张伟（C001）提交了{Q1}（按时）：\n\n{OWN_TEXT}"
    [document] = [r for r in got if isinstance(r, SendDocument)]
    assert document.document.filename == "季度进展.pdf"
    assert document.document.data == images.PDF  # read through the evidence store
    assert await delivered(harness, ADMIN) == []  # once

    # The same button again, after submission: refused, nothing stored twice.
    stale = await walk.press("✅ 提交")
    assert any("已经提交" in a for a in alerts(stale))
    assert len(await stored_reports(harness)) == 1
    assert (await walk.send("/report"))[0] == "目前没有需要提交的报告。报告窗口开放时，机器人会提醒您。"


async def test_keeping_the_draft_as_written(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 4, 1))
    walk = Walk(harness, ZHANG)
    await walk.send("/report")
    await walk.press("✅ 提交")
    [report] = await stored_reports(harness)
    assert report.text.startswith(Q1) and "本期共服务 0 次" in report.text and report.attachments == []
    [message] = [r for r in await delivered(harness, ADMIN) if isinstance(r, SendMessage)]
    assert "本期共服务 0 次" in message.text


async def test_late_submission_is_marked_late(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 4, 12))
    walk = Walk(harness, ZHANG)
    assert Q1 in (await walk.send("/report"))[-1]
    assert texts(await walk.press("✅ 提交")) == [f"✅ {Q1} 已提交（逾期 2 天），已发送给 1 位接收人。"]
    [report] = await stored_reports(harness)
    assert report.late is True and report.due_on == date(2026, 4, 10)
    [message] = [r for r in await delivered(harness, ADMIN) if isinstance(r, SendMessage)]
    assert "（逾期 2 天）" in message.text


async def test_days_late_are_counted_in_local_time_for_recipients(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 4, 11, 7, 0))  # 10 April 23:00 UTC
    walk = Walk(harness, ZHANG)
    await walk.send("/report")
    assert "逾期 1 天" in texts(await walk.press("✅ 提交"))[0]
    clock.set(local(2026, 4, 11, 9, 0))  # deliver after the quiet hours
    [message] = [r for r in await delivered(harness, ADMIN) if isinstance(r, SendMessage)]
    assert "（逾期 1 天）" in message.text


async def test_own_text_with_markup_characters_reaches_the_county_escaped(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 3, 30))
    walk = Walk(harness, ZHANG)
    await walk.send("/report")
    own = "回转窑温度控制在<1200℃，耐火砖剥落率由5%降到1%，R&D 合作继续推进。"
    preview = (await walk.send(own))[1]
    assert "&lt;1200℃" in preview and "R&amp;D" in preview  # the commissioner's own preview is escaped
    await walk.press("✅ 提交")
    [message] = [r for r in await delivered(harness, ADMIN) if isinstance(r, SendMessage)]
    assert "&lt;1200℃" in message.text and "R&amp;D" in message.text


async def test_preview_of_a_long_text_fits_in_a_message(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 3, 30))
    walk = Walk(harness, ZHANG)
    await walk.send("/report")
    long_text = ("本季度持续跟进回转窑温控改造，" * 300)[:4090]
    answers = await walk.send(long_text)
    assert answers[0] == "已用您的文字替换报告内容。"
    assert all(len(text) <= 4096 for text in answers)


async def test_draft_preview_escapes_names_once(harness, world, clock) -> None:  # noqa: F811
    from storage.models import Enterprise

    async with world[0]() as session:
        enterprise = await session.scalar(select(Enterprise).where(Enterprise.code == "E001"))
        enterprise.name = "华鑫耐火材料&科技有限公司"
        await session.commit()
    clock.set(local(2026, 3, 28))
    visit = Walk(harness, ZHANG)
    await to_card(visit, "华鑫耐火材料&科技有限公司", images.jpeg(101), NEAR_E001)
    await visit.press("✅ 确认提交")
    preview = (await Walk(harness, ZHANG).send("/report"))[-1]
    assert "华鑫耐火材料&amp;科技有限公司" in preview  # Telegram HTML shows "&"
    assert "&amp;amp;" not in preview


async def test_nothing_owed(harness) -> None:  # noqa: F811
    # 16 March: the first quarter's window opens on 26 March; nothing from 2025 is covered
    assert (await harness.send(ZHANG, "/report")) == ["目前没有需要提交的报告。报告窗口开放时，机器人会提醒您。"]
    assert await stored_reports(harness) == []


async def test_cancel_then_the_buttons_are_stale(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 3, 30))
    walk = Walk(harness, ZHANG)
    await walk.send("/report")
    submit = walk.button_on("✅ 提交")
    assert texts(await walk.press("✖️ 取消")) == ["已取消，报告没有提交。"]
    stale = await walk.feed(harness.callback(ZHANG, *submit))
    assert any("按钮已过期" in a for a in alerts(stale))
    assert await stored_reports(harness) == []
    # Outside the draft, text goes elsewhere: a new /report starts afresh
    assert Q1 in (await walk.send("/report"))[-1]


async def test_no_recipient_bound_yet(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 3, 30))
    walk = Walk(harness, WANG)  # 矿区: no county admin has joined
    await walk.send("/report")
    done = texts(await walk.press("✅ 提交"))
    assert done == [f"✅ {Q1} 已提交（按时）。接收人尚未登记，管理部门可在系统中查看。"]
    assert len(await stored_reports(harness)) == 1


async def test_only_commissioners_report(harness, clock) -> None:  # noqa: F811
    clock.set(local(2026, 3, 30))
    for person in (LI_MING, ADMIN):
        assert (await harness.send(person, "/report")) == ["抱歉，/report 仅限科技特派员使用。"]
    assert await stored_reports(harness) == []


async def test_jincheng_reports_go_to_the_dispatching_unit(world, clock) -> None:  # noqa: F811
    h = build(world, load_policy("jincheng"), clock)
    for person, role, code in ((ZHANG, Role.COMMISSIONER, "C001"), (ADMIN, Role.COUNTY, "城区"),
                               (UNIT_CONTACT, Role.UNIT, "U01")):
        await h.send(person, f"/start {await invite(world[0], clock, role, code)}")
    clock.set(local(2026, 12, 28))  # the half-year summary is overdue; the year-end window is open
    walk = Walk(h, ZHANG)
    assert (await walk.send("/report")) == ["请选择要提交的报告："]
    half = "半年工作小结（2026-H1，2026年1月1日 至 2026年6月30日）"
    year = "年终工作总结（2026，2026年1月1日 至 2026年12月31日）"
    pick_half = walk.button_on(half)
    await walk.press(year)
    assert year in walk.last_text()
    assert texts(await walk.press("✅ 提交")) == [f"✅ {year} 已提交（按时），已发送给 1 位接收人。"]
    # Only the half-year summary is left: /report goes straight to it
    assert half in (await walk.send("/report"))[-1]
    assert texts(await walk.press("✅ 提交")) == [f"✅ {half} 已提交（逾期 171 天），已发送给 1 位接收人。"]
    # The old picker button is spent
    stale = await walk.feed(h.callback(ZHANG, *pick_half))
    assert any("已经提交" in a for a in alerts(stale))

    reports = await stored_reports(h)
    assert [(r.cycle, r.period, r.late, r.due_on) for r in reports] == [
        ("year_end", "2026", False, date(2027, 1, 15)), ("half_year", "2026-H1", True, date(2026, 7, 10))]
    before = len(h.session.requests)
    await h.drain()
    sent = h.session.requests[before:]
    unit = texts([r for r in sent if getattr(r, "chat_id", None) == UNIT_CONTACT.id])
    assert unit == [f"📄 科技特派员 张伟（C001）提交了{year}（按时）：\n\n" + reports[0].text,
                    f"📄 科技特派员 张伟（C001）提交了{half}（逾期 171 天）：\n\n" + reports[1].text]
    assert not [r for r in sent if getattr(r, "chat_id", None) == ADMIN.id]  # Jincheng: the unit, not the county


async def test_jincheng_half_year_alone_in_its_window(world, clock) -> None:  # noqa: F811
    h = build(world, load_policy("jincheng"), clock)
    for person, role, code in ((ZHANG, Role.COMMISSIONER, "C001"), (UNIT_CONTACT, Role.UNIT, "U01")):
        await h.send(person, f"/start {await invite(world[0], clock, role, code)}")
    clock.set(local(2026, 6, 28))
    walk = Walk(h, ZHANG)
    assert "半年工作小结（2026-H1" in (await walk.send("/report"))[-1]
    await walk.feed(h.document(ZHANG, images.PDF, "h1", name="半年小结.pdf", mime="application/pdf"))
    assert "已发送给 1 位接收人" in texts(await walk.press("✅ 提交"))[0]
    got = await delivered(h, UNIT_CONTACT)
    assert [type(r) for r in got] == [SendMessage, SendDocument]
    assert got[1].document.filename == "半年小结.pdf"
