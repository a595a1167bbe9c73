"""The review queue and /visits draw their rows with one macro, and list as suspicions only the
flags the policy counts as such: a dropped pin is a suspicion under Yangquan and only a note under
Jincheng (`visit.pin_is_evidence`). SQLite and PostgreSQL."""
from __future__ import annotations

import re
from dataclasses import replace

from aiohttp.test_utils import TestClient, TestServer

from domain.policy import load_policy
from storage.models import Visit
from testkit.webkit import REUSED, web_world  # noqa: F401 - the fixture
from web.app import create_app
from web.context import CONSOLE

PIN_TEXT = "位置是地图上选的点"
FAR_TEXT = "超出 1000 米范围"


def _row(html: str, visit_id: int) -> str:
    found = re.search(rf'class="visit-link">#{visit_id}<.*?</tr>', html, re.S)
    assert found, html
    return found.group(0)


async def test_a_pin_is_a_suspicion_only_where_the_policy_says_so(web_world) -> None:  # noqa: ANN001
    flagged = next(iter(REUSED))
    async with web_world.sessionmaker() as session:
        visit = await session.get(Visit, flagged)
        visit.flags = [*visit.flags, {"flag": "pin"}, {"flag": "no_exif"}]
        await session.commit()
    seen = {}
    for key in ("yangquan", "jincheng"):
        client = TestClient(TestServer(create_app(replace(web_world.client.app[CONSOLE], policy=load_policy(key)))))
        await client.start_server()
        try:
            await web_world.sign_in("bureau", client)
            seen[key] = [_row(await (await client.get(path)).text(), flagged)
                         for path in ("/review", "/visits?year=2026&status=flagged")]
        finally:
            await client.close()
    for row in seen["yangquan"]:
        assert PIN_TEXT in row and FAR_TEXT in row and "没有拍摄时间" not in row
    for row in seen["jincheng"]:
        assert PIN_TEXT not in row and FAR_TEXT in row and "没有拍摄时间" not in row
    review, listing = seen["yangquan"]
    assert 'action="/visits/%d/decide"' % flagged in review and "/decide" not in listing
