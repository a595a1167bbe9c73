"""The words typed for a policy's choices: key, Chinese or English."""
from __future__ import annotations

from domain.policy import load_policy
from domain.roles import Role
from domain.words import answer_of, label_key, role_of


def test_grades_in_chinese_english_or_key():
    yangquan, jincheng = load_policy("yangquan"), load_policy("jincheng")
    assert label_key(yangquan.grades, "合格") == label_key(yangquan.grades, "pass") == "pass"
    assert label_key(yangquan.grades, "Excellent") == "excellent"
    assert label_key(jincheng.grades, "称职") == "competent"
    assert label_key(yangquan.grades, "称职") is None


def test_reasons_roles_and_answers():
    policy = load_policy("yangquan")
    reason = policy.disqualification.reasons[0]
    assert label_key(policy.disqualification.reasons, reason.zh) == reason.key
    assert role_of("科技特派员") is Role.COMMISSIONER and role_of("commissioner") is Role.COMMISSIONER
    assert role_of("县区") is Role.COUNTY and role_of("nobody") is None
    assert answer_of("属实") == "confirm" and answer_of("不属实") == "dispute" and answer_of("maybe") is None
