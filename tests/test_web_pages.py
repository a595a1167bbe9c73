"""Every console page and POST for the bureau, a county admin of county A and of county B, and a
stranger, on SQLite and PostgreSQL: status codes, what each sees and does not see, and the
review decisions going through the chat's own services."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from storage.models import AuditEntry, Commissioner, Enterprise, Visit, VisitFeedback
from testkit.webkit import COUNTY_A, COUNTY_B, REUSED, web_world  # noqa: F401 - the fixture


async def _visit_of(world, county: str, flagged: bool = False) -> int:  # noqa: ANN001
    """A live visit whose commissioner and enterprise are both in `county`."""
    async with world.sessionmaker() as session:
        stmt = (select(Visit.id).join(Commissioner, Commissioner.id == Visit.commissioner_id)
                .join(Enterprise, Enterprise.id == Visit.enterprise_id)
                .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id)
                .where(Commissioner.county == county, Enterprise.county == county, Visit.voided_at.is_(None))
                .order_by(Visit.id))
        if flagged:
            stmt = stmt.where(Visit.evidence_status == "flagged")  # flagged, disputed or both: in the queue
        return int(await session.scalar(stmt.limit(1)))


def _pages(code: str, visit: int) -> list[str]:
    return ["/", "/?year=2025", "/commissioners", "/commissioners?sort=progress&order=desc&status=active",
            f"/commissioners/{code}", "/visits", "/visits?year=2026&status=flagged", f"/visits/{visit}",
            f"/visits/{visit}/files/1/thumb", f"/visits/{visit}/files/1/original", "/review",
            "/review?kind=disputed", "/selection", "/reports", "/digests"]


def _count(html: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}"><b>(\d+)</b>', html)
    assert found, html
    return int(found.group(1))


async def test_the_bureau_sees_every_page_and_every_county(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in("bureau")
    visit_a, visit_b = await _visit_of(web_world, COUNTY_A), await _visit_of(web_world, COUNTY_B)
    for path in _pages("C001", visit_a) + [f"/commissioners/C002", f"/visits/{visit_b}"]:
        response = await web_world.client.get(path)
        assert response.status == 200, path
    listing = await (await web_world.client.get("/commissioners")).text()
    assert "C001" in listing and "C002" in listing and "C005" in listing
    photo = await web_world.client.get(f"/visits/{visit_a}/files/1/original")
    assert photo.headers["Content-Type"] == "image/jpeg" and (await photo.read())[:2] == b"\xff\xd8"
    roster = await web_world.client.get("/commissioners/roster.xlsx?year=2026")
    sheet = load_workbook(io.BytesIO(await roster.read())).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]} == {"C001", "C002", "C003", "C004", "C005"}


async def test_county_a_sees_only_county_a(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in("county_a")
    visit_a, visit_b = await _visit_of(web_world, COUNTY_A), await _visit_of(web_world, COUNTY_B)
    for path in _pages("C001", visit_a):
        assert (await web_world.client.get(path)).status == 200, path
    for path in ("/commissioners/C002", f"/visits/{visit_b}", f"/visits/{visit_b}/files/1/thumb",
                 f"/visits/{visit_b}/files/1/original", "/commissioners/C002/dossier.html"):
        response = await web_world.client.get(path)
        assert response.status == 404, path
    listing = await (await web_world.client.get("/commissioners")).text()
    assert "C001" in listing and "C002" not in listing
    visits = await (await web_world.client.get("/visits?year=2026")).text()
    assert f"#{visit_a}<" in visits and f"#{visit_b}<" not in visits
    roster = await web_world.client.get("/commissioners/roster.xlsx?year=2026")
    sheet = load_workbook(io.BytesIO(await roster.read())).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[1]} == {"C001"}
    home = await (await web_world.client.get("/")).text()
    assert "城区" in home and _count(home, "n-commissioners") == 1


async def test_county_b_cannot_settle_county_a_visits(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in("county_b")
    flagged_a = await _visit_of(web_world, COUNTY_A, flagged=True)
    refused = await web_world.client.post(f"/visits/{flagged_a}/decide", data={"csrf": csrf, "action": "void",
                                                                               "text": "不在本辖区"})
    assert refused.status == 404
    async with web_world.sessionmaker() as session:
        assert (await session.get(Visit, flagged_a)).voided_at is None
    assert "C002" in await (await web_world.client.get("/commissioners")).text()
    assert (await web_world.client.get("/commissioners/C001")).status == 404


async def test_voiding_from_the_queue_drops_the_counts_and_is_audited(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in("bureau")
    before = await (await web_world.client.get("/?year=2026")).text()
    queue = await (await web_world.client.get("/review?kind=flagged&year=2026")).text()
    first = int(re.search(r'class="visit-link">#(\d+)<', queue).group(1))
    empty = await web_world.client.post(f"/visits/{first}/decide", data={"csrf": csrf, "action": "void", "text": " "})
    assert "作废时必须写明原因" in await empty.text()
    done = await web_world.client.post(f"/visits/{first}/decide",
                                       data={"csrf": csrf, "action": "void", "text": "定位在外地", "from": "review"})
    assert done.status == 200 and done.url.path == "/review" and "已作废" in await done.text()
    after = await (await web_world.client.get("/?year=2026")).text()
    assert _count(after, "n-flagged") == _count(before, "n-flagged") - 1
    assert _count(after, "n-services") == _count(before, "n-services") - 1
    async with web_world.sessionmaker() as session:
        visit = await session.get(Visit, first)
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "visit.void"))).all()
    assert visit.voided_at is not None and visit.void_reason == "定位在外地"
    assert [(a.entity_id, a.actor, a.details["reason"]) for a in audit] == [(str(first), "web:测试管理员", "定位在外地")]
    again = await web_world.client.post(f"/visits/{first}/decide", data={"csrf": csrf, "action": "void", "text": "x"})
    assert "已经作废" in await again.text()
    history = await (await web_world.client.get(f"/visits/{first}")).text()
    assert "visit.void" in history and "定位在外地" in history


async def test_accepting_with_a_note_takes_a_visit_out_of_the_queue(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in("county_a")
    flagged = await _visit_of(web_world, COUNTY_A, flagged=True)
    home = await (await web_world.client.get("/?year=2026")).text()
    before = _count(home, "n-flagged") + _count(home, "n-disputed")
    no_note = await web_world.client.post(f"/visits/{flagged}/decide", data={"csrf": csrf, "action": "accept"})
    assert "审核意见" in await no_note.text()
    done = await web_world.client.post(f"/visits/{flagged}/decide",
                                       data={"csrf": csrf, "action": "accept", "text": "企业坐标登记有误，已核实"})
    assert "已审核通过" in await done.text()
    home = await (await web_world.client.get("/?year=2026")).text()
    assert _count(home, "n-flagged") + _count(home, "n-disputed") == before - 1
    assert f"#{flagged}<" not in await (await web_world.client.get("/review")).text()
    async with web_world.sessionmaker() as session:
        visit = await session.get(Visit, flagged)
    assert visit.voided_at is None and visit.review_note == "企业坐标登记有误，已核实"


async def test_a_post_without_csrf_changes_nothing(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in("bureau")
    flagged = await _visit_of(web_world, COUNTY_A, flagged=True)
    for data in ({"action": "void", "text": "x"}, {"action": "void", "text": "x", "csrf": "forged"}):
        refused = await web_world.client.post(f"/visits/{flagged}/decide", data=data)
        assert refused.status == 403
    async with web_world.sessionmaker() as session:
        assert (await session.get(Visit, flagged)).voided_at is None


async def test_a_stranger_and_a_used_link_see_nothing(web_world) -> None:  # noqa: ANN001
    visit = await _visit_of(web_world, COUNTY_A)
    for path in _pages("C001", visit) + ["/commissioners/roster.xlsx", "/commissioners/C001/dossier.pdf"]:
        response = await web_world.client.get(path)
        assert response.status == 401, path
        assert "C001" not in await response.text()
    assert (await web_world.client.post(f"/visits/{visit}/decide", data={"action": "void", "text": "x"})).status == 401


async def test_the_dossier_opens_inline_and_as_pdf(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in("county_a")
    page = await web_world.client.get("/commissioners/C001/dossier.html?year=2026")
    assert page.status == 200 and "unsafe-inline" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
    pdf = await web_world.client.get("/commissioners/C001/dossier.pdf?year=2026")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")


async def test_english_pages(web_world) -> None:  # noqa: ANN001
    csrf = await web_world.sign_in("bureau")
    await web_world.client.post("/lang", data={"csrf": csrf, "lang": "en", "next": "/commissioners"})
    for path, text in (("/?year=2026", ">month 7: "), ("/commissioners", "Commissioners in 2026"), ("/review", "To review"),
                       ("/reports", "Reports in 2026"), ("/selection", "Open technical needs"),
                       ("/digests", "Last week")):
        assert text in await (await web_world.client.get(path)).text(), path


async def test_a_reused_photo_is_shown_beside_the_earlier_visit(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in("county_a")
    flagged, earlier = next(iter(REUSED.items()))
    html = await (await web_world.client.get(f"/visits/{flagged}")).text()
    assert "side-by-side" in html and f'href="/visits/{earlier}"' in html
    assert f'src="/visits/{flagged}/files/1/thumb"' in html and f'src="/visits/{earlier}/files/1/thumb"' in html
    assert "3150 米" in html and "超出 1000 米范围" in html  # each flag with its figures and why it matters
    mine = await (await web_world.client.get(f"/visits/{flagged}/files/1/thumb")).read()
    theirs = await (await web_world.client.get(f"/visits/{earlier}/files/1/thumb")).read()
    assert mine == theirs and mine[:2] == b"\xff\xd8"
    queue = await (await web_world.client.get("/review")).text()
    assert f"#{flagged}<" in queue


async def test_sorting_by_proposed_grade_ranks_the_cohort(web_world, policy) -> None:  # noqa: ANN001
    from datetime import date

    from services.assessment import assess
    from storage.repositories import Repos

    await web_world.sign_in("bureau")
    html = await (await web_world.client.get("/commissioners?year=2026&sort=grade&order=asc")).text()
    shown = list(dict.fromkeys(re.findall(r'<td><a href="/commissioners/([AC]\d+)\?year=2026">', html)))
    async with web_world.sessionmaker() as session:
        result = await assess(Repos(session), policy, 2026, date(2026, 11, 20))
    ranked = [g.scored.inputs.code for g in result.graded]
    assert shown[:len(ranked)] == ranked and all(code.startswith("A") for code in shown[len(ranked):])
    labels = {g.key: g.text("zh") for g in policy.grades}
    assert labels[result.graded[0].grade] in html
    by_flags = await (await web_world.client.get("/commissioners?year=2026&sort=flags&order=desc")).text()
    assert re.findall(r'<td><a href="/commissioners/(C\d+)\?year=2026">', by_flags)[0] != "A001"


async def test_pages_make_a_fixed_number_of_statements(web_world) -> None:  # noqa: ANN001
    """No statement per row: two commissioners with different numbers of visits, two list pages
    of different lengths, cost the same."""
    from sqlalchemy import event

    await web_world.sign_in("bureau")
    engine = web_world.sessionmaker.kw["bind"].sync_engine
    counted = [0]

    def count(*_: object) -> None:
        counted[0] += 1

    async def statements(path: str) -> int:
        before = counted[0]
        assert (await web_world.client.get(path)).status == 200, path
        return counted[0] - before

    event.listen(engine, "before_cursor_execute", count)
    try:
        pairs = [("/commissioners/C001", "/commissioners/C002"),
                 ("/commissioners?status=active", "/commissioners?county=城区"),
                 ("/visits?year=2026", "/visits?year=2026&county=城区&status=flagged"),
                 ("/review", "/review?kind=disputed")]
        for one, other in pairs:
            assert await statements(one) == await statements(other) <= 12, (one, other)
        flagged = next(iter(REUSED))
        assert await statements(f"/visits/{flagged}") <= 8
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_pace_against_a_yearly_minimum(web_world) -> None:  # noqa: ANN001
    """Under Jincheng's 24 services a year, the overview counts who is behind today's pace, and the
    list behind that number shows exactly them."""
    from dataclasses import replace
    from datetime import date

    from aiohttp.test_utils import TestClient, TestServer

    from domain.policy import load_policy
    from domain.progress import year_progress
    from web.app import create_app
    from web.context import CONSOLE

    jincheng = load_policy("jincheng")
    today = date(2026, 11, 20)
    expected = year_progress(jincheng, today, 0, 0).expected_by_today
    async with web_world.sessionmaker() as session:
        done = dict((await session.execute(
            select(Visit.commissioner_id, func.count(Visit.id)).where(Visit.voided_at.is_(None))
            .group_by(Visit.commissioner_id))).all())
        codes = dict((await session.execute(select(Commissioner.id, Commissioner.code))).all())
    behind = sorted(codes[cid] for cid in codes if codes[cid].startswith("C") and done.get(cid, 0) < expected)
    assert behind and len(behind) < 5  # some are behind, not all
    client = TestClient(TestServer(create_app(replace(web_world.client.app[CONSOLE], policy=jincheng))))
    await client.start_server()
    try:
        await web_world.sign_in("bureau", client)
        home = await (await client.get("/")).text()
        assert _count(home, "n-behind") == len(behind) and "应完成" in home
        listing = await (await client.get("/commissioners?behind=1")).text()
        assert sorted(set(re.findall(r'<td><a href="/commissioners/(C\d+)\?', listing))) == behind
    finally:
        await client.close()
