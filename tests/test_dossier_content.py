"""What the dossier holds besides the score (Yangquan 第十七/十八条, Jincheng 第十八/二十条): each visit's
description, the enterprises' word (dispute reasons, comments once each and attributed, scores with
their scale), the reports' texts, the integrity statement, the sign-off block, the photo appendix."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from locales import when
from storage.models import Commissioner, Report, Visit, VisitFeedback
from storage.repositories import Repos
from testkit.years import imported, seeded  # noqa: F401
from tests.test_dossier import dossier_of, visits_of


async def test_each_visit_shows_its_description_and_dispute_reason(seeded, policy) -> None:  # noqa: ANN001, F811
    visits = await visits_of(seeded, "C001")
    async with seeded.sessionmaker() as session:
        disputed = visits[2]
        await session.execute(update(VisitFeedback).where(VisitFeedback.visit_id == disputed.id).values(
            status="disputed", dispute_reason="那天专家只打了个电话，没有到厂。", rating=None, comment=None))
        await session.commit()
    html = (await dossier_of(seeded, policy, "C001")).html
    for v in visits:
        assert f'<td class="summary">{v.summary}</td>' in html
    assert "异议理由：那天专家只打了个电话，没有到厂。" in html
    assert f"第 3 次服务（{when.day(disputed.visit_date, 'zh', year=False)}，{disputed.enterprise.name}）：那天专家只打了个电话" in html


async def test_each_on_site_visit_says_how_its_location_was_sent(seeded, policy) -> None:  # noqa: ANN001, F811
    visits = [v for v in await visits_of(seeded, "C001") if v.mode == "on_site" and v.latitude is not None]
    async with seeded.sessionmaker() as session:  # one dropped pin, one live location, the rest as seeded
        await session.execute(update(Visit).where(Visit.id == visits[0].id).values(
            accuracy_m=None, live_location=False, flags=[{"flag": "pin"}], evidence_status="flagged"))
        await session.execute(update(Visit).where(Visit.id == visits[1].id).values(live_location=True))
        await session.commit()
    html = (await dossier_of(seeded, policy, "C001")).html
    assert html.count("地图选点（没有定位精度，不能证明人在现场）") == 1
    assert "位置是地图上选的点，不是手机定位" in html  # the flag, under the visit's evidence
    assert html.count('<span class="muted">实时位置</span>') == 1
    assert html.count('<span class="muted">当前位置，精度约') == len(visits) - 2


async def test_comments_are_shown_once_with_who_said_them(seeded, policy) -> None:  # noqa: ANN001, F811
    visits = await visits_of(seeded, "C001")
    async with seeded.sessionmaker() as session:
        for v in visits[:3]:
            await session.execute(update(VisitFeedback).where(VisitFeedback.visit_id == v.id).values(
                status="confirmed", comment="专家很专业，希望多来几次。"))
        await session.commit()
    html = (await dossier_of(seeded, policy, "C001")).html
    assert html.count("「专家很专业，希望多来几次。」") == 1
    quote = re.search(r"「专家很专业，希望多来几次。」 <span class=\"muted\">— ([^<]+)</span>", html).group(1)
    first_three = [n for n, v in enumerate(visits[:3], start=1) if v.enterprise_id == visits[0].enterprise_id]
    assert f"{visits[0].enterprise.name}，第 {'、'.join(map(str, first_three))} 次服务" in quote


async def test_scores_carry_their_scale(seeded, policy) -> None:  # noqa: ANN001, F811
    html = (await dossier_of(seeded, policy, "C001")).html
    assert re.search(r"<td>服务态度</td><td>\d(\.\d+)? / 5 分</td>", html)
    assert re.search(r"<td>平均评分</td><td>\d(\.\d+)? / 5 分 （\d+ 次评分）</td>", html)
    assert re.search(r"满意度问卷</td><td>已答 \d+ 份 / 共发出 \d+ 份", html)


async def test_reports_have_a_summary_and_their_full_text_in_the_appendix(seeded, policy) -> None:  # noqa: ANN001, F811
    text = "一季度共服务 6 次。" + "重点解决了回转窑耐火材料剥落问题，调整了烘烤曲线，" * 4 + "下季度将跟踪效果。"
    async with seeded.sessionmaker() as session:
        commissioner = await Repos(session).people.by_code(Commissioner, "C001")
        await session.execute(update(Report).where(Report.commissioner_id == commissioner.id,
                                                   Report.period == "2026-Q1").values(text=text))
        await session.commit()
    html = (await dossier_of(seeded, policy, "C001")).html
    assert text[:60] + "…" in html and "（全文见附录二）" in html
    appendix = html[html.index("附录二　报告全文"):]
    assert f'<div class="report-text">{text}</div>' in appendix


async def test_integrity_statement_and_sign_off_come_from_the_policy(seeded, policy) -> None:  # noqa: ANN001, F811
    html = (await dossier_of(seeded, policy, "C001")).html
    assert "<h2>廉洁自律" in html and policy.dossier.integrity_zh in html
    assert "本系统中无违规、取消资格记录。" in html and "科技特派员（签字）" in html
    signoff = html[html.index("<h2>审核意见"):]
    for box in policy.dossier.signoff:
        assert box.zh in signoff and box.article in signoff
    assert signoff.count("（盖章）") == len(policy.dossier.signoff)
    # The deciding box lists the policy's grades to tick.
    assert all(g.zh in signoff for g in policy.grades)
    assert "专家评审表" not in html  # Yangquan: no expert review


async def test_photos_appendix_labels_on_site_photos_and_online_screenshots(seeded, policy) -> None:  # noqa: ANN001, F811
    visits = await visits_of(seeded, "C001")
    async with seeded.sessionmaker() as session:
        await session.execute(update(Visit).where(Visit.id == visits[0].id).values(mode="online"))
        await session.execute(update(Visit).where(Visit.id == visits[1].id).values(mode="on_site"))
        await session.commit()
    html = (await dossier_of(seeded, policy, "C001")).html
    assert "<th>照片</th>" in html and "<th>现场照片</th>" not in html
    appendix = html[html.index("附录一　服务照片"):html.index("附录二　报告全文")]
    captions = re.findall(r"<figcaption><b>图 (\d+) ([^<]+)</b> · 第 (\d+) 次服务 (?:<span[^>]*>[^<]+</span>(?: · )?)+<br>"
                          r"([^<]+)<br>", appendix)
    assert [int(c[0]) for c in captions] == list(range(1, len(visits) + 1))
    assert captions[0][1] == "线上截图" and captions[1][1] == "现场照片"
    assert all(re.match(r"拍摄于 2026年\d+月\d+日 \d\d:\d\d", c[3]) for c in captions)  # their EXIF time
    # Four to a page.
    assert appendix.count('<div class="photo-page">') == -(-len(visits) // 4)


async def test_yangquan_dossier_shows_its_grades_and_the_cap(seeded, policy) -> None:  # noqa: ANN001, F811
    html = (await dossier_of(seeded, policy, "C001")).html
    grading = html[html.index("<h2>考核得分与建议等次"):html.index("<h2>各月服务次数")]
    assert re.findall(r'<span class="box(?: on)?"></span>([^<]+)', grading) == ["优秀", "合格", "不合格"]
    assert re.search(r"优秀名额上限：5 人中不超过 1 人（20%）；本人排名第 [1-5] 位", grading)


@pytest.mark.parametrize("policy", ["jincheng"], indirect=True)
async def test_jincheng_dossier_has_the_expert_review_sheet(seeded, policy) -> None:  # noqa: ANN001, F811
    assert policy.key == "jincheng"
    html = (await dossier_of(seeded, policy, "C001")).html
    assert "《晋城市中小企业科技特派员制度（试行）》第十八条" in html
    grading = html[html.index("<h2>考核得分与建议等次"):html.index("<h2>各月服务次数")]
    assert re.findall(r'<span class="box(?: on)?"></span>([^<]+)', grading) == ["优秀", "称职", "不称职"]
    assert "名额上限" not in grading  # 第二十条 sets no share
    sheet = html[html.index("<h2>专家评审表：张伟（2026 年度）"):html.index("<h2>审核意见")]
    assert "（第二十条）" in sheet
    for criterion in policy.review.criteria:
        assert f'<td class="nowrap">{criterion.zh}</td><td class="num">{criterion.points}</td>' in sheet
    header = re.search(r"<tr><th>评审指标</th>.*?</tr>", sheet).group(0)
    assert [f"专家 {n}" for n in range(1, policy.review.reviewers + 1)] == re.findall(r"专家 \d", header)
    # The demo year has two reviewers' points; the third column is left for the panel.
    assert re.findall(r'<span class="box(?: on)?"></span>([^<]+)', sheet) == ["优秀", "称职", "不称职"]
    assert sheet.count('<span class="box on">') == 1
    assert "专家 1：李振华" in sheet and "专家 2：王晓东" in sheet and re.search(r"专家 3</td>", sheet)
    signoff = html[html.index("<h2>审核意见"):]
    assert [box.zh for box in policy.dossier.signoff] == re.findall(r'<div class="title">([^<]+?) <span', signoff)
    assert "市中小企业发展促进中心、市科学技术局考核评定意见" in signoff
    assert "合格" not in signoff.replace("不称职", "")  # Yangquan's grade words are not Jincheng's
