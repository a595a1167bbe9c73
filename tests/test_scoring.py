"""Scoring a year and grading a cohort (domain/scoring.py): pure, no database."""
from __future__ import annotations

import math
import random
import tomllib
from dataclasses import replace
from importlib import resources

import pytest

from domain.policy import Policy, PolicyError, load_policy, parse_policy
from domain.scoring import YearInputs, grade_cohort, score, tie_break_key

YANGQUAN = load_policy("yangquan")
JINCHENG = load_policy("jincheng")


def preset_data(name: str) -> dict:
    return tomllib.loads(resources.files("domain.presets").joinpath(f"{name}.toml").read_text("utf-8"))


def with_assessment(name: str, **changes: object) -> Policy:
    data = preset_data(name)
    data["assessment"] = {**data["assessment"], **changes}
    return parse_policy(data)


def year(code: str = "C001", **changes: object) -> YearInputs:
    """A perfect year in both presets: every component at 100."""
    base = YearInputs(
        code=code, name=f"特派员{code}", verified_services=24, all_services=24, disputed=0, enterprises_served=1,
        enterprises_agreed=1, reports_on_time=4, reports_late=0, reports_missing=0, prompts_answered=20,
        prompts_closed=20, outcomes=2, mean_rating=5.0, survey_mean=5.0)
    return replace(base, **changes)


def component(policy: Policy, x: YearInputs, key: str):  # noqa: ANN201 - domain.scoring.Component
    return next(c for c in score(policy, x).components if c.key == key)


# --- components and their inputs -------------------------------------------------------------


def test_perfect_year_scores_100_in_every_component() -> None:
    for policy in (YANGQUAN, JINCHENG):
        scored = score(policy, year())
        assert [c.key for c in scored.components] == ["duty", "effect", "transfer", "satisfaction"]
        assert [c.score for c in scored.components] == [100.0] * 4
        assert scored.total == 100.0 and scored.failures == ()


@pytest.mark.parametrize(("on_time", "late", "missing", "expected"), [
    (4, 0, 0, 100.0),
    (2, 2, 0, 82.5),  # late counts half: 0.7 × 3/4 + 0.3
    (3, 0, 1, 82.5),  # missing counts nothing: 0.7 × 3/4 + 0.3
    (0, 0, 4, 30.0),  # only the response rate left
    (0, 0, 0, 100.0),  # nothing due yet: no blame
])
def test_duty_counts_reports_on_time_late_and_missing(on_time: int, late: int, missing: int,
                                                      expected: float) -> None:
    duty = component(YANGQUAN, year(reports_on_time=on_time, reports_late=late, reports_missing=missing), "duty")
    assert duty.score == expected
    assert duty.inputs == {"reports_on_time": on_time, "reports_late": late, "reports_missing": missing,
                           "response_rate": 1.0}


def test_duty_counts_the_enterprises_response_rate() -> None:
    duty = component(YANGQUAN, year(prompts_answered=5, prompts_closed=10), "duty")
    assert duty.score == 85.0 and duty.inputs["response_rate"] == 0.5
    # No prompt closed yet: the response part is full.
    assert component(YANGQUAN, year(prompts_answered=0, prompts_closed=0), "duty").score == 100.0


def test_effect_against_yangquan_reference_of_12() -> None:
    assert YANGQUAN.min_services_per_year is None and YANGQUAN.assessment.reference_services == 12
    half = component(YANGQUAN, year(verified_services=6, all_services=6), "effect")
    assert half.score == 65.0  # 0.7 × 6/12 + 0.3 × 1/1
    assert half.inputs == {"verified_services": 6, "reference": 12, "enterprises_served": 1,
                           "enterprises_agreed": 1}
    assert component(YANGQUAN, year(verified_services=12, all_services=12), "effect").score == 100.0
    assert component(YANGQUAN, year(verified_services=40, all_services=40), "effect").score == 100.0  # capped
    assert component(YANGQUAN, year(verified_services=0, all_services=0, enterprises_served=0),
                     "effect").score == 0.0


