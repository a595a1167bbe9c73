"""Enterprise confirmation, ratings, disputes, reminders and surveys, through the real Dispatcher."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from domain.roles import Role
from services.feedback_tick import feedback_tick
from storage.models import AuditEntry, RoleGrant, Survey, User, Visit, VisitFeedback
from testkit.botkit import Person, texts
from testkit.worlds import (  # noqa: F401 - fixtures
    ADMIN,
    LI_MING,
    NEAR_E001,
    ZHANG,
    build,
)
from testkit.worlds import drained_inbox as inbox
from testkit.worlds import harness, invite, logged_visit, world

ZHAO = Person(4002, "芳", "赵")  # contact of E004 (盂县)


async def feedback_row(harness, visit_id: int) -> VisitFeedback:  # noqa: ANN001
    async with harness.sessionmaker() as session:
        return await session.scalar(select(VisitFeedback).where(VisitFeedback.visit_id == visit_id))


@pytest.fixture
def tick(harness, world, policy, clock):  # noqa: ANN001, F811
    async def run() -> dict[str, int]:
        from zoneinfo import ZoneInfo

        counts = await feedback_tick(world[0], clock, policy, ZoneInfo("Asia/Shanghai"))
        await harness.drain()
        return counts
    return run


async def test_confirm_rate_and_comment(harness) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    li = await inbox(harness, LI_MING)
    assert "请确认是否属实" in li.last_text() and "张伟" in li.last_text()
    await li.press("✅ 属实")
    assert "请为本次服务打分" in li.last_text()
    await li.press("5⭐")
    assert "还想说点什么" in li.last_text()
    assert "感谢您的评价" in (await li.send("温控问题彻底解决了，非常专业。"))[0]
    row = await feedback_row(harness, visit_id)
    assert (row.status, row.rating, row.comment) == ("confirmed", 5, "温控问题彻底解决了，非常专业。")
    assert row.answered_by_user_id is not None and row.proxy_by_user_id is None
    me = (await harness.send(ZHANG, "/me"))[0]
    assert "确认 1 次" in me and "平均评分：5.0⭐（1 条）" in me
    assert "「温控问题彻底解决了，非常专业。」" in me
    assert "阳泉华鑫耐火材料有限公司：「" not in me  # comments are anonymous by policy


async def test_dispute_flags_the_visit_and_tells_the_county(harness) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    li = await inbox(harness, LI_MING)
    await li.press("❌ 不属实")
    assert "哪里不属实" in li.last_text()
    assert "用文字回复" in texts(await li.feed(harness.sticker(LI_MING)))[0]
    assert "将进行核实" in (await li.send("当天没有人来过，我们也没有回转窑。"))[0]
    await harness.drain()
    alerts = [r.text for r in harness.session.requests if getattr(r, "chat_id", None) == ADMIN.id]
    assert any("提出异议" in a and "当天没有人来过" in a and "/visits C001" in a for a in alerts)
    async with harness.sessionmaker() as session:
        visit = await session.get(Visit, visit_id)
    assert visit.evidence_status == "flagged" and {"flag": "disputed"} in visit.flags
    assert (await feedback_row(harness, visit_id)).status == "disputed"
    # A second answer to the same prompt changes nothing.
    again = await li.press("✅ 属实")
    assert any("已经对这条记录提出过异议" in (getattr(r, "text", "") or "") for r in again)
    assert (await feedback_row(harness, visit_id)).status == "disputed"


async def test_reminders_then_unanswered(harness, clock, tick) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    assert await tick() == {"reminded": 0, "unanswered": 0, "surveys": 0}
    clock.advance(timedelta(days=2, minutes=1))
    assert (await tick())["reminded"] == 1
    assert (await tick())["reminded"] == 0  # the same reminder is never sent twice
    assert "第 1 次提醒" in (await inbox(harness, LI_MING)).last_text()
    clock.advance(timedelta(days=3))
    assert (await tick())["reminded"] == 1
    assert "第 2 次提醒" in (await inbox(harness, LI_MING)).last_text()
    clock.advance(timedelta(days=2))
    assert (await tick())["unanswered"] == 1
    assert "未答复" in (await inbox(harness, ZHANG)).last_text()
    row = await feedback_row(harness, visit_id)
    assert (row.status, row.reminders_sent) == ("unanswered", 2)
    assert (await tick()) == {"reminded": 0, "unanswered": 0, "surveys": 0}
    # A late answer is still taken.
    await (await inbox(harness, LI_MING)).press("✅ 属实")
    assert (await feedback_row(harness, visit_id)).status == "confirmed"


async def test_missed_reminders_after_downtime_come_as_one(harness, clock, tick) -> None:  # noqa: F811
    await logged_visit(harness)
    clock.advance(timedelta(days=6))  # the bot was down through both reminder days
    assert (await tick())["reminded"] == 1
    assert (await tick())["reminded"] == 0


async def test_rating_change_within_24_hours_only(harness, clock) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    li = await inbox(harness, LI_MING)
    await li.press("✅ 属实")
    await li.press("4⭐")
    changed = await li.press("2⭐")
    assert any("评分已改为 2⭐" in (getattr(r, "text", "") or "") for r in changed)
    clock.advance(timedelta(hours=25))
    locked = await li.press("5⭐")
    assert any("不能再修改" in (getattr(r, "text", "") or "") for r in locked)
    assert (await feedback_row(harness, visit_id)).rating == 2
    async with harness.sessionmaker() as session:
        changes = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.rating_changed"))).all()
    assert [(c.details["old"], c.details["new"]) for c in changes] == [(4, 2)]


async def test_foreign_enterprise_and_strangers_are_refused(harness, world, clock) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    await harness.send(ZHAO, f"/start {await invite(world[0], clock, Role.ENTERPRISE, 'E004')}")
    foreign = await harness.press(ZHAO, f"fb:{visit_id}:ok:0")
    assert any("只能回答本企业" in (getattr(r, "text", "") or "") for r in foreign)
    stranger = await harness.press(Person(9999), f"fb:{visit_id}:ok:0")
    assert any("按钮已失效" in (getattr(r, "text", "") or "") for r in stranger)
    assert (await feedback_row(harness, visit_id)).status == "pending"


async def test_county_admin_records_on_behalf(harness, world, clock) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    other = Person(3005, "县", "盂")
    await harness.send(other, f"/start {await invite(world[0], clock, Role.COUNTY, '盂县')}")
    assert "不在您管辖" in (await harness.send(other, f"/record {visit_id} confirm 5"))[0]
    assert "用法" in (await harness.send(ADMIN, f"/record {visit_id} maybe"))[0]
    assert "仅限" in (await harness.send(ZHANG, f"/record {visit_id} confirm 5"))[0]
    # The Chinese word of the answer works as well as "confirm".
    done = (await harness.send(ADMIN, f"/record {visit_id} 属实 4 电话确认，企业很满意"))[0]
    assert f"#{visit_id}" in done and "属实" in done
    row = await feedback_row(harness, visit_id)
    assert (row.status, row.rating, row.comment) == ("confirmed", 4, "电话确认，企业很满意")
    assert row.proxy_by_user_id is not None and row.answered_by_user_id is None


async def test_yearly_survey(harness, world, clock, tick) -> None:  # noqa: F811
    await logged_visit(harness)
    assert (await tick())["surveys"] == 0  # March: not yet
    clock.set(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc))
    opened = (await tick())["surveys"]
    assert opened == 6  # every active agreement of the example data
    assert (await tick())["surveys"] == 0  # once a year
    li = await inbox(harness, LI_MING)
    assert "满意度调查" in li.last_text() and "第 1/4 题：服务态度" in li.last_text()
    for score, next_question in ((5, "解决问题"), (4, "成果转化"), (3, "总体评价")):
        await li.press(str(score))
        assert next_question in li.last_text()
    stale = await li.feed(harness.callback(LI_MING, li.button("1").replace(":3:", ":0:")))  # question 1 again
    assert any("已经回答过" in (getattr(r, "text", "") or "") for r in stale)
    await li.press("5")
    assert "还有什么意见" in li.last_text()
    assert "问卷已提交" in (await li.send("希望明年继续合作。"))[0]
    async with world[0]() as session:
        survey = (await session.scalars(select(Survey).where(Survey.answered_at.is_not(None)))).one()
    assert survey.answers == {"attitude": 5, "solving": 4, "transfer": 3, "overall": 5}
    assert survey.comment == "希望明年继续合作。"
    from services import feedback
    from storage.repositories import Repos

    async with world[0]() as session:
        summary = await feedback.summary(Repos(session), 1, 2026)
    assert summary.survey_scores == {"attitude": 5.0, "overall": 5.0, "solving": 4.0, "transfer": 3.0}
    # The March visit went unanswered long before November.
    assert (summary.surveys_answered, summary.surveys_sent, summary.unanswered) == (1, 2, 1)


async def _user_id(harness, person: Person) -> int:  # noqa: ANN001
    async with harness.sessionmaker() as session:
        return await session.scalar(select(User.id).where(User.telegram_id == person.id))


async def test_an_admin_cannot_become_someone_it_oversees(harness, clock) -> None:  # noqa: F811
    tokens = {}
    for kind, code in (("enterprise", "E001"), ("commissioner", "C001")):
        made = (await harness.send(ADMIN, f"/invite {kind} {code}"))[0]
        token = tokens[code] = made.split("start=")[1].split()[0]
        assert "不能既是管理员" in (await harness.send(ADMIN, f"/start {token}"))[0]
        async with harness.sessionmaker() as session:
            roles = (await session.scalars(select(RoleGrant.role).where(
                RoleGrant.user_id == await _user_id(harness, ADMIN)))).all()
        assert roles == ["county"]
    # The refused link is still good for the real contact, on a new phone; the old account is told.
    new_phone = Person(4009, "明", "李")
    assert "阳泉华鑫耐火材料有限公司" in (await harness.send(new_phone, f"/start {tokens['E001']}"))[0]
    mark = len(harness.session.requests)
    await harness.drain()
    told = texts([r for r in harness.session.requests[mark:] if getattr(r, "chat_id", None) == LI_MING.id])
    assert len(told) == 1 and "已转到另一个 Telegram 账号" in told[0]
    async with harness.sessionmaker() as session:
        moved = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "role.moved"))).all()
        refused = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "invite.refused"))).all()
    assert len(moved) == 1 and moved[0].details["from_user"] == await _user_id(harness, LI_MING)
    assert len(refused) == 2


async def test_an_admin_answering_as_an_enterprise_is_marked_on_behalf(harness, clock) -> None:  # noqa: F811
    visit_id = await logged_visit(harness)
    li = await inbox(harness, LI_MING)
    confirm = li.button("✅ 属实")
    admin_id = await _user_id(harness, ADMIN)
    async with harness.sessionmaker() as session:  # bound before admins were refused such roles
        contact = await session.scalar(select(RoleGrant).where(RoleGrant.role == "enterprise",
                                                                RoleGrant.user_id == await _user_id(harness, LI_MING)))
        session.add(RoleGrant(user_id=admin_id, role="enterprise", subject_key=contact.subject_key,
                              enterprise_id=contact.enterprise_id, county=contact.county,
                              display_name="王敏", subject_name=contact.subject_name, granted_at=clock.now()))
        await session.commit()
    await harness.press(ADMIN, confirm)
    row = await feedback_row(harness, visit_id)
    assert (row.status, row.answered_by_user_id, row.proxy_by_user_id) == ("confirmed", None, admin_id)
    async with harness.sessionmaker() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.confirm"))
    assert entry.details["proxy"] is True
