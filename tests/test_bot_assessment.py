"""/assessment, /dossier, /grade and /outcome through the real Dispatcher, on SQLite and PostgreSQL,
over a seeded year (services.demo_activity) up to 20 November 2026."""
from __future__ import annotations

import subprocess
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import EditMessageText, SendDocument, SendMessage
from PIL import ImageFile
from sqlalchemy import select

from domain.roles import Role
from services.assessment import assess
from services.demo_activity import seed_activity
from storage.models import AuditEntry, Commissioner, Enterprise, GradeDecision, Outcome
from storage.repositories import Repos
from testkit.botkit import Person, texts
from testkit.visitflow import Walk
from testkit.worlds import ADMIN, ZHANG, harness, invite, world  # noqa: F401

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
BUREAU_ADMIN = Person(3001, "建国", "周")  # 市科学技术局


@pytest.fixture(autouse=True)
def pillow_flags_restored():  # noqa: ANN201
    """A guard: whatever a test does to Pillow's process-wide LOAD_TRUNCATED_IMAGES, the next test
    file sees it as it was (services.dossier.to_pdf resets what importing WeasyPrint sets)."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = before


@pytest.fixture
async def bureau(harness, world, clock) -> Person:  # noqa: ANN001, F811
    await harness.send(BUREAU_ADMIN, f"/start {await invite(world[0], clock, Role.BUREAU, '市科技局')}")
    return BUREAU_ADMIN


@pytest.fixture
async def seeded(harness, bureau, world, policy, clock) -> dict[str, int]:  # noqa: ANN001, F811
    """A year of activity in the harness's database; the clock moves to 20 November (10:00 local)."""
    sessionmaker, store = world
    async with sessionmaker() as session:
        repos = Repos(session)
        counts = await seed_activity(repos, store, policy, ZONE, TODAY)
        await repos.commit()
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
    return counts


async def assessed(harness, policy):  # noqa: ANN001, ANN201, F811
    async with harness.sessionmaker() as session:
        return await assess(Repos(session), policy, 2026, TODAY)


def documents(requests: list) -> list[SendDocument]:
    return [r for r in requests if isinstance(r, SendDocument)]


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


def finished_in_place(requests: list) -> None:
    """The first message sent ("working…") is the one edited, last, to done."""
    progress = next(r for r in requests if isinstance(r, SendMessage))
    assert progress.text == "正在计算，请稍候……"
    last = requests[-1]
    assert isinstance(last, EditMessageText) and last.text == "✅ 已完成。"
    assert last.message_id == progress._sent_message_id  # noqa: SLF001


# --- /assessment and /dossier ---------------------------------------------------------------------


async def test_bureau_gets_the_roster(harness, bureau, seeded, policy) -> None:  # noqa: ANN001, F811
    requests = await harness.feed(harness.message(bureau, "/assessment 2026"))
    [doc] = documents(requests)
    assert doc.chat_id == bureau.id
    assert doc.document.filename == "roster-2026.xlsx"
    result = await assessed(harness, policy)
    counts = {g.key: sum(x.grade == g.key for x in result.graded) for g in policy.grades}
    assert counts["excellent"] == 1  # five people, 20%
    assert doc.caption == (f"2026 年度考核：5 人（优秀 {counts['excellent']}，合格 {counts['pass']}，"
                           f"不合格 {counts['fail']}）")
    assert requests.index(doc) < len(requests) - 1  # the document, then the progress message is edited
    finished_in_place(requests)
    # A year that cannot be one: the usage, no document.
    bad = await harness.feed(harness.message(bureau, "/assessment 1999"))
    assert documents(bad) == [] and "用法：/assessment" in texts(bad)[0]


async def test_bureau_gets_a_dossier_pdf(harness, bureau, seeded) -> None:  # noqa: ANN001, F811
    requests = await harness.feed(harness.message(bureau, "/dossier C001 2026"))
    [doc] = documents(requests)
    assert doc.chat_id == bureau.id and doc.document.filename == "C001-张伟-2026.pdf"
    pdf = doc.document.data
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "张伟" in text and "考核" in text
    assert "正在生成 张伟 的考核材料……" in texts(requests)
    finished_in_place(requests)
    # Bad requests get words, not documents.
    assert "用法：/dossier" in (await harness.send(bureau, "/dossier"))[0]
    assert "用法：/dossier" in (await harness.send(bureau, "/dossier C001 year"))[0]
    unknown = await harness.feed(harness.message(bureau, "/dossier C999 2026"))
    assert documents(unknown) == [] and "没有找到科技特派员「C999」" in texts(unknown)[-1]


async def test_county_admin_sees_only_their_county(harness, seeded) -> None:  # noqa: F811
    own = await harness.feed(harness.message(ADMIN, "/dossier C001 2026"))  # 张伟, 城区
    [doc] = documents(own)
    assert doc.document.data.startswith(b"%PDF")
    other = await harness.feed(harness.message(ADMIN, "/dossier C002 2026"))  # 王芳, 矿区
    assert documents(other) == []
    assert "不在您管辖" in texts(other)[-1]
    # Their roster and its counts cover their county only.
    roster = await harness.feed(harness.message(ADMIN, "/assessment 2026"))
    [sheet] = documents(roster)
    assert sheet.caption.startswith("2026 年度考核：1 人")


async def test_commissioner_is_refused(harness) -> None:  # noqa: F811
    for command in ("/assessment 2026", "/dossier C001 2026", "/grade 2026 C001 pass 原因"):
        requests = await harness.feed(harness.message(ZHANG, command))
        assert documents(requests) == []
        [reply] = texts(requests)
        assert "仅限" in reply, command