def test_effect_against_jincheng_minimum_of_24() -> None:
    assert JINCHENG.min_services_per_year == 24
    effect = component(JINCHENG, year(verified_services=12, all_services=12), "effect")
    assert effect.score == 65.0 and effect.inputs["reference"] == 24
    assert component(JINCHENG, year(verified_services=24), "effect").score == 100.0


def test_effect_counts_enterprises_covered() -> None:
    one_of_two = component(YANGQUAN, year(verified_services=12, enterprises_served=1, enterprises_agreed=2), "effect")
    assert one_of_two.score == 85.0  # 0.7 + 0.3 × 1/2
    assert one_of_two.inputs["enterprises_agreed"] == 2
    # More served than agreed is still the full mark.
    assert component(YANGQUAN, year(enterprises_served=3, enterprises_agreed=2), "effect").score == 100.0


@pytest.mark.parametrize(("outcomes", "expected"), [(0, 0.0), (1, 50.0), (2, 100.0), (7, 100.0)])
def test_transfer_against_reference_outcomes(outcomes: int, expected: float) -> None:
    transfer = component(YANGQUAN, year(outcomes=outcomes), "transfer")
    assert transfer.score == expected
    assert transfer.inputs == {"outcomes": outcomes, "reference": 2}


@pytest.mark.parametrize(("rating", "survey", "expected"), [
    (5.0, 5.0, 100.0),
    (1.0, 1.0, 0.0),
    (4.0, 3.0, 65.0),  # 0.6 × 3/4 + 0.4 × 2/4
    (5.0, None, 100.0),  # no survey: the ratings stand for it
    (None, 5.0, 70.0),  # no ratings: the middle of the scale, blended with the survey
    (None, None, 50.0),  # nothing at all: the middle of the scale
])
def test_satisfaction_from_ratings_and_survey(rating: float | None, survey: float | None, expected: float) -> None:
    satisfaction = component(YANGQUAN, year(mean_rating=rating, survey_mean=survey), "satisfaction")
    assert satisfaction.score == expected
    assert satisfaction.inputs == {"mean_rating": rating, "survey_mean": survey}


def test_total_is_the_weighted_sum_of_components() -> None:
    x = year(reports_on_time=2, reports_late=2, verified_services=6, all_services=6, outcomes=1, mean_rating=4.0,
             survey_mean=3.0)
    scored = score(YANGQUAN, x)
    by_key = {c.key: c.score for c in scored.components}
    assert by_key == {"duty": 82.5, "effect": 65.0, "transfer": 50.0, "satisfaction": 65.0}
    # 0.25 × 82.5 + 0.35 × 65 + 0.15 × 50 + 0.25 × 65
    assert scored.total == 67.1
    assert scored.total == round(sum(YANGQUAN.assessment.weights[k] * v for k, v in by_key.items()), 1)
    # Other weights, other total.
    heavy = with_assessment("yangquan", weights={"duty": 0.1, "effect": 0.1, "transfer": 0.7, "satisfaction": 0.1})
    assert score(heavy, x).total == round(0.1 * 82.5 + 0.1 * 65 + 0.7 * 50 + 0.1 * 65, 1)


# --- hard failures ----------------------------------------------------------------------------


def test_jincheng_below_24_verified_services_is_a_hard_failure() -> None:
    below = score(JINCHENG, year(verified_services=23, all_services=23))
    assert below.failures == ("below_minimum",)
    assert below.total >= JINCHENG.assessment.top_score  # the score alone would be excellent
    assert score(JINCHENG, year(verified_services=24)).failures == ()
    # Yangquan sets no minimum; a bureau that turns the rule off has none either.
    assert score(YANGQUAN, year(verified_services=1, all_services=1)).failures == ()
    lenient = with_assessment("jincheng", fail_below_minimum=False)
    assert score(lenient, year(verified_services=23, all_services=23)).failures == ()


