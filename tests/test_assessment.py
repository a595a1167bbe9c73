"""Assessing a year over a seeded database (services/assessment.py, services/roster.py), on SQLite and
PostgreSQL: the cohort's grades, a fixed number of queries, the bureau's decisions, the XLSX roster."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, event, func, literal, select, update

from locales import Translator
from services.assessment import AssessmentError, assess, decide
from services.demo_activity import seed_activity
from services.roster import COLUMNS, write_roster
from storage.models import AuditEntry, GradeDecision, Report, Survey, User, Visit
from storage.repositories import Repos
from testkit.years import AS_OF, CODES, SEED_DAY, ZONE, Seeded, assessed, imported, seeded  # noqa: F401 - fixtures


def by_code(result) -> dict:  # noqa: ANN001
    return {g.scored.inputs.code: g for g in result.graded}


async def test_everyone_with_an_agreement_is_graded(seeded, policy) -> None:  # noqa: ANN001
    result = await assessed(seeded, policy)
    assert (result.year, result.as_of) == (2026, AS_OF)
    assert sorted(by_code(result)) == CODES and sorted(result.commissioners) == CODES
    assert [g.rank for g in result.graded] == list(range(1, len(CODES) + 1))
    assert {g.grade for g in result.graded} <= {g.key for g in policy.grades}
    excellent = sum(g.grade == policy.grades[0].key for g in result.graded)
    assert excellent <= math.floor(policy.top_grade_cap * len(CODES))
    assert result.commissioners["C001"].name == "张伟"
    # The figures add up to what was seeded.
    inputs = [g.scored.inputs for g in result.graded]
    assert sum(x.all_services for x in inputs) == seeded.counts["visits"]
    assert sum(x.outcomes for x in inputs) == seeded.counts["outcomes"]
    assert sum(x.reports_on_time + x.reports_late for x in inputs) == seeded.counts["reports"]
    # Yangquan: quarterly reports, Q1–Q3 due by 23 November, for five commissioners.
    assert sum(x.reports_on_time + x.reports_late + x.reports_missing for x in inputs) == 3 * len(CODES)
    c001 = by_code(result)["C001"].scored.inputs
    assert c001.enterprises_agreed == 2 and 1 <= c001.enterprises_served <= 2
    assert all(x.verified_services + x.disputed <= x.all_services for x in inputs)
    # Nothing decided yet: every grade is proposed from the score.
    assert result.decisions == {} and all(g.reason != "override" for g in result.graded)
    # A year without agreements assesses nobody.
    empty = await assessed(seeded, policy, 2025)
    assert empty.graded == [] and empty.commissioners == {}


async def test_query_count_does_not_grow_with_visits(seeded, policy, engine) -> None:  # noqa: ANN001
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    async def run() -> tuple[int, int]:
        statements.clear()
        async with seeded.sessionmaker() as session:
            event.listen(engine.sync_engine, "before_cursor_execute", count)
            try:
                result = await assess(Repos(session), policy, 2026, AS_OF)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", count)
        return len(statements), sum(g.scored.inputs.all_services for g in result.graded)

    first, visits_before = await run()
    # More of everything: seed_activity is meant for an empty database, so the first round's
    # users, draft keys, reports and surveys (unique) are moved aside before a second round.
    async with seeded.sessionmaker() as session:
        await session.execute(update(User).where(User.telegram_id >= 9_000_000_000)
                              .values(telegram_id=User.telegram_id + 1_000_000))
        await session.execute(update(Visit).values(draft_key=literal("x") + Visit.draft_key))
        await session.execute(delete(Report))
        await session.execute(delete(Survey))
        await session.commit()
        again = await seed_activity(Repos(session), seeded.store, policy, ZONE, SEED_DAY, seed=11)
        await session.commit()
    second, visits_after = await run()
    assert visits_after == visits_before + again["visits"] > visits_before
    assert first == second
    assert first <= 10  # a handful of queries for the whole cohort


async def test_override_is_audited_and_changes_the_grade(seeded, policy, clock) -> None:  # noqa: ANN001
    proposed = by_code(await assessed(seeded, policy))
    assert proposed["C001"].grade != "fail"
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        row = await decide(repos, clock, policy, year=2026, code="C001", grade="fail",
                           reason=" 服务记录经核实有误 ", actor="user:7")
        await repos.commit()
        assert (row.grade, row.reason, row.final, row.decided_by) == ("fail", "服务记录经核实有误", False, "user:7")
    result = await assessed(seeded, policy)
    graded = by_code(result)
    assert (graded["C001"].grade, graded["C001"].reason) == ("fail", "override")
    assert result.decisions["C001"].reason == "服务记录经核实有误"
    async with seeded.sessionmaker() as session:
        [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "grade.override"))).all()
    assert entry.actor == "user:7" and entry.entity == "commissioner"
    assert entry.details == {"year": 2026, "old": None, "new": "fail", "reason": "服务记录经核实有误"}

    # A second override of the same person replaces the first, and is audited with the old grade.
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2026, code="C001", grade="pass", reason="复核后恢复", actor="user:7")
        await repos.commit()
        assert await session.scalar(select(func.count()).select_from(GradeDecision)) == 1
        olds = (await session.scalars(select(AuditEntry.details).where(AuditEntry.action == "grade.override")
                                      .order_by(AuditEntry.id))).all()
    assert [d["old"] for d in olds] == [None, "fail"]
    assert by_code(await assessed(seeded, policy))["C001"].grade == "pass"


async def test_override_to_excellent_takes_the_only_place(seeded, policy, clock) -> None:  # noqa: ANN001
    proposed = await assessed(seeded, policy)
    last = proposed.graded[-1].scored.inputs.code
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2026, code=last, grade="excellent", reason="重大贡献", actor="user:7")
        await repos.commit()
    result = await assessed(seeded, policy)
    # Five people, 20%: one 优秀, and the bureau's choice has it.
    assert [g.scored.inputs.code for g in result.graded if g.grade == "excellent"] == [last]
    assert all(g.reason != "top" for g in result.graded)


@pytest.mark.parametrize(("code", "grade", "reason", "error"), [
    ("C001", "pass", "", "reason_needed"),
    ("C001", "pass", "   ", "reason_needed"),
    ("C001", "good", "原因", "unknown_grade"),
    ("C001", "competent", "原因", "unknown_grade"),  # a Jincheng grade, not Yangquan's
    ("C999", "pass", "原因", "unknown_commissioner"),
])
async def test_decide_refuses(imported, policy, clock, code, grade, reason, error) -> None:  # noqa: ANN001
    async with imported.sessionmaker() as session:
        repos = Repos(session)
        with pytest.raises(AssessmentError) as caught:
            await decide(repos, clock, policy, year=2026, code=code, grade=grade, reason=reason, actor="user:7")
        assert caught.value.reason == error
        await repos.commit()
        assert await session.scalar(select(func.count()).select_from(GradeDecision)) == 0
        assert await session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action.like("grade.%"))) == 0


async def test_final_grade_is_locked(imported, policy, clock) -> None:  # noqa: ANN001
    async with imported.sessionmaker() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2026, code="C002", grade="pass", reason="年度考核确定",
                     actor="user:7", final=True)
        await repos.commit()
    async with imported.sessionmaker() as session:
        repos = Repos(session)
        with pytest.raises(AssessmentError) as caught:
            await decide(repos, clock, policy, year=2026, code="C002", grade="fail", reason="再改", actor="user:7")
        assert caught.value.reason == "locked"
        with pytest.raises(AssessmentError, match="locked"):
            await decide(repos, clock, policy, year=2026, code="C002", grade="excellent", reason="再改",
                         actor="user:7", final=True)
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("grade.%")))).all()
        assert actions == ["grade.final"]
    result = await assessed(imported, policy)
    assert (by_code(result)["C002"].grade, by_code(result)["C002"].reason) == ("pass", "override")
    assert result.decisions["C002"].final is True
    # Another year is not locked.
    async with imported.sessionmaker() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2027, code="C002", grade="fail", reason="另一年", actor="user:7")
        await repos.commit()


async def test_roster_xlsx(seeded, policy, tmp_path: Path) -> None:  # noqa: ANN001
    result = await assessed(seeded, policy)
    t = Translator("zh")
    path = tmp_path / "out" / "roster-2026.xlsx"
    assert write_roster(path, policy, t, result) == len(CODES)
    sheet = load_workbook(path).active
    assert sheet.title == "2026年度考核"
    header = [cell.value.replace("\n", "") for cell in sheet[1]]  # long labels go on two lines
    assert header[:5] == ["排名", "编号", "姓名", "派出单位", "县区"]
    assert header == [t(f"assess.col_{c}") if c != "failures" else "不合格原因" for c in COLUMNS]
    assert {"总分", "建议等次", "依据", "履职尽责", "技术服务成效", "创新成果转化", "服务对象满意度"} <= set(header)
    data = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2, max_row=len(CODES) + 1)]
    assert sheet.max_row == len(CODES) + 2  # and the totals row
    assert [row[0] for row in data] == list(range(1, len(CODES) + 1))
    column = {name: index for index, name in enumerate(COLUMNS)}
    graded = by_code(result)
    labels = {g.key: g.zh for g in policy.grades}
    for row in data:
        g = graded[row[column["code"]]]
        assert row[column["name"]] == g.scored.inputs.name
        assert row[column["total"]] == g.scored.total
        assert row[column["grade"]] == labels[g.grade]
        assert row[column["services"]] == g.scored.inputs.all_services
    zhang = next(row for row in data if row[column["code"]] == "C001")
    assert (zhang[column["name"]], zhang[column["unit"]], zhang[column["county"]]) == ("张伟", "太原理工大学", "城区")
    assert sheet.auto_filter.ref == f"A1:Z{len(CODES) + 1}"


async def test_roster_for_one_county(seeded, policy, tmp_path: Path) -> None:  # noqa: ANN001
    result = await assessed(seeded, policy)
    path = tmp_path / "chengqu.xlsx"
    assert write_roster(path, policy, Translator("zh"), result, county="城区") == 1
    sheet = load_workbook(path).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2, max_row=2)]
    assert [(row[1], row[2], row[4]) for row in rows] == [("C001", "张伟", "城区")]
    assert sheet.auto_filter.ref == "A1:Z2"
    # A county with nobody in it: the header alone.
    assert write_roster(tmp_path / "none.xlsx", policy, Translator("zh"), result, county="郊区") == 0
    assert load_workbook(tmp_path / "none.xlsx").active.max_row == 1
