"""Digests over a seeded year, on SQLite and PostgreSQL: the figures, a county's share, and the
weekly and monthly jobs queuing one message (and the month's PDF) per admin, once."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from domain.policy import PRESETS, load_policy
from domain.roles import Role
from locales import Translator
from scheduler import jobs, runtime
from services import onboarding
from services.digest import Digest, collect, last_month, last_week, weekly_text
from services.dossier import font_family, to_pdf
from services.monthly_report import monthly_html
from storage.models import OutboxMessage, RoleGrant, User
from storage.repositories import Repos
from testkit.rendering import pdf_fonts, pdf_pages, pdf_text, render_page
from testkit.years import ZONE, imported, seeded  # noqa: F401 - fixtures

T = Translator("zh")


async def test_week_figures_and_a_county_share(seeded, policy) -> None:  # noqa: F811
    since, until = date(2026, 1, 1), date(2026, 11, 20)
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        everything = await collect(repos, policy, T, since, until)
        one_county = await collect(repos, policy, T, since, until, county="城区")
    assert everything.visits == seeded.counts["visits"]
    assert 0 < one_county.visits < everything.visits
    assert set(one_county.by_county) == {"城区"}
    text = weekly_text(T, everything)
    assert text.startswith("📊 科技特派员工作周报（2026年1月1日 至 2026年11月20日）")
    assert f"新增服务 {everything.visits} 次" in text
    assert f"企业提出异议：{len(everything.disputed)} 条" in text


async def test_behind_pace_comes_from_the_policy(seeded) -> None:  # noqa: F811
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        yangquan = await collect(repos, load_policy("yangquan"), T, date(2026, 11, 1), date(2026, 11, 20))
        jincheng = await collect(repos, load_policy("jincheng"), T, date(2026, 11, 1), date(2026, 11, 20))
    assert yangquan.behind == []  # no yearly minimum in the Yangquan measures
    assert all("应达" in line for line in jincheng.behind)


def test_week_and_month_bounds() -> None:
    assert last_week(date(2026, 11, 23)) == (date(2026, 11, 16), date(2026, 11, 22))  # a Monday
    assert last_week(date(2026, 11, 25)) == (date(2026, 11, 16), date(2026, 11, 22))
    assert last_month(date(2026, 12, 1)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert last_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


async def _admins(seeded, clock) -> tuple[User, User]:  # noqa: ANN001, F811
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        people = []
        for i, (role, code) in enumerate(((Role.BUREAU, "周建国"), (Role.COUNTY, "城区"))):
            user = User(telegram_id=70_000 + i, full_name=code, created_at=clock.now(), failed_starts=0)
            session.add(user)
            await session.flush()
            target = await onboarding.resolve_target(repos, role, code)
            session.add(RoleGrant(user_id=user.id, role=role.value, subject_key=target.subject_key,
                                  county=target.county, display_name=target.display_name,
                                  subject_name=target.subject_name, granted_at=clock.now()))
            people.append(user)
        await repos.commit()
    return people[0], people[1]


async def test_weekly_and_monthly_jobs_queue_once_per_admin(seeded, policy, clock, database_url,  # noqa: F811
                                                            tmp_path) -> None:
    bureau, county = await _admins(seeded, clock)
    clock.set(datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc))  # Tuesday 1 December, 09:30 local
    rt = runtime.Runtime(seeded.sessionmaker, clock, policy, ZONE, database_url, tmp_path)
    runtime._current = rt  # noqa: SLF001 - the jobs read the running scheduler's collaborators
    try:
        for _ in range(2):  # a job that runs twice queues nothing twice
            await jobs.weekly_digest_job()
            await jobs.monthly_digest_job()
    finally:
        runtime._current = None  # noqa: SLF001
    async with seeded.sessionmaker() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    keys = sorted(r.key for r in rows)
    assert keys == sorted([f"digest-week:2026-11-23:{bureau.id}", f"digest-week:2026-11-23:{county.id}",
                           f"digest-month:2026-11:{bureau.id}", f"digest-month:2026-11:{county.id}"])
    monthly = [r for r in rows if r.key.startswith("digest-month")]
    for row in monthly:
        [document] = row.documents
        assert document["path"].endswith(".pdf") and (tmp_path / "digests").exists()
        with open(document["path"], "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    weekly = {r.user_id: r.text for r in rows if r.key.startswith("digest-week")}
    assert "2026年11月23日 至 2026年11月29日" in weekly[bureau.id]


EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")


def test_weeks_run_monday_to_sunday_inside_the_month() -> None:
    digest = Digest(date(2026, 11, 1), date(2026, 11, 30))
    digest.by_day.update({date(2026, 11, 1): 2, date(2026, 11, 2): 1, date(2026, 11, 30): 4})
    weeks = digest.weeks()
    assert weeks[0] == (date(2026, 11, 1), date(2026, 11, 1), 2)  # a Sunday: a week of one day
    assert weeks[1] == (date(2026, 11, 2), date(2026, 11, 8), 1)
    assert weeks[-1] == (date(2026, 11, 30), date(2026, 11, 30), 4)
    assert len(weeks) == 6 and sum(n for *_, n in weeks) == 7


async def test_county_figures_add_up(seeded, policy) -> None:  # noqa: F811
    async with seeded.sessionmaker() as session:
        digest = await collect(Repos(session), load_policy("jincheng"), T, date(2026, 10, 1), date(2026, 10, 31))
    total = digest.total()
    assert total.services == digest.visits == sum(n for *_, n in digest.weeks()) > 0
    assert (total.flagged, total.disputed, total.overdue, total.behind) == (
        len(digest.flagged), len(digest.disputed), len(digest.overdue), len(digest.behind))
    assert {name: c.services for name, c in digest.counties.items() if c.services} == dict(digest.by_county)
    assert total.commissioners == 5 and total.on_pace == 5 - len(digest.behind)


@pytest.mark.parametrize("preset", PRESETS)
async def test_monthly_pdf_is_a_monthly_report(seeded, preset) -> None:  # noqa: F811
    """The month's PDF: its period in the title, the county table, the weekly chart, the lists; no
    emoji, every glyph in the stylesheet's font. Its first pages go to the test output as PNG."""
    policy = load_policy(preset)
    async with seeded.sessionmaker() as session:
        digest = await collect(Repos(session), policy, T, date(2026, 10, 1), date(2026, 10, 31))
    pdf = to_pdf(monthly_html(T, policy, digest))
    text = pdf_text(pdf)
    assert f"{policy.city_zh}科技特派员工作月报（2026年10月）" in text
    assert "周报" not in text and not EMOJI.findall(text)
    assert "统计期间：2026年10月1日 至 2026年10月31日" in text
    for header in ("县（区）", "服务次数", "有疑点", "企业异议", "逾期报告", "合计"):
        assert header in text
    pace_checked = policy.min_services_per_year is not None  # Jincheng's 24 a year; Yangquan sets none
    assert ("特派员（进度达标 / 总数）" in text) == ("进度落后" in text) == pace_checked
    assert "每周服务次数" in text and "10-05至10-11" in text  # a week of the chart
    assert text.index("各县（区）情况") < text.index("每周服务次数") < text.index("有疑点的服务记录")
    for name, figures in digest.counties.items():
        assert re.search(rf"{re.escape(name)}\s+{figures.services}\b", text), name
    named = {_font_key(f) for f in font_family().split(",")}
    assert {_font_key(f) for f in pdf_fonts(pdf)} <= named, pdf_fonts(pdf)
    for page in range(1, min(pdf_pages(pdf), 2) + 1):
        assert render_page(pdf, page, f"digest-month-{preset}-{page}").is_file()


def _font_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


async def test_english_lists_speak_english(seeded) -> None:  # noqa: F811
    async with seeded.sessionmaker() as session:
        digest = await collect(Repos(session), load_policy("jincheng"), Translator("en"), date(2026, 10, 1),
                               date(2026, 10, 31))
    assert digest.overdue and all(re.search(r"\(C\d{3}\): Half-year summary", item) for item in digest.overdue)