def test_missing_reports_beyond_the_allowance_is_a_hard_failure() -> None:
    assert YANGQUAN.assessment.max_missing_reports == 1
    assert score(YANGQUAN, year(reports_on_time=3, reports_missing=1)).failures == ()
    assert score(YANGQUAN, year(reports_on_time=2, reports_missing=2)).failures == ("missing_reports",)


def test_disputed_share_above_a_fifth_is_a_hard_failure() -> None:
    assert score(YANGQUAN, year(verified_services=8, all_services=10, disputed=2)).failures == ()  # exactly 0.2
    assert score(YANGQUAN, year(verified_services=9, all_services=12, disputed=3)).failures == ("disputed_share",)
    assert score(YANGQUAN, year(verified_services=0, all_services=0, disputed=0)).failures == ()


def test_several_hard_failures_are_all_named() -> None:
    x = year(verified_services=10, all_services=20, disputed=10, reports_on_time=0, reports_missing=4)
    assert score(JINCHENG, x).failures == ("below_minimum", "missing_reports", "disputed_share")


@pytest.mark.parametrize("policy", [YANGQUAN, JINCHENG], ids=["yangquan", "jincheng"])
def test_hard_failure_gets_the_lowest_grade_whatever_the_score(policy: Policy) -> None:
    cohort = [
        score(policy, year("C001", verified_services=23, all_services=30, disputed=7)),  # disputed share
        score(policy, year("C002", reports_on_time=1, reports_missing=3)),  # missing reports
        score(policy, year("C003")),
    ]
    assert all(s.total >= policy.assessment.top_score for s in cohort[:2])
    graded = {g.scored.inputs.code: g for g in grade_cohort(policy, cohort)}
    lowest = policy.grades[-1].key
    for code in ("C001", "C002"):
        assert (graded[code].grade, graded[code].reason) == (lowest, "hard_failure")
    # The clean year is graded on its score (three people: no 优秀 place under a 20% cap).
    assert graded["C003"].reason == ("top" if policy.top_grade_cap is None else "capped")


# --- grading a cohort: Yangquan (优秀 capped at 20%) ------------------------------------------------


def cohort_above_top(n: int, policy: Policy = YANGQUAN) -> list:
    """n people, all above the top score, with distinct totals (C001 best)."""
    out = [score(policy, year(f"C{i:03d}", outcomes=1, mean_rating=5.0 - 0.05 * i)) for i in range(1, n + 1)]
    assert all(s.total >= policy.assessment.top_score for s in out)
    assert len({s.total for s in out}) == n
    return out


def test_yangquan_caps_excellent_at_a_fifth() -> None:
    assert YANGQUAN.top_grade_cap == 0.2
    assert [g.key for g in YANGQUAN.grades] == ["excellent", "pass", "fail"]
    graded = grade_cohort(YANGQUAN, cohort_above_top(10))
    assert [(g.rank, g.scored.inputs.code) for g in graded] == [(i, f"C{i:03d}") for i in range(1, 11)]
    assert [(g.grade, g.reason) for g in graded] == [("excellent", "top")] * 2 + [("pass", "capped")] * 8


@pytest.mark.parametrize("n", [1, 4, 5, 9, 10, 11, 14, 15, 23])
def test_yangquan_cap_is_the_floor_of_a_fifth(n: int) -> None:
    graded = grade_cohort(YANGQUAN, cohort_above_top(n))
    assert sum(g.grade == "excellent" for g in graded) == math.floor(0.2 * n)
    assert len(graded) == n


def test_yangquan_pass_and_below_pass() -> None:
    rules = YANGQUAN.assessment
    cohort = [
        score(YANGQUAN, year("C001")),  # 100
        score(YANGQUAN, year("C002", outcomes=0, mean_rating=4.0, survey_mean=4.0)),  # between pass and top
        score(YANGQUAN, year("C003", outcomes=0, verified_services=3, all_services=3, mean_rating=2.0,
                             survey_mean=2.0, reports_on_time=3, reports_missing=1)),  # below pass
        score(YANGQUAN, year("C004")),
        score(YANGQUAN, year("C005")),
    ]
    assert rules.pass_score <= cohort[1].total < rules.top_score
    assert cohort[2].total < rules.pass_score and cohort[2].failures == ()
    graded = {g.scored.inputs.code: (g.grade, g.reason) for g in grade_cohort(YANGQUAN, cohort)}
    assert graded == {"C001": ("excellent", "top"), "C004": ("pass", "capped"), "C005": ("pass", "capped"),
                      "C002": ("pass", "pass"), "C003": ("fail", "below_pass")}


