"""Ranking commissioners for a need, on a small Chinese fixture with the expected top candidates."""
from __future__ import annotations

from domain.matching import Candidate, rank, terms

PEOPLE = [
    Candidate("C001", "张伟", "耐火材料、无机非金属材料、窑炉节能", "城区", load=1, capacity=3),
    Candidate("C002", "王芳", "煤化工、化工工艺、催化剂", "矿区", load=0, capacity=2),
    Candidate("C003", "李强", "设施农业、蔬菜种植、温室环境控制", "平定县", load=2, capacity=2),
    Candidate("C004", "刘洋", "中药材种植与加工、连翘、黄芩", "盂县", load=0, capacity=3),
    Candidate("C005", "陈静", "智能制造、机械设计、窑炉自动控制", "高新区", load=0, capacity=2),
    Candidate("C006", "赵敏", "耐火材料检测、耐火砖配方", "郊区", load=3, capacity=3),
]


def codes(matches) -> list[str]:  # noqa: ANN001
    return [m.candidate.code for m in matches]


def test_segmentation_keeps_compound_and_parts_and_drops_noise() -> None:
    words = terms("企业需要解决回转窑耐火材料剥落的问题")
    assert {"耐火材料", "耐火", "材料", "回转窑"} <= words
    assert not {"企业", "需要", "问题", "的"} & words


def test_refractory_need_ranks_the_refractory_expert_first() -> None:
    matches = rank("回转窑耐火材料剥落严重，需要改进耐火砖配方和窑炉保温", "城区", PEOPLE)
    assert codes(matches)[0] == "C001"  # shared 耐火材料 and 窑炉, same county, places free
    assert "C005" in codes(matches)  # 窑炉 only
    assert codes(matches)[-1] == "C006"  # the best terms, but no place left: listed last
    first = matches[0]
    assert first.same_county and first.free == 2 and "耐火材料" in first.shared


def test_county_breaks_an_otherwise_equal_match() -> None:
    twins = [Candidate("C101", "甲", "蔬菜种植", "盂县", 0, 2), Candidate("C102", "乙", "蔬菜种植", "城区", 0, 2)]
    assert codes(rank("大棚蔬菜种植技术指导", "城区", twins)) == ["C102", "C101"]


def test_herbal_need_and_no_match() -> None:
    assert codes(rank("连翘、黄芩中药材种植加工技术", "盂县", PEOPLE))[0] == "C004"
    assert rank("跨境电商直播带货运营", None, PEOPLE) == []


def test_ranking_is_deterministic() -> None:
    need = "窑炉自动控制改造"
    assert rank(need, None, PEOPLE) == rank(need, None, list(reversed(PEOPLE)))


async def test_candidates_come_from_the_commissioners_and_their_load(repos, clock, policy) -> None:
    from datetime import date

    from domain.records import Kind
    from services.importer import import_file
    from services.matching import match_need
    from testkit.databases import EXAMPLES

    for kind in ("units", "enterprises", "commissioners", "agreements"):
        assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok
    await repos.commit()
    matches = await match_need(repos, policy, date(2026, 3, 16), "回转窑耐火材料剥落，窑炉保温改造", "城区")
    assert codes(matches)[0] == "C001"  # 耐火材料、无机非金属材料 in 城区
    assert matches[0].free == policy.selection.default_capacity - 2  # C001 serves two enterprises


async def test_applicants_are_candidates_and_the_disqualified_or_barred_are_not(repos, clock, policy) -> None:
    from datetime import date

    from domain.records import Kind
    from services.importer import import_file
    from services.matching import match_need
    from storage.models import Commissioner
    from testkit.databases import EXAMPLES

    for kind in ("units", "enterprises", "commissioners", "applicants"):
        assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok
    today = date(2026, 3, 16)
    need = "回转窑耐火材料剥落，耐火砖检测与配方改进"
    ranked = await match_need(repos, policy, today, need, "城区")
    applicants = [m.candidate for m in ranked if m.candidate.applicant]
    assert set(codes(ranked)[:2]) == {"C001", "A001"} and [c.code for c in applicants] == ["A001"]
    c001 = await repos.people.by_code(Commissioner, "C001")
    c001.status = "disqualified"
    barred = await repos.people.by_code(Commissioner, applicants[0].code)
    barred.barred_until = date(2027, 12, 31)
    await repos.session.flush()
    left = codes(await match_need(repos, policy, today, need, "城区"))
    assert "C001" not in left and applicants[0].code not in left
