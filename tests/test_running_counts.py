"""The console's running counts (storage/running_counts.py) stay equal to a fresh recount through
a year seeded with the ORM and a sequence of changes made through the services: answers,
disputes, voids, acceptances, a report, a disqualification, a county moved by an import. And the
overview's figures, summed from them, equal the rows counted directly. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from domain.web_access import BUREAU, Scope
from services import feedback, reports
from services import visits as visit_service
from services.console.overview import overview, report_periods
from services.disqualification import disqualify
from services.feedback import Responder
from services.importer import import_file
from domain.records import Kind
from storage import running_counts
from storage.models import Agreement, Commissioner, Enterprise, RunningCount, User, Visit, VisitFeedback
from storage.repositories import Repos
from testkit.databases import EXAMPLES
from testkit.webkit import COUNTY_A, web_world  # noqa: F401 - the fixture
from testkit.years import ZONE

TODAY = date(2026, 11, 20)
SEPARATE_PERIODS = 60  # a commissioner's agreement spans, joined in one key, once overflowed it


async def _differences(world) -> dict:  # noqa: ANN001
    async with world.sessionmaker() as session:
        return await session.run_sync(running_counts.check)


async def _visit(repos: Repos, *where) -> Visit:  # noqa: ANN002
    return await repos.session.scalar(select(Visit).outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id)
                                      .where(Visit.voided_at.is_(None), *where).order_by(Visit.id).limit(1))


async def test_counts_equal_a_recount_after_changes_through_the_services(web_world, policy, tmp_path) -> None:  # noqa: ANN001
    world = web_world
    assert await _differences(world) == {}  # the seeded year went through the same flushes
    async with world.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(RunningCount)) > 20
    clock = world.clock
    async with world.sessionmaker() as session:
        repos = Repos(session)
        admin = User(telegram_id=77, full_name="县管理员", created_at=clock.now(), failed_starts=0)
        session.add(admin)
        await session.flush()
        pending = [await _visit(repos, VisitFeedback.status == "pending", Visit.evidence_status != "flagged")]
        for visit in pending:
            await feedback.confirm(repos, clock, visit_id=visit.id,
                                   responder=Responder(admin.id, frozenset({visit.enterprise_id}), proxy=True))
        await repos.commit()
        open_ = await _visit(repos, VisitFeedback.status.in_(("pending", "unanswered")))
        await feedback.dispute(repos, clock, policy, ZONE, visit_id=open_.id, reason="没见到人",
                               responder=Responder(admin.id, frozenset({open_.enterprise_id}), proxy=True))
        await repos.commit()
        flagged = await _visit(repos, Visit.flagged)
        await visit_service.accept_visit(repos, clock, visit=flagged, note="已核实", actor="test")
        await repos.commit()
        await visit_service.void_visit(repos, clock, admin_user_id=admin.id, visit=await _visit(repos), reason="重复")
        await repos.commit()
    assert await _differences(world) == {}

    async with world.sessionmaker() as session:
        repos = Repos(session)
        c1 = await session.scalar(select(Commissioner).where(Commissioner.code == "C001"))
        owed = await reports.owed(repos, policy, c1.id, TODAY)
        if owed:
            await reports.submit(repos, clock, policy, ZONE, commissioner_id=c1.id, user_id=admin.id, owed_=owed[0],
                                 text="进展顺利", attachments=[])
        await disqualify(repos, clock, policy, ZONE, code="C003", reason_key=policy.disqualification.reasons[0].key,
                         actor="test")
        await repos.commit()
    assert await _differences(world) == {}

    moved = tmp_path / "commissioners.csv"  # C002 moves to county A: its visits count there now
    lines = (EXAMPLES / "commissioners.csv").read_text(encoding="utf-8").splitlines()
    moved.write_text("\n".join([lines[0], *(line.rsplit(",", 1)[0] + f",{COUNTY_A}" if line.startswith("C002,")
                                           else line for line in lines[1:])]) + "\n", encoding="utf-8")
    async with world.sessionmaker() as session:
        repos = Repos(session)
        assert (await import_file(repos, clock, moved, Kind.COMMISSIONERS, "test")).ok
        await repos.commit()
        assert (await session.scalar(select(Commissioner).where(Commissioner.code == "C002"))).county == COUNTY_A
    assert await _differences(world) == {}

    async with world.sessionmaker() as session:  # the figures, summed from the counts, against the rows
        repos = Repos(session)
        for scope in (BUREAU, Scope(frozenset({COUNTY_A}))):
            o = await overview(repos, policy, scope, 2026, TODAY)
            in_scope = [v for v in (await session.scalars(select(Visit).where(Visit.voided_at.is_(None)))).unique()
                        if v.visit_date.year == 2026 and (scope.counties is None or v.enterprise.county in scope.counties
                                                          or v.commissioner.county in scope.counties)]
            answers = dict((await session.execute(select(VisitFeedback.visit_id, VisitFeedback.status))).all())
            assert o.services == len(in_scope)
            assert o.flagged == sum(1 for v in in_scope if v.flagged and answers.get(v.id) != "disputed")
            assert o.disputed == sum(1 for v in in_scope if answers.get(v.id) == "disputed" and v.reviewed_at is None)
            assert o.prompts_waiting == sum(1 for v in in_scope if answers.get(v.id) == "pending")
            firms = await session.scalar(
                select(func.count(func.distinct(Agreement.enterprise_id))).join(Enterprise)
                .where(Agreement.start_date <= date(2026, 12, 31), Agreement.end_date >= date(2026, 1, 1),
                       True if scope.counties is None else Enterprise.county.in_(scope.counties)))
            active = [a for a in (await session.scalars(select(Agreement))).unique() if a.status == "active"
                      and a.start_date <= TODAY <= a.end_date
                      and (scope.counties is None or a.commissioner.county in scope.counties)]
            assert (o.enterprises, o.agreements_in_force) == (firms, len(active))


async def test_a_bulk_load_is_found_and_rebuilt(web_world) -> None:  # noqa: ANN001
    """Rows written past the ORM (a load by SQL) are not counted until a rebuild; the check says so."""
    async with web_world.sessionmaker() as session:
        visit = await session.scalar(select(Visit).where(Visit.voided_at.is_(None)).order_by(Visit.id).limit(1))
        await session.execute(Visit.__table__.update().where(Visit.id == visit.id).values(voided_at=web_world.clock.now()))
        await session.commit()
    differ = await _differences(web_world)
    assert differ and all(key[0] in ("visits", "pace") for key in differ)
    async with web_world.sessionmaker() as session:
        await session.run_sync(running_counts.rebuild)
        await session.commit()
    assert await _differences(web_world) == {}



async def test_a_commissioner_with_sixty_separate_agreement_periods(web_world, policy, tmp_path) -> None:  # noqa: ANN001
    """The cohort's, the firms' and the reports' keys join every span of a commissioner's (an
    enterprise's) agreements: 60 separate ones are some 1,300 characters, past the key column
    (PostgreSQL refused the flush). They are counted, stored within the column, and the console
    shows what it showed, and for an earlier year what the rows say."""
    async def console(year: int) -> tuple:
        async with web_world.sessionmaker() as session:
            repos = Repos(session)
            return await overview(repos, policy, BUREAU, year, TODAY), await report_periods(repos, policy, BUREAU,
                                                                                          year, TODAY)

    this_year = await console(2026)
    agreements = tmp_path / "agreements.csv"
    starts = [date(2016 + i // 6, 1 + 2 * (i % 6), 1) for i in range(SEPARATE_PERIODS)]  # 2016-2025, every other month
    agreements.write_text("commissioner,enterprise,start,end,status\n" + "".join(
        f"C001,E001,{s.isoformat()},{s.replace(day=20).isoformat()},ended\n" for s in starts), encoding="utf-8")
    async with web_world.sessionmaker() as session:
        repos = Repos(session)
        assert (await import_file(repos, web_world.clock, agreements, Kind.AGREEMENTS, "test")).ok
        await repos.commit()
    assert await _differences(web_world) == {}
    async with web_world.sessionmaker() as session:
        long = {k[0] for k in await session.run_sync(running_counts.stored) if k[4].count(",") >= SEPARATE_PERIODS}
        assert long == {"cohort", "firms", "reports"}
        keys = (await session.scalars(select(RunningCount.key))).all()
        assert max(map(len, keys)) <= RunningCount.__table__.c.key.type.length
    assert await console(2026) == this_year  # C001's 2026 is as it was: nothing shown changes
    o, _ = await console(2019)
    async with web_world.sessionmaker() as session:
        touching = (Agreement.start_date <= date(2019, 12, 31), Agreement.end_date >= date(2019, 1, 1))
        assert (o.commissioners, o.enterprises) == (1, 1) == (
            await session.scalar(select(func.count(func.distinct(Agreement.commissioner_id))).where(*touching)),
            await session.scalar(select(func.count(func.distinct(Agreement.enterprise_id))).where(*touching)))


async def test_a_transaction_holds_no_count_row_until_it_commits(web_world) -> None:  # noqa: ANN001
    """The counts are written just before the commit, not at each flush: a transaction that has
    changed a county's figures does not hold that county's count rows (which every other change
    in the county writes too) while it goes on. Before, a confirm held them through the rest of
    its update and others queued behind it."""
    world = web_world
    if world.sessionmaker.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time")
    async with world.sessionmaker() as changing, world.sessionmaker() as other:
        repos = Repos(changing)
        visit = await _visit(repos)
        await visit_service.void_visit(repos, world.clock, admin_user_id=None, visit=visit, reason="测试", actor="test")
        await changing.flush()
        # Every count row can be locked by another transaction at once (55P03 if one is held).
        await other.execute(select(RunningCount.figure).with_for_update(nowait=True))
        await other.rollback()
        await repos.commit()
    assert await _differences(world) == {}


async def test_a_savepoint_rolled_back_takes_its_counts_with_it(web_world) -> None:  # noqa: ANN001
    world = web_world
    async with world.sessionmaker() as session:
        repos = Repos(session)
        kept = await _visit(repos)
        kept_id = kept.id
        await visit_service.void_visit(repos, world.clock, admin_user_id=None, visit=kept, reason="测试", actor="test")
        await session.flush()
        undone = await _visit(repos)  # the next live one
        undone_id = undone.id
        savepoint = await session.begin_nested()
        await visit_service.void_visit(repos, world.clock, admin_user_id=None, visit=undone, reason="测试", actor="t")
        await session.flush()
        await savepoint.rollback()
        await repos.commit()
    assert await _differences(world) == {}
    async with world.sessionmaker() as session:
        assert (await session.get(Visit, kept_id)).voided_at is not None
        assert (await session.get(Visit, undone_id)).voided_at is None
