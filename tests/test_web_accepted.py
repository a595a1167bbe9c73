"""A visit a reviewer accepted (the console's review queue, with a note) stops counting as flagged
or disputed everywhere: the assessment and the proposed grade, the commissioner list, the
overview, the dossier. One definition (domain.evidence.counts_as_flagged) serves them all.
SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from services.assessment import assess
from storage.models import Commissioner, Visit, VisitFeedback
from storage.repositories import Repos
from testkit.webkit import COUNTY_A, REUSED, web_world  # noqa: F401 - the fixture

TODAY = date(2026, 11, 20)


async def _inputs(world, policy, code: str):  # noqa: ANN001, ANN202
    async with world.sessionmaker() as session:
        result = await assess(Repos(session), policy, 2026, TODAY)
    return next(g.scored.inputs for g in result.graded if g.scored.inputs.code == code)


def _flags_column(html: str, code: str) -> int:
    row = re.search(rf'<a href="/commissioners/{code}\?year=2026">.*?</tr>', html, re.S).group(0)
    return int(re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row)[1])  # services, then flags


async def _accept(world, csrf: str, visit_id: int) -> None:  # noqa: ANN001
    done = await world.client.post(f"/visits/{visit_id}/decide",
                                   data={"csrf": csrf, "action": "accept", "text": "已电话核实，确有其事"})
    assert done.status == 200 and "已审核通过" in await done.text()


async def test_an_accepted_flagged_visit_counts_as_verified_and_not_flagged(web_world, policy) -> None:  # noqa: ANN001
    flagged = next(iter(REUSED))
    async with web_world.sessionmaker() as session:  # the enterprise never answered: doubt stands
        answer = await session.scalar(select(VisitFeedback).where(VisitFeedback.visit_id == flagged))
        answer.status, answer.rating = "unanswered", None
        await session.commit()
    csrf = await web_world.sign_in("county_a")
    before = await _inputs(web_world, policy, "C001")
    listing = await (await web_world.client.get("/commissioners?year=2026")).text()
    flags_before = _flags_column(listing, "C001")
    await _accept(web_world, csrf, flagged)

    after = await _inputs(web_world, policy, "C001")
    assert after.verified_services == before.verified_services + 1 and after.all_services == before.all_services
    listing = await (await web_world.client.get("/commissioners?year=2026")).text()
    assert _flags_column(listing, "C001") == flags_before - 1
    shown = await (await web_world.client.get("/visits?year=2026&status=flagged&commissioner=C001")).text()
    assert f"#{flagged}<" not in shown
    accepted = await (await web_world.client.get("/visits?year=2026&status=accepted")).text()
    assert f"#{flagged}<" in accepted
    dossier = await (await web_world.client.get("/commissioners/C001/dossier.html?year=2026")).text()
    assert "有疑点，复核通过" in dossier


async def test_an_accepted_dispute_is_settled(web_world, policy) -> None:  # noqa: ANN001
    async with web_world.sessionmaker() as session:
        disputed, code = (await session.execute(
            select(Visit.id, Commissioner.code).join(Commissioner, Commissioner.id == Visit.commissioner_id)
            .join(VisitFeedback, VisitFeedback.visit_id == Visit.id)
            .where(VisitFeedback.status == "disputed", Visit.voided_at.is_(None))
            .order_by(Visit.id).limit(1))).one()
    csrf = await web_world.sign_in("bureau")
    before = await _inputs(web_world, policy, code)
    await _accept(web_world, csrf, disputed)
    after = await _inputs(web_world, policy, code)
    assert (after.disputed, after.verified_services) == (before.disputed - 1, before.verified_services + 1)