def tie_cohort() -> list:
    """Ten people above the top score whose order is decided by each tie-break in turn."""
    def s(code: str, verified: int, disputed: int = 0, **kw: object):  # noqa: ANN202
        return score(YANGQUAN, year(code, verified_services=verified, all_services=verified + disputed,
                                    disputed=disputed, **kw))
    return [
        s("C009", 30, outcomes=1),  # lower total, however many services: after every 100
        s("C001", 12),  # total 100, the fewest verified services: after the others at 100
        s("C008", 20, disputed=1),  # total 100, 20 verified, one dispute
        s("C007", 20),  # total 100, 20 verified, no dispute: first
        s("C002", 16),  # total 100, 16 verified; same as C003 and C004, so by code
        s("C004", 16),
        s("C003", 16),
        s("C005", 14, disputed=2),
        s("C006", 14, disputed=1),
        s("C010", 30, outcomes=1, mean_rating=4.9),  # lowest total
    ]


def test_ties_broken_by_total_then_services_then_disputes_then_code() -> None:
    cohort = tie_cohort()
    assert len({s.total for s in cohort if s.inputs.code not in ("C009", "C010")}) == 1  # all at 100
    graded = grade_cohort(YANGQUAN, cohort)
    assert [g.scored.inputs.code for g in graded] == [
        "C007", "C008", "C002", "C003", "C004", "C006", "C005", "C001", "C009", "C010"]
    assert [g.rank for g in graded] == list(range(1, 11))
    assert [g.scored.inputs.code for g in graded if g.grade == "excellent"] == ["C007", "C008"]
    assert [s.inputs.code for s in sorted(cohort, key=tie_break_key)] == [
        g.scored.inputs.code for g in graded]


def test_grading_is_deterministic_whatever_the_input_order() -> None:
    cohort = tie_cohort()
    expected = [(g.rank, g.scored.inputs.code, g.grade, g.reason) for g in grade_cohort(YANGQUAN, cohort)]
    rng = random.Random(2026)
    for _ in range(25):
        shuffled = cohort[:]
        rng.shuffle(shuffled)
        assert [(g.rank, g.scored.inputs.code, g.grade, g.reason)
                for g in grade_cohort(YANGQUAN, shuffled)] == expected
    # The input list itself is left as it was.
    assert [s.inputs.code for s in cohort] == [s.inputs.code for s in tie_cohort()]


def test_override_keeps_its_grade_and_counts_against_the_cap() -> None:
    cohort = cohort_above_top(10)
    # C010, last by score, is made excellent by the bureau: one place left for the rest.
    graded = {g.scored.inputs.code: g for g in grade_cohort(YANGQUAN, cohort, {"C010": "excellent"})}
    assert (graded["C010"].grade, graded["C010"].reason, graded["C010"].rank) == ("excellent", "override", 10)
    assert [c for c, g in graded.items() if g.grade == "excellent"] == ["C001", "C010"]
    assert (graded["C002"].grade, graded["C002"].reason) == ("pass", "capped")
    # Two overrides to excellent use the whole cap.
    graded = grade_cohort(YANGQUAN, cohort, {"C009": "excellent", "C010": "excellent"})
    assert sorted(g.scored.inputs.code for g in graded if g.grade == "excellent") == ["C009", "C010"]
    assert all(g.reason == "capped" for g in graded if g.scored.inputs.code not in ("C009", "C010"))


