"""Reminders Tepai sends on its own (report windows, overdue reports, pace, agreements ending) and
quiet hours in the outbox, on SQLite and PostgreSQL, with the example data and bound accounts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from domain.clock import as_utc
from domain.policy import load_policy
from domain.roles import Role
from scheduler.sender import OutboxSender
from services.reports import owed
from storage.models import Commissioner, Report, User
from storage.repositories import Repos
from testkit import images
from testkit.botkit import Person
from testkit.visitflow import Walk, to_card
from testkit.worlds import (  # noqa: F401 - fixtures
    ADMIN,
    LI_MING,
    NEAR_E001,
    SHANGHAI,
    WANG,
    ZERO,
    ZHANG,
    build,
    harness,
    invite,
    local,
    queued,
    received,
)
from testkit.worlds import remind as tick
from testkit.worlds import world

Q1 = "季度工作进展（2026-Q1，2026年1月1日 至 2026年3月31日）"


async def commissioner_id(w, code: str) -> int:
    async with w[0]() as session:
        return await session.scalar(select(Commissioner.id).where(Commissioner.code == code))


async def user_id(w, person: Person) -> int:
    async with w[0]() as session:
        return await session.scalar(select(User.id).where(User.telegram_id == person.id))


async def submit_report(w, clock, person: Person, code: str, period: str = "2026-Q1") -> None:
    async with w[0]() as session:
        session.add(Report(commissioner_id=await commissioner_id(w, code), cycle="quarterly", period=period,
                           text="第一季度工作进展。", attachments=[], submitted_at=clock.now(),
                           due_on=datetime(2026, 4, 10).date(), late=False,
                           author_user_id=await user_id(w, person)))
        await session.commit()


async def test_nothing_is_due_on_an_ordinary_day(harness, world, clock, policy) -> None:  # noqa: F811
    assert await tick(world, clock, policy) == ZERO  # 2026-03-16: no window open, no agreement ending
    assert await queued(world) == []


async def test_quarter_window_reminders_open_midpoint_day_before(harness, world, clock, policy) -> None:  # noqa: F811
    days = {local(2026, 3, 25): 0, local(2026, 3, 26): 2, local(2026, 3, 27): 0, local(2026, 4, 1): 0,
            local(2026, 4, 2): 2, local(2026, 4, 3): 0, local(2026, 4, 8): 0, local(2026, 4, 9): 2,
            local(2026, 4, 10): 0}
    for day, expected in days.items():
        counts = await tick(world, clock, policy, day)
        assert counts == {**ZERO, "report": expected}, day  # ZHANG and WANG are bound; others have no account
        # the job runs every 15 minutes: a second run the same day queues nothing again
        assert await tick(world, clock, policy, day.replace(hour=16)) == ZERO, day
    zhang = [m.text for m in await queued(world, ZHANG)]
    assert zhang == [
        f"📅 {Q1} 的报告窗口已开放，请在 2026年4月10日 前发送 /report 提交。",
        f"📅 提醒：{Q1} 的报告请在 2026年4月10日 前提交（发送 /report）。",
        f"⏰ 明天（2026年4月10日）是 {Q1} 报告的截止日期，请尽快发送 /report 提交。",
    ]
    assert len(await queued(world, WANG)) == 3
    assert await queued(world, LI_MING) == [] and await queued(world, ADMIN) == []
    # delivered once each
    assert await harness.drain() == 6
    assert await harness.drain() == 0
    assert sum("/report" in text for text in received(harness, ZHANG)) == 3


async def test_reminder_day_is_the_local_date(harness, world, clock, policy) -> None:  # noqa: F811
    # 01:00 on 26 March in Shanghai is still 25 March in UTC: the window opens today, locally.
    counts = await tick(world, clock, policy, local(2026, 3, 26, 1, 0))
    assert counts["report"] == 2
    [message] = await queued(world, ZHANG)
    assert as_utc(message.next_attempt_at) == local(2026, 3, 26, 8, 0)  # after the quiet hours


async def test_a_submitted_report_stops_the_reminders(harness, world, clock, policy) -> None:  # noqa: F811
    assert (await tick(world, clock, policy, local(2026, 3, 26)))["report"] == 2
    await submit_report(world, clock, ZHANG, "C001")
    assert (await tick(world, clock, policy, local(2026, 4, 2)))["report"] == 1
    assert (await tick(world, clock, policy, local(2026, 4, 9)))["report"] == 1
    counts = await tick(world, clock, policy, local(2026, 4, 11))
    assert counts["overdue"] == 1  # WANG only
    assert counts["escalated"] == 0  # 城区's only commissioner reported; no admin is bound elsewhere
    assert len(await queued(world, ZHANG)) == 1  # only the opening reminder, before the report
    assert [m.key.split(":")[0] for m in await queued(world, WANG)] == [
        "report-reminder", "report-reminder", "report-reminder", "report-overdue"]
    assert await queued(world, ADMIN) == []


async def test_submitting_through_report_stops_the_reminders(harness, world, clock, policy) -> None:  # noqa: F811
    clock.set(local(2026, 3, 28))
    walk = Walk(harness, ZHANG)
    await walk.send("/report")
    await walk.press("✅ 提交")
    assert (await tick(world, clock, policy, local(2026, 4, 2)))["report"] == 1
    assert await queued(world, ZHANG, "report-reminder") == []


async def test_overdue_once_and_one_list_for_the_county(harness, world, clock, policy) -> None:  # noqa: F811
    async with world[0]() as session:  # a second commissioner in 城区, with no account: still listed
        await session.execute(update(Commissioner).where(Commissioner.code == "C005").values(county="城区"))
        await session.commit()
    assert (await tick(world, clock, policy, local(2026, 4, 10)))["overdue"] == 0  # the due day itself
    counts = await tick(world, clock, policy, local(2026, 4, 11))
    assert (counts["overdue"], counts["escalated"]) == (2, 1)
    assert await tick(world, clock, policy, local(2026, 4, 11, 18)) == ZERO
    assert await tick(world, clock, policy, local(2026, 4, 12)) == ZERO
    assert await tick(world, clock, policy, local(2026, 5, 20)) == ZERO
    [overdue] = await queued(world, ZHANG, "report-overdue")
    assert overdue.text == f"❗ {Q1} 的报告已超过截止日期（2026年4月10日），请尽快发送 /report 补交。"
    [county] = await queued(world, ADMIN)
    assert county.text == (f"❗ 城区：{Q1} 的报告已超过截止日期（2026年4月10日），以下 2 位科技特派员尚未提交："
                           "张伟（C001）、陈静（C005）")
    assert "王芳" not in county.text  # 矿区
    before = len(harness.session.requests)
    await harness.drain()
    assert len(received(harness, ADMIN, before)) == 1


async def test_pace_for_jincheng(world, clock) -> None:  # noqa: F811
    jincheng = load_policy("jincheng")
    h = build(world, jincheng, clock)
    for person, code in ((ZHANG, "C001"), (WANG, "C002")):
        await h.send(person, f"/start {await invite(world[0], clock, Role.COMMISSIONER, code)}")
    walk = Walk(h, ZHANG)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(90), NEAR_E001)
    await walk.press("✅ 确认提交")
    # 16 March: day 75 of 365, 24 a year -> 4 expected by now
    counts = await tick(world, clock, jincheng)
    assert counts == {**ZERO, "pace": 2}
    [zhang] = await queued(world, ZHANG, "pace:")
    assert zhang.text == ("📈 服务进度提醒：今年已服务 1 次，按进度应达到 4 次（全年目标 24 次）。\n"
                          "今年还没有服务过的企业：阳泉恒通智能装备有限公司")
    [wang] = await queued(world, WANG, "pace:")
    assert "今年已服务 0 次，按进度应达到 4 次" in wang.text and "阳泉晋阳煤化工有限公司" in wang.text
    assert (await tick(world, clock, jincheng, local(2026, 3, 31)))["pace"] == 0  # once a month
    assert (await tick(world, clock, jincheng, local(2026, 4, 1)))["pace"] == 2  # a new month
    assert "按进度应达到 5 次" in (await queued(world, ZHANG, "pace:"))[-1].text
    await h.drain()
    assert sum("服务进度提醒" in text for text in received(h, ZHANG)) == 2


async def test_pace_not_before_pace_day_and_not_when_on_pace(world, clock) -> None:  # noqa: F811
    jincheng = load_policy("jincheng")
    late_check = jincheng.model_copy(update={"notifications": jincheng.notifications.model_copy(
        update={"pace_day": 10})})
    h = build(world, late_check, clock)
    await h.send(WANG, f"/start {await invite(world[0], clock, Role.COMMISSIONER, 'C002')}")
    assert (await tick(world, clock, late_check, local(2026, 1, 12)))["pace"] == 0  # expects 0 by 12 January
    assert (await tick(world, clock, late_check, local(2026, 4, 9)))["pace"] == 0  # before the 10th
    assert (await tick(world, clock, late_check, local(2026, 4, 10)))["pace"] == 1
    # Yangquan sets no yearly count: no pace reminders at all
    assert (await tick(world, clock, load_policy("yangquan"), local(2026, 5, 10)))["pace"] == 0


async def test_agreements_ending_soon(harness, world, clock, policy) -> None:  # noqa: F811
    assert (await tick(world, clock, policy, local(2026, 11, 30)))["ending"] == 0  # 31 days left
    counts = await tick(world, clock, policy, local(2026, 12, 1))  # 30 days left
    assert counts["ending"] == 4  # E001: ZHANG, LI_MING, ADMIN; E002: WANG (no contact, no 矿区 admin)
    assert (await tick(world, clock, policy, local(2026, 12, 5)))["ending"] == 0  # once
    text = "📑 张伟 与 阳泉华鑫耐火材料有限公司 的服务协议将于 2026年12月31日 到期（还有 30 天）。如需续签，请联系科技管理部门。"
    for person in (ZHANG, LI_MING, ADMIN):
        assert [m.text for m in await queued(world, person, "agreement-ending")] == [text]
    [wang] = await queued(world, WANG, "agreement-ending")
    assert "王芳 与 阳泉晋阳煤化工有限公司" in wang.text
    # ZHANG's second agreement (E005) ends on 31 January 2027: its turn comes in January
    counts = await tick(world, clock, policy, local(2027, 1, 5))
    assert counts["ending"] == 1
    assert "阳泉恒通智能装备有限公司 的服务协议将于 2027年1月31日 到期（还有 26 天）" in \
        (await queued(world, ZHANG, "agreement-ending"))[-1].text


async def test_agreement_ending_at_the_brief_date(harness, world, clock, policy) -> None:  # noqa: F811
    counts = await tick(world, clock, policy, local(2026, 12, 5))
    assert counts["ending"] == 4
    assert "还有 26 天" in (await queued(world, LI_MING))[0].text
    assert (await tick(world, clock, policy))["ending"] == 0
    before = len(harness.session.requests)
    await harness.drain()
    assert len(received(harness, LI_MING, before)) == 1


async def test_quiet_hours_hold_messages_until_eight(harness, world, clock, policy) -> None:  # noqa: F811
    sender = OutboxSender(world[0], harness.bot, clock, policy, SHANGHAI, per_second=1e6, per_chat_interval=0)
    before = len(harness.session.requests)
    counts = await tick(world, clock, policy, local(2026, 3, 26, 22, 0))
    assert counts["report"] == 2  # still queued at 22:00 ...
    for message in await queued(world):
        assert as_utc(message.next_attempt_at) == local(2026, 3, 27, 8, 0)  # ... for 08:00 the next morning
        assert message.status == "pending"
    for moment in (local(2026, 3, 26, 22, 0), local(2026, 3, 26, 23, 59), local(2026, 3, 27, 3, 0),
                   local(2026, 3, 27, 7, 59)):
        clock.set(moment)
        assert await sender.run_once() == 0, moment
    assert len(harness.session.requests) == before  # nothing went out
    clock.set(local(2026, 3, 27, 8, 0))
    assert await sender.run_once() == 2
    [zhang] = received(harness, ZHANG, before)
    assert "报告窗口已开放" in zhang
    assert {m.status for m in await queued(world)} == {"sent"}


async def test_a_message_due_before_quiet_hours_waits_if_the_sender_was_late(harness, world, clock,  # noqa: F811
                                                                              policy) -> None:
    sender = OutboxSender(world[0], harness.bot, clock, policy, SHANGHAI, per_second=1e6, per_chat_interval=0)
    assert (await tick(world, clock, policy, local(2026, 3, 26, 20, 30)))["report"] == 2
    [message] = await queued(world, ZHANG)
    assert as_utc(message.next_attempt_at) == local(2026, 3, 26, 20, 30)
    clock.set(local(2026, 3, 26, 21, 0))
    assert await sender.run_once() == 0
    clock.set(local(2026, 3, 27, 8, 0))
    assert await sender.run_once() == 2


async def test_year_end_report_owed_in_january_after_the_agreement_ended(world, clock) -> None:  # noqa: F811
    """Setting the scene for the bug below: /report does see the report owed."""
    jincheng = load_policy("jincheng")
    async with world[0]() as session:
        due = await owed(Repos(session), jincheng, await commissioner_id(world, "C002"), local(2027, 1, 14).date())
    assert [(o.cycle.key, o.period.key) for o in due] == [("half_year", "2026-H1"), ("year_end", "2026")]


async def test_year_end_reminders_in_january_for_agreements_that_ended(world, clock) -> None:  # noqa: F811
    jincheng = load_policy("jincheng")
    h = build(world, jincheng, clock)
    await h.send(WANG, f"/start {await invite(world[0], clock, Role.COMMISSIONER, 'C002')}")  # only E002, ends 12-31
    assert (await tick(world, clock, jincheng, local(2026, 12, 26)))["report"] == 1  # open: agreement active
    assert (await tick(world, clock, jincheng, local(2027, 1, 5)))["report"] == 1  # midpoint
    assert (await tick(world, clock, jincheng, local(2027, 1, 14)))["report"] == 1  # day before
    assert (await tick(world, clock, jincheng, local(2027, 1, 16)))["overdue"] == 1
