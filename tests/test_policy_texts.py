"""Jincheng is a city of its own, not Yangquan with other numbers: no catalogue text names a city,
an article or a grade (those come from the policy), and every text rendered under one preset is
free of the other city's name and grade words."""
from __future__ import annotations

import re

import pytest

from domain.policy import PRESETS
from locales import LANGUAGES, Translator, catalogue
from services.assessment_texts import basis, failures_heading, outcome_question
from testkit.policy_words import POLICIES, city_words, foreign_words, found_words

REASONS = ("top", "capped", "pass", "below_pass", "hard_failure", "override")
ARTICLE = re.compile(r"第[一二三四五六七八九十百零]+条|\barticle \d+", re.I)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_catalogue_text_names_a_city_an_article_or_a_grade(lang: str) -> None:
    # Grade keys are plain English words ("pass --kind"): only the names count here.
    every = set().union(*(city_words(p, keys=False) for p in POLICIES.values()))
    offending = {key: found_words(text, every) or ARTICLE.findall(text) for key, text in catalogue(lang).items()}
    assert {key: hits for key, hits in offending.items() if hits} == {}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("preset", PRESETS)
def test_grade_and_policy_texts_speak_the_policy(preset: str, lang: str) -> None:
    policy, t = POLICIES[preset], Translator(lang)
    texts = [basis(t, policy, reason) for reason in REASONS]
    texts += [failures_heading(t, policy), outcome_question(t, policy),
              t("assess.grade_usage", grades=" | ".join(g.key for g in policy.grades), example=policy.grades[1].key)]
    assert not [text for text in texts if "{" in text]
    foreign = foreign_words(policy)
    assert {text: found_words(text, foreign) for text in texts if found_words(text, foreign)} == {}
    middle, lowest = policy.grades[1].text(lang), policy.grades[-1].text(lang)
    assert middle in basis(t, policy, "pass") and lowest in failures_heading(t, policy)


def test_each_city_cites_its_own_articles() -> None:
    zh = Translator("zh")
    assert outcome_question(zh, POLICIES["yangquan"]) == "登记哪一类成果？（《阳泉市科技特派员管理办法》第十条）"
    assert outcome_question(zh, POLICIES["jincheng"]) == "登记哪一类成果？"  # its system lists no outcome kinds
    assert basis(zh, POLICIES["jincheng"], "pass") == "得分达到称职线"
    assert basis(zh, POLICIES["yangquan"], "pass") == "得分达到合格线"