def test_override_to_a_lower_grade_frees_the_place() -> None:
    cohort = cohort_above_top(10)
    graded = {g.scored.inputs.code: g for g in grade_cohort(YANGQUAN, cohort, {"C001": "fail"})}
    assert (graded["C001"].grade, graded["C001"].reason, graded["C001"].rank) == ("fail", "override", 1)
    assert sorted(c for c, g in graded.items() if g.grade == "excellent") == ["C002", "C003"]


def test_override_beats_a_hard_failure() -> None:
    cohort = [score(YANGQUAN, year("C001", reports_on_time=0, reports_missing=4)), score(YANGQUAN, year("C002"))]
    assert cohort[0].failures == ("missing_reports",)
    graded = {g.scored.inputs.code: (g.grade, g.reason) for g in grade_cohort(YANGQUAN, cohort, {"C001": "pass"})}
    assert graded["C001"] == ("pass", "override")


def test_cap_is_exact_for_any_share() -> None:
    data = preset_data("yangquan")
    data["top_grade_cap"] = 0.29
    policy = parse_policy(data)
    graded = grade_cohort(policy, [score(policy, year(f"C{i:03d}")) for i in range(1, 101)])
    assert sum(g.grade == "excellent" for g in graded) == 29  # 29% of 100 people


# --- grading a cohort: Jincheng (no cap) ---------------------------------------------------------


def test_jincheng_has_no_cap_and_its_own_labels() -> None:
    assert JINCHENG.top_grade_cap is None
    labels = {g.key: g.zh for g in JINCHENG.grades}
    assert labels == {"excellent": "优秀", "competent": "称职", "incompetent": "不称职"}
    graded = grade_cohort(JINCHENG, cohort_above_top(10, JINCHENG))
    assert [(g.grade, g.reason) for g in graded] == [("excellent", "top")] * 10
    assert {labels[g.grade] for g in graded} == {"优秀"}


def test_jincheng_grades_across_the_scale() -> None:
    rules = JINCHENG.assessment
    cohort = [
        score(JINCHENG, year("C001")),
        score(JINCHENG, year("C002", outcomes=0, mean_rating=4.0, survey_mean=4.0)),
        score(JINCHENG, year("C003", outcomes=0, mean_rating=1.0, survey_mean=1.0, reports_on_time=3,
                             reports_missing=1, prompts_answered=0)),
        score(JINCHENG, year("C004", verified_services=20, all_services=20)),
    ]
    assert rules.pass_score <= cohort[1].total < rules.top_score
    assert cohort[2].total < rules.pass_score and cohort[2].failures == ()
    labels = {g.key: g.zh for g in JINCHENG.grades}
    graded = {g.scored.inputs.code: (labels[g.grade], g.reason) for g in grade_cohort(JINCHENG, cohort)}
    assert graded == {"C001": ("优秀", "top"), "C002": ("称职", "pass"), "C003": ("不称职", "below_pass"),
                      "C004": ("不称职", "hard_failure")}


def test_empty_cohort() -> None:
    assert grade_cohort(YANGQUAN, []) == [] and grade_cohort(JINCHENG, []) == []


# --- the assessment rules in a policy file ------------------------------------------------------------


@pytest.mark.parametrize("weights", [
    {"duty": 0.25, "effect": 0.35, "transfer": 0.15, "satisfaction": 0.2},  # adds up to 0.95
    {"duty": 0.3, "effect": 0.4, "transfer": 0.3},  # satisfaction missing
    {"duty": 0.25, "effect": 0.35, "transfer": 0.15, "satisfaction": 0.2, "bonus": 0.05},  # an unknown key
])
def test_bad_weights_fail_the_policy_naming_assessment(weights: dict[str, float]) -> None:
    data = preset_data("yangquan")
    data["assessment"] = {**data["assessment"], "weights": weights}
    with pytest.raises(PolicyError) as caught:
        parse_policy(data, "bureau.toml")
    assert "assessment" in str(caught.value) and "weights" in str(caught.value)


def test_pass_score_above_top_score_fails_the_policy() -> None:
    with pytest.raises(PolicyError, match="assessment"):
        with_assessment("yangquan", pass_score=90, top_score=80)
