"""/opinion through the real Dispatcher: a county admin enters the county's opinion and a host unit's
evaluation; they are stored (replaced when written again), audited, and the dossier prints them."""
from __future__ import annotations

from sqlalchemy import select

from domain.roles import Role
from locales import Translator
from services.assessment import assess
from services.dossier import build
from storage.models import AuditEntry, Opinion
from storage.repositories import Repos
from testkit.botkit import Person
from testkit.worlds import ADMIN, ZHANG, harness, invite, world  # noqa: F401


async def stored(harness) -> list[tuple]:  # noqa: ANN001
    async with harness.sessionmaker() as session:
        rows = (await session.scalars(select(Opinion).order_by(Opinion.id))).all()
        return [(o.year, o.kind, o.enterprise.code if o.enterprise else None, o.text) for o in rows]


async def test_county_admin_enters_opinions_for_the_dossier(harness, world, policy, clock) -> None:  # noqa: ANN001, F811
    said = (await harness.send(ADMIN, "/opinion C001 county 服务认真，企业反映良好。"))[0]
    assert "已记录 C001 的 2026 年度县（区）意见" in said
    said = (await harness.send(ADMIN, "/opinion 2026 C001 host E005 协助申报科技型中小企业，评价优秀。"))[0]
    assert "已记录 E005 对 C001 的 2026 年度评价" in said
    # Written again: the text is replaced, not added.
    await harness.send(ADMIN, "/opinion C001 county 服务认真细致，企业反映良好。")
    assert await stored(harness) == [(2026, "county", None, "服务认真细致，企业反映良好。"),
                                     (2026, "host", "E005", "协助申报科技型中小企业，评价优秀。")]
    async with harness.sessionmaker() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("opinion.%")))).all()
    assert sorted(actions) == ["opinion.county", "opinion.county", "opinion.host"]
    # The dossier prints both, the county's also in its sign-off box.
    async with harness.sessionmaker() as session:
        repos = Repos(session)
        result = await assess(repos, policy, 2026, clock.now().date())
        html = (await build(repos, policy, world[1], Translator("zh"), result, "C001", clock.now())).html
    assert "<td>县（区）科技管理部门意见</td><td>服务认真细致，企业反映良好。</td>" in html
    assert "协助申报科技型中小企业，评价优秀。" in html
    signoff = html[html.index("<h2>审核意见"):]
    assert "服务认真细致，企业反映良好。" in signoff


async def test_bad_opinions_are_refused_and_nothing_is_stored(harness, world, clock) -> None:  # noqa: ANN001, F811
    for text, expected in (
        ("/opinion", "用法"),
        ("/opinion C001 maybe 很好", "用法"),
        ("/opinion C001 county", "请写下意见内容"),
        ("/opinion C001 county " + "好" * 1001, "最多 1000 个字"),
        ("/opinion C999 county 很好", "没有这个特派员编号"),
        ("/opinion C001 host", "企业编号"),
        ("/opinion C001 host E999 很好", "没有这个企业编号"),
        ("/opinion C001 host E002 很好", "没有服务协议"),  # E002 is 王芳's
        ("/opinion C002 county 很好", "不在您管辖"),  # 王芳 is in 矿区
    ):
        assert expected in (await harness.send(ADMIN, text))[0], text
    assert "仅限" in (await harness.send(ZHANG, "/opinion C001 county 很好"))[0]
    assert await stored(harness) == []
    # The bureau covers every county.
    bureau = Person(3100, "局", "市")
    await harness.send(bureau, f"/start {await invite(world[0], clock, Role.BUREAU, '市科技局')}")
    assert "已记录 C002" in (await harness.send(bureau, "/opinion C002 county 按期完成任务。"))[0]