# --- /grade ------------------------------------------------------------------------------------


async def grade_rows(harness) -> list[GradeDecision]:  # noqa: ANN001, F811
    async with harness.sessionmaker() as session:
        return list((await session.scalars(select(GradeDecision))).all())


async def test_bureau_overrides_then_finalises(harness, bureau, policy, clock) -> None:  # noqa: ANN001, F811
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
    for bad in ("/grade", "/grade 2026 C001 pass", "/grade twenty C001 pass 原因"):
        assert "用法：/grade" in (await harness.send(bureau, bad))[0], bad
    # The policy's words, Chinese or English; a wrong one gets the valid ones listed.
    assert "没有“good”这个等次。可用的等次：优秀、合格、不合格" in (await harness.send(bureau, "/grade 2026 C001 good 原因"))[0]
    assert "没有这个特派员编号" in (await harness.send(bureau, "/grade 2026 C999 pass 原因"))[0]
    assert await grade_rows(harness) == []

    reply = (await harness.send(bureau, "/grade 2026 C001 不合格 服务记录经核实有误"))[0]
    assert "已调整" in reply and "不合格" in reply and "C001" in reply
    [row] = await grade_rows(harness)
    assert (row.grade, row.reason, row.final) == ("fail", "服务记录经核实有误", False)
    graded = {g.scored.inputs.code: g for g in (await assessed(harness, policy)).graded}
    assert (graded["C001"].grade, graded["C001"].reason) == ("fail", "override")
    async with harness.sessionmaker() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "grade.override"))
    assert entry.actor.startswith("user:") and entry.details["new"] == "fail"

    assert "最终确定为 合格" in (await harness.send(bureau, "/grade 2026 C001 pass final 复核后确定"))[0]
    assert "不能再修改" in (await harness.send(bureau, "/grade 2026 C001 fail 再改一次"))[0]
    [row] = await grade_rows(harness)
    assert (row.grade, row.reason, row.final) == ("pass", "复核后确定", True)
    # The county admin may not grade at all.
    reply = (await harness.send(ADMIN, "/grade 2026 C002 pass 原因"))[0]
    assert "仅限" in reply
    assert len(await grade_rows(harness)) == 1


async def test_final_without_a_reason_asks_for_one(harness, bureau) -> None:  # noqa: F811
    reply = (await harness.send(bureau, "/grade 2026 C001 pass final"))[0]
    assert "必须写明原因" in reply
    assert await grade_rows(harness) == []


# --- /outcome ----------------------------------------------------------------------------------


async def outcomes_of(harness, policy, code: str) -> int:  # noqa: ANN001, F811
    graded = {g.scored.inputs.code: g for g in (await assessed(harness, policy)).graded}
    return graded[code].scored.inputs.outcomes


async def test_outcome_is_logged_and_counts(harness, seeded, policy) -> None:  # noqa: ANN001, F811
    before = await outcomes_of(harness, policy, "C001")
    walk = Walk(harness, ZHANG)
    await walk.send("/outcome")
    assert "登记哪一类成果" in walk.last_text()
    await walk.press("专利")
    assert "是哪家企业的成果" in walk.last_text()  # two agreements: the enterprise is asked
    await walk.press("阳泉华鑫耐火材料有限公司")
    assert "请写下成果名称" in walk.last_text()
    await walk.send("一种高铝耐火砖及其制备方法 ZL202610000001")
    assert "成果是哪天取得的" in walk.last_text()
    await walk.press("今天")
    assert "证明材料" in walk.last_text()
    await walk.press("跳过")
    assert walk.last_text() == "✅ 已登记成果：专利「一种高铝耐火砖及其制备方法 ZL202610000001」。"

    async with harness.sessionmaker() as session:
        row = await session.scalar(select(Outcome).where(Outcome.title.like("一种高铝耐火砖%")))
        zhang = await Repos(session).people.by_code(Commissioner, "C001")
        e001 = await Repos(session).people.by_code(Enterprise, "E001")
        logged = await session.scalar(select(AuditEntry).where(AuditEntry.action == "outcome.log"))
    assert row is not None
    assert (row.commissioner_id, row.enterprise_id, row.kind) == (zhang.id, e001.id, "patent")
    assert row.achieved_on == TODAY and row.evidence_file_id is None
    assert logged is not None and logged.entity_id == str(row.id)
    assert await outcomes_of(harness, policy, "C001") == before + 1


async def test_outcome_date_cannot_be_in_the_future(harness, seeded, policy) -> None:  # noqa: ANN001, F811
    before = await outcomes_of(harness, policy, "C001")
    walk = Walk(harness, ZHANG)
    await walk.send("/outcome")
    await walk.press("标准")
    await walk.press("阳泉恒通智能装备有限公司")
    await walk.send("智能装配线团体标准")
    for future in ("2026-12-01", "11-21", "明天"):
        assert "请输入今天或以前的日期" in (await walk.send(future))[0], future
    async with harness.sessionmaker() as session:
        assert await session.scalar(select(Outcome).where(Outcome.title == "智能装配线团体标准")) is None
    await walk.send("11-19")  # yesterday is fine
    assert "证明材料" in walk.last_text()
    await walk.press("跳过")
    assert "已登记成果：标准「智能装配线团体标准」" in walk.last_text()
    async with harness.sessionmaker() as session:
        row = await session.scalar(select(Outcome).where(Outcome.title == "智能装配线团体标准"))
    assert row.achieved_on == date(2026, 11, 19) and row.kind == "standard"
    assert await outcomes_of(harness, policy, "C001") == before + 1
