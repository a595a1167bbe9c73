"""The enterprise pages (`/enterprises`, `/enterprises/<code>`) for the bureau, county A, county B
and a stranger; the overview's enterprise count leads to them; and the bounded lists: county
options from the policy, the visit list's total from the running counts. SQLite and PostgreSQL."""
from __future__ import annotations

import re

from sqlalchemy import event, func, select

from storage.models import Enterprise, Visit
from testkit.webkit import COUNTY_A, COUNTY_B, web_world  # noqa: F401 - the fixture


def _total(html: str) -> int:
    found = re.search(r"共 (\d+) 条", html)
    assert found, html
    return int(found.group(1))


def _codes(html: str) -> set[str]:
    return set(re.findall(r'<td><a href="/enterprises/(E\d+)\?year=', html))


async def test_the_bureau_lists_every_enterprise_with_figures_that_link(web_world) -> None:  # noqa: ANN001
    await web_world.sign_in("bureau")
    home = await (await web_world.client.get("/?year=2026")).text()
    assert '<a href="/enterprises"' in home  # in the navigation
    card = re.search(r'href="([^"]+)" id="n-enterprises"><b>(\d+)</b>', home)
    assert card.group(1).replace("&amp;", "&") == "/enterprises?year=2026&in_year=1"
    listing = await (await web_world.client.get("/enterprises?year=2026&in_year=1")).text()
    assert f"（{card.group(2)} 家）" in listing and {"E001", "E002"} <= _codes(listing)
    only_a = await (await web_world.client.get(f"/enterprises?year=2026&county={COUNTY_A}")).text()
    assert "E001" in _codes(only_a) and "E002" not in _codes(only_a)

    row = re.search(r'<a href="/enterprises/E001\?year=2026">E001</a>.*?</tr>', listing, re.S).group(0)
    services = re.search(r'<a href="(/visits\?year=2026&(?:amp;)?enterprise=E001)">(\d+)</a>', row)
    visits = await (await web_world.client.get(services.group(1).replace("&amp;", "&"))).text()
    assert _total(visits) == int(services.group(2)) > 0
    async with web_world.sessionmaker() as session:
        e001 = await session.scalar(select(Enterprise.id).where(Enterprise.code == "E001"))
        counted = await session.scalar(select(func.count(Visit.id)).where(
            Visit.enterprise_id == e001, Visit.voided_at.is_(None), func.extract("year", Visit.visit_date) == 2026))
    assert counted == int(services.group(2))

    page = await (await web_world.client.get("/enterprises/E001?year=2026")).text()
    assert 'id="e-services"><a href="/visits?year=2026&amp;enterprise=E001">%d</a>' % counted in page.replace(
        "&amp;", "&").replace("&", "&amp;")
    assert 'href="/commissioners/C001?year=2026"' in page and "visit-link" in page
    assert _total(page) == counted


async def test_county_admins_see_only_their_enterprises_and_a_stranger_none(web_world) -> None:  # noqa: ANN001
    for path in ("/enterprises", "/enterprises/E001"):
        response = await web_world.client.get(path)
        assert response.status == 401 and "E001" not in await response.text()
    await web_world.sign_in("county_a")
    listing = await (await web_world.client.get("/enterprises")).text()
    assert "E001" in _codes(listing) and "E002" not in _codes(listing)
    assert (await web_world.client.get("/enterprises/E001")).status == 200
    assert (await web_world.client.get("/enterprises/E002")).status == 404
    assert "E002" not in await (await web_world.client.get(f"/enterprises?county={COUNTY_B}")).text()
    await web_world.sign_in("county_b")
    assert (await web_world.client.get("/enterprises/E001")).status == 404
    assert (await web_world.client.get("/enterprises/E002")).status == 200


async def test_lists_do_not_scan_whole_tables(web_world, policy) -> None:  # noqa: ANN001
    """County options are the policy's list (even a county nobody is in yet); the visit list's
    total comes from the running counts, not a count over the year's visits; the enterprise
    list costs the same statements whatever it shows."""
    await web_world.sign_in("bureau")
    engine = web_world.sessionmaker.kw["bind"].sync_engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_: object) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        listing = await (await web_world.client.get("/commissioners")).text()
        for county in policy.counties:
            assert f"<option>{county}</option>" in listing or f"<option selected>{county}</option>" in listing
        del seen[:]
        visits = await (await web_world.client.get("/visits?year=2026")).text()
        assert not [s for s in seen if "count(visits.id)" in s.lower() or "count(*)" in s.lower()], seen
        async with web_world.sessionmaker() as session:
            live = await session.scalar(select(func.count(Visit.id)).where(
                Visit.voided_at.is_(None), func.extract("year", Visit.visit_date) == 2026))
        assert _total(visits) == live
        month = await (await web_world.client.get(f"/visits?year=2026&month=7&county={COUNTY_A}")).text()
        assert _total(month) == len(re.findall(r'class="visit-link"', month))  # fewer than a page
        del seen[:]
        await web_world.client.get("/enterprises")
        wide = len(seen)
        del seen[:]
        await web_world.client.get(f"/enterprises?county={COUNTY_A}")
        assert len(seen) == wide
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_codes_with_a_slash_link_to_their_pages(web_world) -> None:  # noqa: ANN001
    """Codes are whatever a bureau numbers with ("YQ/2026/001"): a link to an enterprise's or a
    commissioner's page encodes the slash, so it reaches that page and not a 404."""
    from storage.models import Commissioner

    async with web_world.sessionmaker() as session:
        (await session.scalar(select(Enterprise).where(Enterprise.code == "E001"))).code = "YQ/2026/E001"
        (await session.scalar(select(Commissioner).where(Commissioner.code == "C001"))).code = "YQ/2026/C001"
        await session.commit()
    await web_world.sign_in("bureau")
    for listing, code in (("/enterprises?year=2026", "YQ/2026/E001"), ("/commissioners?year=2026", "YQ/2026/C001")):
        html = await (await web_world.client.get(listing)).text()
        href = re.search(r'href="(/(?:enterprises|commissioners)/YQ[^"?]*)', html).group(1)
        page = await web_world.client.get(href)
        assert page.status == 200, href
        assert f"（{code}）" in await page.text()
