"""/review through the real Dispatcher (Jincheng 第二十条 专家评审): the bureau enters each expert's
points per criterion and conclusion; the dossier's review sheet prints them. Yangquan has no review."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from domain.roles import Role
from locales import Translator
from services.assessment import assess
from services.dossier import build
from storage.models import AuditEntry, ExpertReview
from storage.repositories import Repos
from testkit.botkit import Person
from testkit.worlds import ADMIN, harness, invite, world  # noqa: F401

BUREAU = Person(3100, "局", "市")


async def bureau(harness, world, clock) -> Person:  # noqa: ANN001, F811
    await harness.send(BUREAU, f"/start {await invite(world[0], clock, Role.BUREAU, '市科技局')}")
    return BUREAU


@pytest.mark.parametrize("policy", ["jincheng"], indirect=True)
async def test_bureau_enters_expert_reviews_for_the_sheet(harness, world, policy, clock) -> None:  # noqa: ANN001, F811
    me = await bureau(harness, world, clock)
    said = (await harness.send(me, "/review C001 李教授 20 8 8 16 8 8 12 称职"))[0]
    assert "已记录 李教授 对 C001 的 2026 年度评审：合计 80 分，结论 称职" in said
    await harness.send(me, "/review C001 王研究员 24 9 9 18 9 9 14 优秀")
    await harness.send(me, "/review C001 李教授 21 8 8 16 8 8 12 称职")  # corrected: replaces the first
    await harness.send(me, "/review C001 赵工 18 7 7 15 7 7 11 称职")
    async with harness.sessionmaker() as session:
        rows = (await session.scalars(select(ExpertReview).order_by(ExpertReview.id))).all()
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "review"))).all()
    assert [(r.reviewer, sum(r.scores.values()), r.conclusion) for r in rows] == [
        ("李教授", 81, "competent"), ("王研究员", 92, "excellent"), ("赵工", 72, "competent")]
    assert len(audited) == 4
    async with harness.sessionmaker() as session:
        repos = Repos(session)
        result = await assess(repos, policy, 2026, clock.now().date())
        html = (await build(repos, policy, world[1], Translator("zh"), result, "C001", clock.now())).html
    sheet = html[html.index("<h2>专家评审表"):html.index("<h2>审核意见")]
    assert '<td class="nowrap">参与研发、解决技术问题</td><td class="num">25</td><td class="num">21</td>' \
           '<td class="num">24</td><td class="num">18</td><td class="num">21</td>' in sheet
    assert '<td class="num">81</td><td class="num">92</td><td class="num">72</td><td class="num">81.7</td>' in sheet
    assert re.findall(r'<span class="box on"></span>([^<]+)', sheet) == ["称职"]  # two of three
    assert "专家 1：李教授" in sheet and "专家 3：赵工" in sheet


@pytest.mark.parametrize("policy", ["jincheng"], indirect=True)
async def test_bad_reviews_are_refused(harness, world, clock) -> None:  # noqa: ANN001, F811
    me = await bureau(harness, world, clock)
    for text, expected in (
        ("/review", "用法"),
        ("/review C001 李教授 20 8 8 16 称职", "用法"),  # too few points
        ("/review C001 李教授 26 8 8 16 8 8 12 称职", "0 到该项分值之间"),
        ("/review C001 李教授 20 8 8 16 8 8 12 合格", "没有这个评审结论"),
        ("/review C999 李教授 20 8 8 16 8 8 12 称职", "没有这个特派员编号"),
    ):
        assert expected in (await harness.send(me, text))[0], text
    assert "仅限" in (await harness.send(ADMIN, "/review C001 李教授 20 8 8 16 8 8 12 称职"))[0]
    async with harness.sessionmaker() as session:
        assert (await session.scalars(select(ExpertReview))).all() == []


async def test_yangquan_has_no_expert_review(harness, world, clock) -> None:  # noqa: ANN001, F811
    me = await bureau(harness, world, clock)
    assert "没有专家评审" in (await harness.send(me, "/review C001 李教授 20 8 8 16 8 8 12 合格"))[0]
